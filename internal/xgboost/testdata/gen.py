#!/usr/bin/python3
"""Generate the golden fixtures of internal/xgboost from real XGBoost.

Run with Debian's interpreter and packages (python3-xgboost 1.7.4,
python3-sklearn 1.2.1, numpy 1.24):

    /usr/bin/python3 internal/xgboost/testdata/gen.py

(`make fixtures` does this.) It writes testdata/golden/manifest.json.gz (gzip-compressed JSON) and the
model files under testdata/golden/models/. The Go tests only read these files,
so `make test` needs no Python.

Every value is stored as the hex of its float32 bit pattern (8 hex digits per
value, most significant first), so the tests can demand bit equality.

Cases:
  * a matrix of small models: every objective XGBoost 1.7.4 supports x
    gbtree/dart/gblinear x inputs with and without missing values, each saved
    as JSON, UBJSON and the legacy binary format; categorical splits (hist,
    enable_categorical; one-hot and partition splits) for gbtree and dart,
    JSON and UBJSON only (the binary format cannot hold them); binary and
    multi-class classifiers. Expected outputs are Booster.predict with and
    without output_margin, and with an iteration_range;
  * a larger model (100 trees of depth 6) to exercise accumulation and the
    expf/logf ports on thousands of rows;
  * scikit-learn classifiers with early stopping (best_iteration, predict,
    predict_proba);
  * a pre-1.0 binary model constructed by hand from a 1.7 binary model (see
    pre10_from_binf), with expected values from XGBoost 1.7.4 loading it;
  * hand-made models using fields only XGBoost 2.x/3.x write (array
    base_score, iteration_indptr, the 3.4 DART layout, "cats"), or 1.0-1.5
    (boolean default_left, no split_type), with expected values from the
    equivalent 1.7 model;
  * edge cases accepted by 1.7.4 itself (NaN/Infinity thresholds), with
    expected values from 1.7.4 loading the edited model;
  * models that must be refused (vector-leaf trees, non-adjacent children).
"""

import gzip
import json
import os
import shutil
import struct
import sys

import numpy as np
import xgboost as xgb

assert xgb.__version__ == "1.7.4", "fixtures are defined against XGBoost 1.7.4, have " + xgb.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "golden")
MODELS = os.path.join(OUT, "models")

NTHREAD = 1


def hexf(a):
    a = np.ascontiguousarray(np.asarray(a, dtype=np.float32)).ravel()
    return a.view(np.uint32).astype(">u4").tobytes().hex()


# ---------------------------------------------------------------- datasets

def make_datasets():
    rng = np.random.default_rng(20241124)
    n, f = 160, 6
    x = rng.normal(size=(n, f)).astype(np.float32)
    x[:, 5] = np.round(x[:, 5] * 3).astype(np.float32)  # many ties: equality with thresholds
    xm = x.copy()
    xm[rng.random(x.shape) < 0.15] = np.nan
    # Extra prediction rows: huge values, negative zero, all missing.
    # (XGBoost refuses infinite inputs, so there are none.)
    extra = np.array([
        [3.4e38, -3.4e38, 0.0, -0.0, 1e30, -1e30],
        [-3.4e38, 3.4e38, -0.0, 0.0, -1e30, 1e30],
        [np.nan] * 6,
        [0.0] * 6,
        [-0.0] * 6,
        [1e-40, -1e-40, 3.4e38, -3.4e38, 1.0, -1.0],
    ], dtype=np.float32)
    # Categorical: features 2 (5 categories: partition splits) and 3 (3
    # categories: one-hot splits).
    xc = x.copy()
    xc[:, 2] = rng.integers(0, 5, size=n).astype(np.float32)
    xc[:, 3] = rng.integers(0, 3, size=n).astype(np.float32)
    xcm = xc.copy()
    xcm[rng.random(x.shape) < 0.15] = np.nan
    cat_extra = np.array([
        [0.1, 0.2, -1.0, -1.0, 0.3, 1.0],        # negative codes
        [0.1, 0.2, 7.0, 5.0, 0.3, 1.0],          # unseen codes
        [0.1, 0.2, 16777216.0, 16777215.0, 0.3, 1.0],  # >= 2^24 and just below
        [0.1, 0.2, 2.7, 1.5, 0.3, 1.0],          # fractional: truncated
        [0.1, 0.2, -0.5, -0.0, 0.3, 1.0],        # (-1, 0) and negative zero
        [0.1, 0.2, np.nan, np.nan, 0.3, 1.0],
    ], dtype=np.float32)
    ds = {
        "num": (x, np.vstack([x, extra])),
        "num_missing": (xm, np.vstack([xm, extra])),
        "cat": (xc, np.vstack([xc, cat_extra])),
        "cat_missing": (xcm, np.vstack([xcm, cat_extra])),
    }
    return ds, rng


