#!/usr/bin/python3
"""Generate the golden fixtures of internal/train from real XGBoost.

Run with Debian's interpreter and packages (python3-xgboost 1.7.4,
python3-sklearn):

    /usr/bin/python3 internal/train/testdata/gen.py

(`make fixtures` does this.) For each case it writes testdata/golden/<case>.csv
(the rows, as SQL would read them: empty = NULL) and one gzip-compressed
manifest, testdata/golden/manifest.json.gz, with per case:

  * the training parameters and rounds, as modelsql's OPTIONS and as the
    XGBoost parameters they mean;
  * the booster xgboost.train() produces from the same rows (JSON), and its
    per-round evaluation history;
  * on all rows: Booster.predict, pred_contribs (SHAP), get_score for every
    importance type, and scikit-learn's metrics of those predictions.

Float32 values are stored as the hex of their bit pattern; float64 metrics
as JSON numbers (repr round-trips).

Cases: a regressor, a binary classifier with string labels and a
multi-class classifier with integer labels, all with missing values, one
with early stopping on a held-out fraction and one with DATA_SPLIT_COL.
"""

import gzip
import json
import os

import numpy as np
import xgboost as xgb
from sklearn import metrics

assert xgb.__version__ == "1.7.4", "fixtures are defined against XGBoost 1.7.4, have " + xgb.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "golden")
NTHREAD = 1


def hexf(a):
    a = np.ascontiguousarray(np.asarray(a, dtype=np.float32)).ravel()
    return a.view(np.uint32).astype(">u4").tobytes().hex()


def make_x(rng, n, nf, missing=0.1):
    x = rng.normal(size=(n, nf)).astype(np.float32)
    x[rng.random(size=(n, nf)) < missing] = np.nan
    return x


def write_csv(path, names, x, label_name, labels, split=None):
    with open(path, "w") as f:
        cols = list(names) + [label_name] + (["is_eval"] if split is not None else [])
        f.write(",".join(cols) + "\n")
        for i in range(x.shape[0]):
            vals = ["" if np.isnan(v) else repr(float(v)) for v in x[i]]
            vals.append(str(labels[i]))
            if split is not None:
                vals.append("true" if split[i] else "false")
            f.write(",".join(vals) + "\n")


