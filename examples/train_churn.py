#!/usr/bin/python3
"""Trains churn_classifier.json, the README's `churn` example model, with
XGBoost (Debian's python3-xgboost 1.7.4; run with /usr/bin/python3): a
binary:logistic classifier over a synthetic customer table with the
README's three features (tenure, monthly, support_calls). The doc tests
(e2e/docs_test.go) serve it from the local object store.

Regenerate with `make examples`.
"""
import os

import numpy as np
import xgboost as xgb

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)

n = 400
tenure = rng.integers(0, 72, n)
monthly = np.round(rng.uniform(20, 120, n), 2)
support_calls = rng.poisson(1.5, n)
logit = -1.0 - 0.05 * tenure + 0.02 * (monthly - 60) + 0.6 * support_calls
churned = (rng.uniform(0, 1, n) < 1 / (1 + np.exp(-logit))).astype(int)
X = np.column_stack([tenure, monthly, support_calls]).astype(np.float64)
clf = xgb.XGBClassifier(n_estimators=10, max_depth=3, learning_rate=0.3, random_state=1)
clf.fit(X, churned)
clf.save_model(os.path.join(here, "churn_classifier.json"))
print("wrote", os.path.join(here, "churn_classifier.json"))
