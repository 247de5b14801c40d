#!/usr/bin/python3
"""Benchmark modelsql's XGBoost runtime against XGBoost's own CPU predictor.

    /usr/bin/python3 internal/xgboost/bench/bench.py [--rows N] [--quick]

(`make bench-xgboost` runs it.) For each case it trains a model with XGBoost
1.7.4 (cached under ~/.cache/modelsql-xgbench), draws the same rows for both
predictors, and for 1 and then 2 threads:

  * times XGBoost's Booster.inplace_predict (float32 rows, missing = NaN);
  * runs the Go program internal/xgboost/cmd/xgbench on the same model file
    and rows, which checks that its outputs equal XGBoost's bit for bit and
    times Model.Predict (1 thread) / Model.PredictParallel (2 threads).

Each timing is the best of several repetitions, and the two predictors are
alternated a few times (--rounds) on the same rows. It then measures loading a
~100 MB JSON model (XGBoost load_model vs modelsql Load) and the in-memory
size against the legacy binary file. The last line is
ratio_vs_xgboost_1thread=<x>: the smallest 1-thread speed ratio over the
cases.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import xgboost as xgb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "modelsql-xgbench")

CASES = [
    # name, objective, rounds, depth, classes, missing fraction
    ("500x6", "binary:logistic", 500, 6, 0, 0.0),
    ("500x8", "binary:logistic", 500, 8, 0, 0.0),
    ("3class_200x6", "multi:softprob", 200, 6, 3, 0.0),
    ("500x6_missing10", "binary:logistic", 500, 6, 0, 0.1),
]
NFEAT = 28


def data(n, seed, missing):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, NFEAT)).astype(np.float32)
    # Some structure so that trees grow to full depth.
    x[:, 1] = x[:, 0] * 0.5 + x[:, 1]
    if missing > 0:
        x[rng.random(x.shape) < missing] = np.nan
    return x


def train(name, objective, rounds, depth, classes, missing):
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, "%s.ubj" % name)
    if os.path.exists(path):
        return path
    x = data(20000, 1, missing)
    s = np.nan_to_num(x[:, 0]) + np.sin(np.nan_to_num(x[:, 1]) * 2) + 0.5 * np.nan_to_num(x[:, 2]) * np.nan_to_num(x[:, 3])
    s += np.random.default_rng(2).normal(size=len(s)) * 0.5
    params = {"objective": objective, "max_depth": depth, "eta": 0.05, "tree_method": "hist",
              "nthread": 2, "seed": 1, "min_child_weight": 0, "lambda": 1.0}
    if classes:
        params["num_class"] = classes
        y = np.digitize(s, [-0.5, 0.8]).astype(np.float32)
    else:
        y = (s > 0).astype(np.float32)
    bst = xgb.train(params, xgb.DMatrix(x, label=y, missing=np.nan), rounds)
    bst.save_model(path)
    return path


def best_of(fn, reps, min_time=1.0):
    """Best wall time of fn over reps runs (at least min_time seconds total)."""
    best = float("inf")
    t_end = time.perf_counter() + min_time
    i = 0
    while i < reps or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        i += 1
    return best


def go_bench(args):
    cmd = [os.environ.get("GO", "go"), "run", "./internal/xgboost/cmd/xgbench"] + args
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3, help="alternations of the two predictors per case")
    ap.add_argument("--quick", action="store_true", help="skip the 100 MB load test")
    a = ap.parse_args()
    assert xgb.__version__ == "1.7.4", "the reference is XGBoost 1.7.4, have " + xgb.__version__

    cpu = "unknown"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    print("machine: %s, %d logical CPUs, %s" % (cpu, os.cpu_count(), platform.platform()))
    print("xgboost %s (Booster.inplace_predict), %d rows of %d float32 features" % (xgb.__version__, a.rows, NFEAT))
    # Build the Go program once (go run below reuses the build cache).
    subprocess.run([os.environ.get("GO", "go"), "build", "-o", os.devnull, "./internal/xgboost/cmd/xgbench"], cwd=ROOT, check=True)

    tmp = tempfile.mkdtemp(prefix="xgbench")
    ratios1, ratios2 = [], []
    print("%-18s %7s %14s %14s %7s %s" % ("case", "threads", "xgboost rows/s", "modelsql rows/s", "ratio", "outputs"))
    for (name, objective, rounds, depth, classes, missing) in CASES:
        path = train(name, objective, rounds, depth, classes, missing)
        x = data(a.rows, 42, missing)
        xfile = os.path.join(tmp, name + ".x")
        x.tofile(xfile)
        bst = xgb.Booster(model_file=path)
        for threads in (1, 2):
            bst.set_param({"nthread": threads})
            out = bst.inplace_predict(x, missing=np.nan)
            want = np.ascontiguousarray(out, dtype=np.float32)
            wfile = os.path.join(tmp, name + ".want")
            want.tofile(wfile)
            # Alternate the two predictors a few times and keep the best of
            # each, so that a burst of load on a shared machine does not
            # favour one side.
            t_xgb, go_rps, res = float("inf"), 0.0, None
            for _ in range(a.rounds):
                t_xgb = min(t_xgb, best_of(lambda: bst.inplace_predict(x, missing=np.nan), a.reps))
                r = go_bench(["-model", path, "-x", xfile, "-want", wfile, "-rows", str(a.rows),
                              "-threads", str(threads), "-reps", str(a.reps)])
                if res is None or not r["identical"] or r["rows_per_sec"] > go_rps:
                    res, go_rps = r, r["rows_per_sec"]
                if not r["identical"]:
                    break
            xgb_rps = a.rows / t_xgb
            ratio = res["rows_per_sec"] / xgb_rps
            (ratios1 if threads == 1 else ratios2).append(ratio)
            print("%-18s %7d %14.0f %15.0f %6.2fx %s" % (name, threads, xgb_rps, res["rows_per_sec"], ratio,
                                                         "bit-identical" if res["identical"] else
                                                         "DIFFERENT (%d values)" % res["mismatches"]))
            sys.stdout.flush()
            if not res["identical"]:
                print("error: outputs differ from XGBoost", file=sys.stderr)
                sys.exit(1)

    if not a.quick:
        # A ~100 MB JSON model: 2000 trained trees of depth 8, repeated until
        # the file reaches 100 MB (a valid model XGBoost loads).
        path = os.path.join(CACHE, "big100.json")
        if not os.path.exists(path):
            x = data(20000, 3, 0.0)
            y = (x[:, 0] + np.sin(x[:, 1] * 3) > 0).astype(np.float32)
            params = {"objective": "binary:logistic", "max_depth": 8, "eta": 0.02, "tree_method": "hist",
                      "nthread": 2, "seed": 1, "min_child_weight": 0}
            big = xgb.train(params, xgb.DMatrix(x, label=y), 2000)
            doc = json.loads(big.save_raw("json").decode())
            model = doc["learner"]["gradient_booster"]["model"]
            trees = model["trees"]
            reps = max(1, int(np.ceil(100e6 / len(big.save_raw("json")))))
            model["trees"] = [dict(t, id=i) for i, t in enumerate(trees * reps)]
            model["tree_info"] = model["tree_info"] * reps
            model["gbtree_model_param"]["num_trees"] = str(len(model["trees"]))
            raw = json.dumps(doc, separators=(",", ":")).encode()
            big = xgb.Booster(model_file=bytearray(raw))
            big.save_model(path)  # re-saved by XGBoost: its own number format
            big.save_model(os.path.join(CACHE, "big100.model"))
        size_mb = os.path.getsize(path) / 1e6
        with open(path, "rb") as f:
            raw = f.read()
        xgb_load = best_of(lambda: xgb.Booster().load_model(bytearray(raw)), 3, min_time=0)
        res = go_bench(["-load", path, "-binary", os.path.join(CACHE, "big100.model"), "-reps", "3"])
        print("load %.0f MB JSON model: xgboost load_model %.2f s, modelsql Load %.2f s (%.2fx faster)" %
              (size_mb, xgb_load, res["load_seconds"], xgb_load / res["load_seconds"]))
        print("memory: modelsql model %.1f MB (MemoryBytes %.1f MB), legacy binary file %.1f MB: %.2fx the binary" %
              (res["heap_bytes"] / 1e6, res["memory_bytes"] / 1e6, res["binary_bytes"] / 1e6,
               res["heap_bytes"] / res["binary_bytes"]))

    print("ratio_vs_xgboost_2thread=%.2f" % min(ratios2))
    print("ratio_vs_xgboost_1thread=%.2f" % min(ratios1))


if __name__ == "__main__":
    main()