def case(name, x, label_col, raw_labels, model_type, options, params, rounds, early, eval_mask):
    names = ["f%d" % j for j in range(x.shape[1])]
    if model_type == "BOOSTED_TREE_CLASSIFIER":
        classes = sorted(set(raw_labels), key=lambda v: (isinstance(v, str), v))
        code = {c: i for i, c in enumerate(classes)}
        y = np.array([code[v] for v in raw_labels], dtype=np.float32)
    else:
        classes = None
        y = np.asarray(raw_labels, dtype=np.float32)
    split = eval_mask if options.get("DATA_SPLIT_COL") else None
    write_csv(os.path.join(OUT, name + ".csv"), names, x, label_col, raw_labels, split)
    tr = ~eval_mask
    dtrain = xgb.DMatrix(x[tr], label=y[tr], feature_names=names, nthread=NTHREAD)
    evals = [(dtrain, "train")]
    if eval_mask.any():
        deval = xgb.DMatrix(x[eval_mask], label=y[eval_mask], feature_names=names, nthread=NTHREAD)
        evals.append((deval, "eval"))
    hist = {}
    callbacks = []
    if early:
        callbacks.append(xgb.callback.EarlyStopping(rounds=early, save_best=True))
    bst = xgb.train(dict(params), dtrain, rounds, evals=evals, evals_result=hist,
                    callbacks=callbacks, verbose_eval=False)
    dall = xgb.DMatrix(x, feature_names=names, nthread=NTHREAD)
    pred = bst.predict(dall)
    contribs = bst.predict(dall, pred_contribs=True)
    scores = {t: bst.get_score(importance_type=t)
              for t in ("weight", "gain", "cover", "total_gain", "total_cover")}
    out = {
        "model_type": model_type, "label_col": label_col, "options": options,
        "params": params, "rounds": rounds, "early_stop": early,
        "features": names, "rows": int(x.shape[0]), "train_rows": int(tr.sum()),
        "classes": [str(c) for c in classes] if classes else None,
        "model_json": json.loads(bst.save_raw("json").decode()),
        "history": hist, "num_rounds": bst.num_boosted_rounds(),
        "predict": hexf(pred), "predict_shape": list(pred.shape),
        "contribs": hexf(contribs), "contribs_shape": list(contribs.shape),
        "scores": scores,
    }
    # The true labels as SQL holds them (DOUBLE for a regressor).
    yt = y.astype(np.int64) if classes else np.asarray(raw_labels, dtype=np.float64)
    if model_type == "BOOSTED_TREE_REGRESSOR":
        p = pred.astype(np.float64)
        out["metrics"] = {
            "mean_absolute_error": metrics.mean_absolute_error(yt, p),
            "mean_squared_error": metrics.mean_squared_error(yt, p),
            "root_mean_squared_error": float(np.sqrt(metrics.mean_squared_error(yt, p))),
            "r2_score": metrics.r2_score(yt, p),
            "explained_variance": metrics.explained_variance_score(yt, p),
        }
    else:
        if pred.ndim == 1:
            # ML_PREDICT's probs are float32 [1-p, p]; metrics use them as given.
            probs = np.stack([(np.float32(1) - pred).astype(np.float32), pred], axis=1).astype(np.float64)
        else:
            probs = pred.astype(np.float64)
        labels = probs.argmax(axis=1)
        avg = "binary" if probs.shape[1] == 2 else "macro"
        out["metrics"] = {
            "accuracy": metrics.accuracy_score(yt, labels),
            "precision": metrics.precision_score(yt, labels, average=avg, zero_division=0),
            "recall": metrics.recall_score(yt, labels, average=avg, zero_division=0),
            "f1_score": metrics.f1_score(yt, labels, average=avg, zero_division=0),
            "log_loss": metrics.log_loss(yt, probs, labels=list(range(probs.shape[1]))),
            "roc_auc": (metrics.roc_auc_score(yt, probs[:, 1]) if probs.shape[1] == 2 else
                        metrics.roc_auc_score(yt, probs, multi_class="ovr", average="macro")),
        }
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261206)
    manifest = {"xgboost": xgb.__version__, "cases": {}}

    # Regressor: early stopping on the last 20% of rows (DATA_SPLIT_EVAL_FRACTION).
    n, nf = 1200, 6
    x = make_x(rng, n, nf)
    xz = np.nan_to_num(x)
    y = (2 * xz[:, 0] - xz[:, 1] + 0.5 * xz[:, 2] * xz[:, 3] + rng.normal(scale=0.3, size=n)).astype(np.float32)
    y = np.round(y.astype(np.float64), 3)
    eval_mask = np.zeros(n, dtype=bool)
    eval_mask[n - int(np.ceil(0.2 * n)):] = True
    manifest["cases"]["regressor"] = case(
        "regressor", x, "y", list(y), "BOOSTED_TREE_REGRESSOR",
        {"MAX_DEPTH": "4", "LEARNING_RATE": "0.2", "NUM_ROUNDS": "40", "SUBSAMPLE": "0.8",
         "COLSAMPLE_BYTREE": "0.9", "L2_REG": "2", "SEED": "7", "EARLY_STOP_ROUNDS": "3",
         "DATA_SPLIT_EVAL_FRACTION": "0.2", "NUM_THREADS": "1"},
        [("objective", "reg:squarederror"), ("max_depth", "4"), ("eta", "0.2"), ("subsample", "0.8"),
         ("colsample_bytree", "0.9"), ("lambda", "2"), ("seed", "7"), ("nthread", "1")],
        40, 3, eval_mask)

    # Binary classifier with string labels; no evaluation set.
    n, nf = 1000, 5
    x = make_x(rng, n, nf)
    xz = np.nan_to_num(x)
    logit = 1.5 * xz[:, 0] - xz[:, 2] + 0.7 * xz[:, 4]
    lab = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    manifest["cases"]["binary"] = case(
        "binary", x, "churned", list(lab), "BOOSTED_TREE_CLASSIFIER",
        {"MAX_DEPTH": "3", "NUM_ROUNDS": "15", "MIN_CHILD_WEIGHT": "2", "L1_REG": "0.5",
         "COLSAMPLE_BYNODE": "0.8", "SEED": "3", "NUM_THREADS": "1"},
        [("objective", "binary:logistic"), ("max_depth", "3"), ("min_child_weight", "2"),
         ("alpha", "0.5"), ("colsample_bynode", "0.8"), ("seed", "3"), ("nthread", "1")],
        15, 0, np.zeros(n, dtype=bool))

    # Multi-class with integer labels 10/20/30; evaluation rows from DATA_SPLIT_COL.
    n, nf = 900, 4
    x = make_x(rng, n, nf)
    xz = np.nan_to_num(x)
    k = np.argmax(np.stack([xz[:, 0], xz[:, 1] - 0.3, -xz[:, 0] - xz[:, 1]], axis=1)
                  + rng.normal(scale=0.5, size=(n, 3)), axis=1)
    lab = [int(v) for v in (k + 1) * 10]
    eval_mask = rng.random(n) < 0.25
    manifest["cases"]["multiclass"] = case(
        "multiclass", x, "kind", lab, "BOOSTED_TREE_CLASSIFIER",
        {"MAX_DEPTH": "5", "LEARNING_RATE": "0.1", "NUM_ROUNDS": "12", "SUBSAMPLE": "0.9",
         "MIN_SPLIT_LOSS": "0.1", "SEED": "11", "DATA_SPLIT_COL": "is_eval", "NUM_THREADS": "1"},
        [("objective", "multi:softprob"), ("num_class", "3"), ("max_depth", "5"), ("eta", "0.1"),
         ("subsample", "0.9"), ("gamma", "0.1"), ("seed", "11"), ("nthread", "1")],
        12, 0, eval_mask)

    # mtime=0: regenerating the same fixtures gives the same bytes.
    with open(os.path.join(OUT, "manifest.json.gz"), "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(json.dumps(manifest, sort_keys=True).encode())


if __name__ == "__main__":
    main()
