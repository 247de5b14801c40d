#!/usr/bin/python3
"""Helper of `make bench-sql` (e2e/bench_sql_test.go), run with Debian's
python3-xgboost 1.7.4.

  bench_sql.py train DIR       trains a 100-tree, depth-6 regressor and binary
                               classifier over 28 features and writes
                               DIR/model.json, DIR/cls.json and DIR/rows.f32
                               (1,000,000 rows, float32, row-major)
  bench_sql.py predict DIR N [MODEL]
                               times XGBoost inplace_predict of DIR/MODEL.json
                               (default model) over the rows with N threads
                               (best of 3) and writes its outputs to DIR/xgb.f32
                               (DIR/xgb_MODEL.f32 for another model)
"""
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb

ROWS, FEATURES = 1_000_000, 28


def train(d):
    rng = np.random.default_rng(28)
    X = rng.normal(size=(20000, FEATURES)).astype(np.float32)
    y = X[:, 0] * 2 + np.sin(X[:, 1] * 3) + X[:, 2] * X[:, 3] + rng.normal(0, 0.1, 20000)
    bst = xgb.train({"max_depth": 6, "eta": 0.1, "objective": "reg:squarederror", "tree_method": "hist",
                     "max_bin": 256, "seed": 1}, xgb.DMatrix(X, label=y), num_boost_round=100)
    bst.save_model(os.path.join(d, "model.json"))
    cls = xgb.train({"max_depth": 6, "eta": 0.1, "objective": "binary:logistic", "tree_method": "hist",
                     "max_bin": 256, "seed": 1}, xgb.DMatrix(X, label=y > np.median(y)), num_boost_round=100)
    cls.save_model(os.path.join(d, "cls.json"))
    rows = rng.normal(size=(ROWS, FEATURES)).astype(np.float32)
    rows[rng.random(size=rows.shape) < 0.05] = np.nan
    rows.tofile(os.path.join(d, "rows.f32"))


def predict(d, threads, model):
    bst = xgb.Booster(model_file=os.path.join(d, model + ".json"))
    bst.set_param({"nthread": threads})
    rows = np.fromfile(os.path.join(d, "rows.f32"), dtype=np.float32).reshape(-1, FEATURES)
    best = None
    for _ in range(3):
        t = time.perf_counter()
        out = bst.inplace_predict(rows)
        el = time.perf_counter() - t
        best = el if best is None else min(best, el)
    out.astype(np.float32).tofile(os.path.join(d, "xgb.f32" if model == "model" else "xgb_" + model + ".f32"))
    print(json.dumps({"seconds": best, "rows": len(rows)}))


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2])
    else:
        predict(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "model")
