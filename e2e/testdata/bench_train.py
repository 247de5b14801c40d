"""make bench-train: the Python side (bench_train_test.go drives it).

  gen DIR      writes DIR/data.csv (1,000,000 rows x 28 features, 5% missing,
               binary label y) and DIR/rows.f32 / DIR/labels.f32 (the same
               values as float32, as SQL reads the CSV)
  train DIR T  trains XGBoost on them with T threads (hist, depth 6, 100
               rounds), prints {"seconds": ...} and writes DIR/pred.f32
               (predictions of the first 1000 rows)
"""
import json
import os
import sys
import time

import numpy as np

N, NF = 1_000_000, 28


def gen(d):
    rng = np.random.default_rng(28)
    x = rng.normal(size=(N, NF)).astype(np.float32)
    w = rng.normal(size=NF)
    logit = np.nan_to_num(x).astype(np.float64) @ w / 3 + 0.5 * np.sin(3 * np.nan_to_num(x[:, 0]))
    y = (rng.random(N) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    x[rng.random(size=x.shape) < 0.05] = np.nan
    x.tofile(os.path.join(d, "rows.f32"))
    y.astype(np.float32).tofile(os.path.join(d, "labels.f32"))
    with open(os.path.join(d, "data.csv"), "w") as f:
        f.write(",".join(["f%d" % j for j in range(NF)] + ["y"]) + "\n")
        fmt = ",".join(["%.9g"] * NF)
        for i in range(N):
            f.write((fmt % tuple(x[i])).replace("nan", "") + ",%d\n" % y[i])


def train(d, threads):
    import xgboost as xgb
    x = np.fromfile(os.path.join(d, "rows.f32"), dtype=np.float32).reshape(N, NF)
    y = np.fromfile(os.path.join(d, "labels.f32"), dtype=np.float32)
    t0 = time.perf_counter()
    dtrain = xgb.DMatrix(x, label=y, feature_names=["f%d" % j for j in range(NF)], nthread=threads)
    params = {"objective": "binary:logistic", "max_depth": 6, "tree_method": "hist", "nthread": threads}
    bst = xgb.train(params, dtrain, 100, evals=[(dtrain, "train")], verbose_eval=False)
    secs = time.perf_counter() - t0
    bst.predict(xgb.DMatrix(x[:1000], feature_names=["f%d" % j for j in range(NF)])).astype(np.float32).tofile(os.path.join(d, "pred.f32"))
    print(json.dumps({"seconds": secs}))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        train(sys.argv[2], int(sys.argv[3]))