def labels(objective, x, rng):
    n = x.shape[0]
    s = np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 1]) - 0.3 * np.nan_to_num(x[:, 4])
    s = s + 0.3 * rng.normal(size=n)
    if objective.startswith("multi:"):
        return np.digitize(s, [-0.5, 0.5]).astype(np.float32)
    if objective.startswith("binary:") or objective == "reg:logistic":
        if objective == "reg:logistic":
            return (1 / (1 + np.exp(-s))).astype(np.float32)
        return (s > 0).astype(np.float32)
    if objective in ("count:poisson",):
        return rng.poisson(np.exp(0.5 * s)).astype(np.float32)
    if objective in ("reg:gamma", "reg:tweedie"):
        return np.exp(0.5 * s).astype(np.float32)
    if objective == "survival:cox":
        t = np.exp(0.3 * s) + 0.1
        cens = rng.random(n) < 0.3
        return np.where(cens, -t, t).astype(np.float32)
    if objective.startswith("rank:"):
        return np.clip(np.round(s + 1), 0, 3).astype(np.float32)
    if objective == "reg:squaredlogerror":
        return np.exp(0.5 * s).astype(np.float32)
    return s.astype(np.float32)


def dmatrix(x, y=None, cat=False, objective=None, rng=None):
    kw = {}
    if cat:
        kw = dict(enable_categorical=True, feature_types=["q", "q", "c", "c", "q", "q"])
    d = xgb.DMatrix(x, label=y, missing=np.nan, nthread=NTHREAD, **kw)
    if objective == "survival:aft":
        lo = np.exp(0.5 * y).astype(np.float32)
        hi = np.where(rng.random(len(y)) < 0.3, np.inf, lo).astype(np.float32)
        d.set_float_info("label_lower_bound", lo)
        d.set_float_info("label_upper_bound", hi)
    if objective is not None and objective.startswith("rank:"):
        d.set_group([16] * (x.shape[0] // 16))
    return d


# ---------------------------------------------------------------- helpers

manifest = {"xgboost_version": xgb.__version__, "datasets": {}, "cases": [], "errors": []}


def save_all(bst, name, formats=("json", "ubj", "model")):
    files = []
    for ext in formats:
        rel = "models/%s.%s" % (name, ext)
        bst.save_model(os.path.join(OUT, rel))
        files.append(rel)
    return files


def expectations(bst, dpred, ranges=((0, 0),), base_margin=None):
    out = []
    if base_margin is not None:
        dpred.set_base_margin(base_margin)
    for (b, e) in ranges:
        for margin in (False, True):
            p = bst.predict(dpred, output_margin=margin, iteration_range=(b, e))
            out.append({"iteration_begin": b, "iteration_end": e, "output_margin": margin,
                        "shape": list(p.shape), "values": hexf(p)})
    return out


def add_case(name, dataset, files, objective, booster, expect, **extra):
    c = {"name": name, "dataset": dataset, "files": files, "objective": objective,
         "booster": booster, "expect": expect}
    c.update(extra)
    manifest["cases"].append(c)


OBJECTIVES = [
    "reg:squarederror", "reg:squaredlogerror", "reg:pseudohubererror", "reg:absoluteerror",
    "reg:logistic", "binary:logistic", "binary:logitraw", "binary:hinge",
    "count:poisson", "reg:gamma", "reg:tweedie", "survival:cox", "survival:aft",
    "rank:pairwise", "rank:ndcg", "rank:map", "multi:softmax", "multi:softprob",
]


def params_for(objective, booster, cat=False):
    p = {"objective": objective, "booster": booster, "nthread": NTHREAD, "seed": 7,
         "eta": 0.4, "max_depth": 3, "tree_method": "hist"}
    if objective.startswith("multi:"):
        p["num_class"] = 3
    if objective == "survival:aft":
        p["aft_loss_distribution"] = "normal"
    if booster == "dart":
        p.update(rate_drop=0.3, skip_drop=0.0, sample_type="uniform", normalize_type="tree")
    if booster == "gblinear":
        p = {k: v for k, v in p.items() if k not in ("max_depth", "tree_method")}
        p.update(updater="coord_descent", feature_selector="cyclic", alpha=0.01, **{"lambda": 0.1})
    if cat:
        p["max_cat_to_onehot"] = 4  # 3 categories: one-hot; 5: partition
    return p


def short(objective):
    return objective.replace(":", "_")


# ---------------------------------------------------------------- matrix

def gen_matrix(ds, rng):
    for objective in OBJECTIVES:
        for booster in ("gbtree", "dart", "gblinear"):
            for dsname in ("num", "num_missing"):
                xtr, xpred = ds[dsname]
                y = labels(objective, xtr, rng)
                d = dmatrix(xtr, y, objective=objective, rng=rng)
                rounds = 4
                bst = xgb.train(params_for(objective, booster), d, rounds)
                name = "%s_%s_%s" % (short(objective), booster, dsname)
                files = save_all(bst, name)
                ranges = ((0, 0), (1, 3)) if booster != "gblinear" else ((0, 0),)
                add_case(name, dsname, files, objective, booster,
                         expectations(bst, dmatrix(xpred), ranges))
    # Categorical splits (hist only), JSON and UBJSON.
    for objective in ("binary:logistic", "reg:squarederror", "multi:softprob", "count:poisson", "multi:softmax"):
        for booster in ("gbtree", "dart"):
            for dsname in ("cat", "cat_missing"):
                xtr, xpred = ds[dsname]
                y = labels(objective, xtr, rng)
                # Make the categories matter.
                y = y + (np.nan_to_num(xtr[:, 2], nan=0) % 2).astype(np.float32) if objective == "reg:squarederror" else y
                d = dmatrix(xtr, y, cat=True, objective=objective, rng=rng)
                bst = xgb.train(params_for(objective, booster, cat=True), d, 4)
                name = "%s_%s_%s" % (short(objective), booster, dsname)
                files = save_all(bst, name, formats=("json", "ubj"))
                add_case(name, dsname, files, objective, booster,
                         expectations(bst, dmatrix(xpred, cat=True), ((0, 0), (1, 3))))


def gen_special(ds, rng):
    x, xpred = ds["num_missing"]
    # Random forest in boosting rounds: num_parallel_tree = 3, multi-class.
    y = labels("multi:softprob", x, rng)
    p = params_for("multi:softprob", "gbtree")
    p.update(num_parallel_tree=3, subsample=0.8, colsample_bynode=0.8)
    bst = xgb.train(p, dmatrix(x, y), 3)
    files = save_all(bst, "forest_multi_softprob")
    add_case("forest_multi_softprob", "num_missing", files, "multi:softprob", "gbtree",
             expectations(bst, dmatrix(xpred), ((0, 0), (1, 2), (0, 1), (2, 3))))

    # A larger model: 100 trees of depth 6 on 2048 rows (accumulation, expf),
    # stored gzip-compressed.
    r2 = np.random.default_rng(5)
    xl = r2.normal(size=(2048, 8)).astype(np.float32)
    xl[r2.random(xl.shape) < 0.1] = np.nan
    manifest["datasets"]["large"] = {"nrows": xl.shape[0], "nfeat": xl.shape[1], "x": hexf(xl)}
    for objective in ("binary:logistic", "multi:softprob", "count:poisson"):
        y = labels(objective, xl, r2)
        p = params_for(objective, "gbtree")
        p.update(max_depth=6, eta=0.1)
        bst = xgb.train(p, dmatrix(xl, y), 100 if objective != "multi:softprob" else 40)
        name = "large_" + short(objective)
        files = save_all(bst, name, formats=("ubj",))
        with open(os.path.join(OUT, files[0]), "rb") as f:
            raw = f.read()
        os.remove(os.path.join(OUT, files[0]))
        files = [files[0] + ".gz"]
        with gzip.GzipFile(os.path.join(OUT, files[0]), "wb", mtime=0) as f:
            f.write(raw)
        add_case(name, "large", files, objective, "gbtree", expectations(bst, dmatrix(xl)))

    # scikit-learn classifiers with early stopping.
    from xgboost import XGBClassifier
    for objective, n_class in (("binary:logistic", 2), ("multi:softprob", 3)):
        y = labels("multi:softprob" if n_class == 3 else "binary:logistic", x, rng).astype(int)
        clf = XGBClassifier(n_estimators=30, max_depth=3, learning_rate=0.5, tree_method="hist",
                            n_jobs=NTHREAD, random_state=3, early_stopping_rounds=2,
                            eval_metric="mlogloss" if n_class == 3 else "logloss")
        xv = x[:40]
        yv = 1 - y[:40] if n_class == 2 else (y[:40] + 1) % 3  # a bad validation set stops early
        clf.fit(x, y, eval_set=[(xv, yv)], verbose=False)
        name = "sklearn_" + short(objective)
        clf.save_model(os.path.join(OUT, "models", name + ".json"))
        clf.save_model(os.path.join(OUT, "models", name + ".ubj"))
        bst = clf.get_booster()
        labels_ = clf.predict(xpred)
        proba = clf.predict_proba(xpred)
        add_case(name, "num_missing", ["models/%s.json" % name, "models/%s.ubj" % name], objective, "gbtree",
                 expectations(bst, dmatrix(xpred), ((0, 0),)),
                 sklearn={"best_iteration": int(clf.best_iteration),
                          "labels": [int(v) for v in labels_],
                          "proba": hexf(proba), "proba_shape": list(proba.shape)})


# ---------------------------------------------------------------- pre-1.0

def pre10_from_binf(data, objective_name=None):
    """Turn a 1.x binary model into the layout of XGBoost < 1.0.

    The differences are all in the header: no "binf" magic; the version fields
    of LearnerModelParam (and num_target, boost_from_average) are zero
    (reserved); base_score is stored as a margin (ProbToMargin already
    applied), and no extra attributes. The trees are unchanged.
    """
    assert data[:4] == b"binf"
    d = bytearray(data[4:])
    base_score, num_feature, num_class, attrs, metrics, major, minor, ntarget, bfa = struct.unpack_from("<fIiiiIIIi", d, 0)
    n = struct.unpack_from("<Q", d, 136)[0]
    obj = bytes(d[144:144 + n]).decode()
    if obj in ("binary:logistic", "reg:logistic"):
        margin = -np.log(np.float32(1) / np.float32(base_score) - np.float32(1))
    elif obj in ("count:poisson", "reg:gamma", "reg:tweedie"):
        margin = np.log(np.float32(base_score))
    else:
        margin = np.float32(base_score)
    struct.pack_into("<fIiiiIIIi", d, 0, np.float32(margin), num_feature, num_class, 0, 0, 0, 0, 0, 0)
    rest = bytes(d[144 + n:])
    name = (objective_name or obj).encode()
    out = bytes(d[:136]) + struct.pack("<Q", len(name)) + name + rest
    if attrs:
        # Drop the trailing attribute vector (1.x writes it last).
        out = strip_attrs(out)
    return out


def strip_attrs(b):
    """Remove the attribute vector at the end of a binary gbtree model."""
    p = 136
    for _ in range(2):  # objective, booster names
        n = struct.unpack_from("<Q", b, p)[0]
        p += 8 + n
    num_trees = struct.unpack_from("<i", b, p)[0]
    p += 160
    for _ in range(num_trees):
        nn = struct.unpack_from("<i", b, p + 4)[0]
        p += 148 + 36 * nn
    p += 4 * num_trees
    return b[:p]


def gen_pre10(ds, rng):
    x, xpred = ds["num_missing"]
    for objective, saved_name in (("binary:logistic", None), ("count:poisson", None),
                                  ("multi:softprob", None), ("reg:squarederror", "reg:linear")):
        y = labels(objective, x, rng)
        bst = xgb.train(params_for(objective, "gbtree"), dmatrix(x, y), 4)
        tmp = os.path.join(OUT, "tmp.model")
        bst.save_model(tmp)
        with open(tmp, "rb") as f:
            data = f.read()
        os.remove(tmp)
        old = pre10_from_binf(data, saved_name)
        name = "pre10_" + short(objective)
        with open(os.path.join(MODELS, name + ".model"), "wb") as f:
            f.write(old)
        old_bst = xgb.Booster(model_file=bytearray(old))
        add_case(name, "num_missing", ["models/%s.model" % name], saved_name or objective, "gbtree",
                 expectations(old_bst, dmatrix(xpred)))


# ---------------------------------------------------------------- 2.x / 3.x

UBJ_TYPED = {
    "split_conditions": "d", "base_weights": "d", "loss_changes": "d", "sum_hessian": "d",
    "left_children": "l", "right_children": "l", "parents": "l", "split_indices": "l",
    "categories": "l", "categories_nodes": "l",
    "categories_segments": "L", "categories_sizes": "L",
    "default_left": "U", "split_type": "U", "weights": "d",
}


def ubj_encode(v, key=None):
    """UBJSON as XGBoost writes it (big endian, keys without 'S', counted
    arrays without ']')."""
    if isinstance(v, dict):
        out = b"{"
        for k, x in v.items():
            kb = k.encode()
            out += b"L" + struct.pack(">q", len(kb)) + kb + ubj_encode(x, k)
        return out + b"}"
    if isinstance(v, list):
        t = UBJ_TYPED.get(key)
        if t is not None:
            fmt = {"d": ">f", "l": ">i", "L": ">q", "U": ">B"}[t]
            body = b"".join(struct.pack(fmt, (float(e) if t == "d" else int(e))) for e in v)
            return b"[$" + t.encode() + b"#L" + struct.pack(">q", len(v)) + body
        return b"[#L" + struct.pack(">q", len(v)) + b"".join(ubj_encode(e) for e in v)
    if isinstance(v, bool):
        return b"T" if v else b"F"
    if isinstance(v, int):
        return b"L" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"d" + struct.pack(">f", v)
    if isinstance(v, str):
        b = v.encode()
        return b"SL" + struct.pack(">q", len(b)) + b
    if v is None:
        return b"Z"
    raise TypeError(type(v))


def write_doc(doc, name, formats=("json", "ubj")):
    files = []
    for ext in formats:
        rel = "models/%s.%s" % (name, ext)
        with open(os.path.join(OUT, rel), "wb") as f:
            if ext == "json":
                f.write(json.dumps(doc, separators=(",", ":"), allow_nan=True).encode())
            else:
                f.write(ubj_encode(doc))
        files.append(rel)
    return files


def model_doc(bst):
    return json.loads(bst.save_raw("json").decode())


def indptr(doc, groups, npt):
    gb = doc["learner"]["gradient_booster"]
    n = len((gb["gbtree"] if gb["name"] == "dart" else gb)["model"]["trees"])
    layer = groups * npt
    return list(range(0, n + 1, layer))


def gen_v2v3(ds, rng):
    x, xpred = ds["num_missing"]

    # 2.x: iteration_indptr, num_target, version 2.1.4; multi-class forest.
    y = labels("multi:softprob", x, rng)
    p = params_for("multi:softprob", "gbtree")
    p.update(num_parallel_tree=2)
    bst = xgb.train(p, dmatrix(x, y), 3)
    doc = model_doc(bst)
    doc["version"] = [2, 1, 4]
    doc["learner"]["gradient_booster"]["model"]["iteration_indptr"] = indptr(doc, 3, 2)
    del doc["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["size_leaf_vector"]
    add_case("v2_indptr_forest", "num_missing", write_doc(doc, "v2_indptr_forest"), "multi:softprob", "gbtree",
             expectations(bst, dmatrix(xpred), ((0, 0), (1, 3), (0, 1))))

    # 3.1: base_score as an array string, one value per class, and a "cats"
    # recoder object. Expected: the 1.7 model predicting with the same
    # per-class base margins.
    y = labels("multi:softprob", x, rng)
    bst = xgb.train(params_for("multi:softprob", "gbtree"), dmatrix(x, y), 4)
    doc = model_doc(bst)
    doc["version"] = [3, 1, 0]
    bs = np.array([0.25, -1.5, 0.75], dtype=np.float32)
    doc["learner"]["learner_model_param"]["base_score"] = "[2.5E-1,-1.5E0,7.5E-1]"
    doc["learner"]["gradient_booster"]["model"]["iteration_indptr"] = indptr(doc, 3, 1)
    doc["learner"]["gradient_booster"]["model"]["cats"] = {"enc": [], "feature_segments": [], "sorted_idx": []}
    bm = np.tile(bs, (xpred.shape[0], 1))
    add_case("v31_base_score_vector", "num_missing", write_doc(doc, "v31_base_score_vector"), "multi:softprob", "gbtree",
             expectations(bst, dmatrix(xpred), base_margin=bm))

    # 3.1: a one-element array base_score for binary:logistic.
    y = labels("binary:logistic", x, rng)
    p = params_for("binary:logistic", "gbtree")
    p["base_score"] = 0.3
    bst = xgb.train(p, dmatrix(x, y), 4)
    doc = model_doc(bst)
    assert doc["learner"]["learner_model_param"]["base_score"] == "3E-1"
    doc["version"] = [3, 1, 0]
    doc["learner"]["learner_model_param"]["base_score"] = "[3E-1]"
    add_case("v31_base_score_array", "num_missing", write_doc(doc, "v31_base_score_array"), "binary:logistic", "gbtree",
             expectations(bst, dmatrix(xpred)))

    # 3.2: the logistic intercept is clamped to [1e-6, 1-1e-6]. Expected:
    # the 1.7 model with base_score = 1e-6.
    p["base_score"] = 1e-6
    bst = xgb.train(p, dmatrix(x, y), 4)
    doc = model_doc(bst)
    doc["version"] = [3, 2, 0]
    doc["learner"]["learner_model_param"]["base_score"] = "[0E0]"
    add_case("v32_base_score_clamped", "num_missing", write_doc(doc, "v32_base_score_clamped"), "binary:logistic", "gbtree",
             expectations(bst, dmatrix(xpred)))

    # 3.4: DART weights inside the tree model, booster named "gbtree".
    y = labels("reg:squarederror", x, rng)
    bst = xgb.train(params_for("reg:squarederror", "dart"), dmatrix(x, y), 5)
    old = model_doc(bst)
    gb = old["learner"]["gradient_booster"]
    assert gb["name"] == "dart"
    model = gb["gbtree"]["model"]
    model["weight_drop"] = gb["weight_drop"]
    model["iteration_indptr"] = indptr(old, 1, 1)
    old["learner"]["gradient_booster"] = {"name": "gbtree", "model": model}
    old["version"] = [3, 4, 1]
    add_case("v34_dart_in_model", "num_missing", write_doc(old, "v34_dart_in_model"), "reg:squarederror", "dart",
             expectations(bst, dmatrix(xpred), ((0, 0), (2, 5))))

    # 1.0-1.5: default_left as booleans, no split_type / categories.
    y = labels("binary:logistic", x, rng)
    bst = xgb.train(params_for("binary:logistic", "gbtree"), dmatrix(x, y), 4)
    doc = model_doc(bst)
    doc["version"] = [1, 3, 0]
    for t in doc["learner"]["gradient_booster"]["model"]["trees"]:
        t["default_left"] = [bool(v) for v in t["default_left"]]
        for k in ("split_type", "categories", "categories_nodes", "categories_segments", "categories_sizes"):
            del t[k]
    del doc["learner"]["learner_model_param"]["num_target"]
    del doc["learner"]["learner_model_param"]["boost_from_average"]
    add_case("v13_bool_default_left", "num_missing", write_doc(doc, "v13_bool_default_left", ("json",)),
             "binary:logistic", "gbtree", expectations(bst, dmatrix(xpred)))

    # Edits that XGBoost 1.7.4 itself loads: NaN and infinite thresholds
    # (NaN/Infinity tokens), and NaN/Infinity in ignored statistics.
    y = labels("reg:squarederror", x, rng)
    bst = xgb.train(params_for("reg:squarederror", "gbtree"), dmatrix(x, y), 4)
    doc = model_doc(bst)
    trees = doc["learner"]["gradient_booster"]["model"]["trees"]
    edits = [(0, float("nan")), (1, float("-inf")), (2, float("inf")), (3, float("-inf"))]
    for ti, val in edits:
        t = trees[ti]
        t["split_conditions"][0] = val
        t["default_left"][0] = 1 if ti != 3 else 0
        t["loss_changes"][0] = float("nan")
        t["sum_hessian"][0] = float("inf")
    files = write_doc(doc, "edge_nonfinite_thresholds")
    with open(os.path.join(OUT, files[0]), "rb") as f:
        edited = xgb.Booster(model_file=bytearray(f.read()))
    add_case("edge_nonfinite_thresholds", "num_missing", files, "reg:squarederror", "gbtree",
             expectations(edited, dmatrix(xpred)))

    # Refused: vector-leaf trees, non-adjacent children.
    doc = model_doc(bst)
    doc["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["size_leaf_vector"] = "2"
    doc["learner"]["gradient_booster"]["model"]["trees"][0]["tree_param"]["size_leaf_vector"] = "2"
    manifest["errors"].append({"name": "vector_leaf", "files": write_doc(doc, "err_vector_leaf", ("json",)),
                               "contains": "unsupported"})
    doc = model_doc(bst)
    t = doc["learner"]["gradient_booster"]["model"]["trees"][0]
    t["right_children"][0] = t["left_children"][0]
    manifest["errors"].append({"name": "shared_child", "files": write_doc(doc, "err_shared_child", ("json",)),
                               "contains": "tree 0"})
    doc = model_doc(bst)
    t = doc["learner"]["gradient_booster"]["model"]["trees"][1]
    t["split_indices"] = t["split_indices"][:-1]
    manifest["errors"].append({"name": "short_array", "files": write_doc(doc, "err_short_array", ("json", "ubj")),
                               "contains": "tree 1: split_indices has"})


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(MODELS)
    ds, rng = make_datasets()
    for name, (_, xpred) in ds.items():
        manifest["datasets"][name] = {"nrows": xpred.shape[0], "nfeat": xpred.shape[1], "x": hexf(xpred)}
    gen_matrix(ds, rng)
    gen_special(ds, rng)
    gen_pre10(ds, rng)
    gen_v2v3(ds, rng)
    with gzip.GzipFile(os.path.join(OUT, "manifest.json.gz"), "wb", mtime=0) as f:
        f.write((json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(OUT) for fn in fns)
    print("wrote %d cases, %d error cases, %.1f MB" % (len(manifest["cases"]), len(manifest["errors"]), total / 1e6))


if __name__ == "__main__":
    sys.exit(main())
