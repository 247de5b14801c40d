#!/usr/bin/env python3
"""Writes churn_classifier.json: the README's `churn` example model, a
binary:logistic XGBoost model over 3 features (tenure, monthly,
support_calls) with two hand-written trees, in XGBoost 1.7's JSON format.
The doc tests (e2e/docs_test.go) serve it from the local object store.
Plain Python (no XGBoost needed): `python3 examples/make_churn.py`.
"""
import json
import os

here = os.path.dirname(os.path.abspath(__file__))


def tree(i, splits, leaves):
    """splits: [(feature, threshold)] for nodes 0, 1, 2; leaves: values of nodes 3..6."""
    n = 7
    left = [1, 3, 5, -1, -1, -1, -1]
    right = [2, 4, 6, -1, -1, -1, -1]
    parents = [2147483647, 0, 0, 1, 1, 2, 2]
    cond = [s[1] for s in splits] + leaves
    idx = [s[0] for s in splits] + [0] * 4
    return {
        "base_weights": cond, "categories": [], "categories_nodes": [], "categories_segments": [],
        "categories_sizes": [], "default_left": [1, 1, 1, 0, 0, 0, 0], "id": i,
        "left_children": left, "loss_changes": [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        "parents": parents, "right_children": right, "split_conditions": cond,
        "split_indices": idx, "split_type": [0] * n, "sum_hessian": [10.0] * n,
        "tree_param": {"num_deleted": "0", "num_feature": "3", "num_nodes": str(n), "size_leaf_vector": "0"},
    }


trees = [
    # tenure < 12 ? (support_calls < 3 ? ...) : (monthly < 80 ? ...)
    tree(0, [(0, 12.0), (2, 3.0), (1, 80.0)], [0.2, 1.1, -0.9, 0.1]),
    tree(1, [(2, 4.0), (1, 60.0), (0, 24.0)], [-0.4, 0.15, 0.8, 0.05]),
]
model = {
    "learner": {
        "attributes": {}, "feature_names": [], "feature_types": [],
        "gradient_booster": {
            "model": {"gbtree_model_param": {"num_parallel_tree": "1", "num_trees": "2", "size_leaf_vector": "0"},
                      "tree_info": [0, 0], "trees": trees},
            "name": "gbtree",
        },
        "learner_model_param": {"base_score": "5E-1", "boost_from_average": "1", "num_class": "0",
                                "num_feature": "3", "num_target": "1"},
        "objective": {"name": "binary:logistic", "reg_loss_param": {"scale_pos_weight": "1"}},
    },
    "version": [1, 7, 4],
}
with open(os.path.join(here, "churn_classifier.json"), "w") as f:
    json.dump(model, f, separators=(",", ":"))
print("wrote", os.path.join(here, "churn_classifier.json"))
