#!/usr/bin/python3
"""Trains the demo models shipped in examples/ with XGBoost (Debian's
python3-xgboost 1.7.4; run with /usr/bin/python3) and writes:

  iris.csv                  the iris data set (f1..f4 as DOUBLE, label)
  iris_classifier.json      multi:softprob classifier, JSON format
  iris_expected.csv         XGBoost's predict_proba for every row (float32 bits)
  housing.csv               a synthetic 12-feature housing table (Boston-like names)
  housing_regressor.ubj     reg:squarederror regressor, UBJSON format
  housing_expected.csv      XGBoost's predictions for every row (float32 bits)
  housing_regressor_v2.json a deeper retrained regressor (JSON), for ADD VERSION

Regenerate with `make examples`.
"""
import os

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_iris

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261124)


def bits(a):
    return np.asarray(a, dtype=np.float32).view(np.uint32)


# Iris classifier: 3 classes, 4 features.
iris = load_iris()
X, y = iris.data.astype(np.float64), iris.target
clf = xgb.XGBClassifier(n_estimators=20, max_depth=3, learning_rate=0.3, random_state=1)
clf.fit(X, y)
clf.save_model(os.path.join(here, "iris_classifier.json"))
proba = clf.predict_proba(X)
with open(os.path.join(here, "iris.csv"), "w") as f:
    f.write("id,f1,f2,f3,f4,label\n")
    for i, (row, lab) in enumerate(zip(X, y)):
        f.write("%d,%s,%d\n" % (i, ",".join(repr(float(v)) for v in row), lab))
with open(os.path.join(here, "iris_expected.csv"), "w") as f:
    f.write("id,label,p0_bits,p1_bits,p2_bits\n")
    for i, p in enumerate(proba):
        b = bits(p)
        f.write("%d,%d,%d,%d,%d\n" % (i, int(np.argmax(p)), b[0], b[1], b[2]))

# Housing regressor: 12 features with Boston-like names, CHAS an integer.
names = ["crim", "zn", "indus", "chas", "nox", "rm", "age", "dis", "rad", "tax", "ptratio", "lstat"]
n = 500
cols = {
    "crim": rng.gamma(0.5, 4.0, n), "zn": rng.choice([0, 12.5, 25, 80], n), "indus": rng.uniform(0.5, 27, n),
    "chas": rng.integers(0, 2, n), "nox": rng.uniform(0.38, 0.87, n), "rm": rng.normal(6.3, 0.7, n),
    "age": rng.uniform(3, 100, n), "dis": rng.uniform(1.1, 12, n), "rad": rng.integers(1, 25, n),
    "tax": rng.uniform(187, 711, n), "ptratio": rng.uniform(12.6, 22, n), "lstat": rng.uniform(1.7, 38, n),
}
Xh = np.column_stack([cols[c].astype(np.float64) for c in names])
Xh[:, [0, 2, 4, 5, 6, 7, 9, 10, 11]] = np.round(Xh[:, [0, 2, 4, 5, 6, 7, 9, 10, 11]], 4)
yh = 36 - 0.6 * Xh[:, 11] + 4.5 * (Xh[:, 5] - 6) - 8 * (Xh[:, 4] - 0.5) + 2.5 * Xh[:, 3] + rng.normal(0, 2, n)
reg = xgb.XGBRegressor(n_estimators=100, max_depth=4, learning_rate=0.1, random_state=1)
reg.fit(Xh, yh)
reg.save_model(os.path.join(here, "housing_regressor.ubj"))
pred = reg.predict(Xh)
with open(os.path.join(here, "housing.csv"), "w") as f:
    f.write("id," + ",".join(names) + ",medv\n")
    for i in range(n):
        vals = [repr(float(v)) if j != 3 and j != 8 else str(int(v)) for j, v in enumerate(Xh[i])]
        f.write("%d,%s,%s\n" % (i, ",".join(vals), repr(float(yh[i]))))
with open(os.path.join(here, "housing_expected.csv"), "w") as f:
    f.write("id,pred_bits\n")
    for i, p in enumerate(pred):
        f.write("%d,%d\n" % (i, bits(p)))
reg2 = xgb.XGBRegressor(n_estimators=200, max_depth=6, learning_rate=0.05, random_state=2)
reg2.fit(Xh, yh)
reg2.save_model(os.path.join(here, "housing_regressor_v2.json"))
print("wrote demo models to", here)
