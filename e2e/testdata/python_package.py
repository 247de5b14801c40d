"""Drives python/modelsql against a running `modelsql serve` (train_test.go).

argv: port, admin password. Prints a JSON object of checks.
"""
import json
import sys

import numpy as np
import psycopg2
import xgboost as xgb

import modelsql

port, pw = int(sys.argv[1]), sys.argv[2]
out = {}
conn = modelsql.connect(host="127.0.0.1", port=port, user="admin", password=pw, dbname="default", sslmode="disable")
cur = conn.cursor()

rng = np.random.default_rng(7)
X = rng.normal(size=(300, 4)).astype(np.float32)
X[rng.random(X.shape) < 0.1] = np.nan
y_cls = np.argmax(X[:, :3] + rng.normal(scale=0.3, size=(300, 3)), axis=1)
y_reg = np.nan_to_num(X[:, 0]) * 2 - np.nan_to_num(X[:, 1])

cur.execute("CREATE TABLE feats (id INTEGER, a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE)")
cur.executemany("INSERT INTO feats VALUES (%s, %s, %s, %s, %s)",
                [(i,) + tuple(None if np.isnan(v) else float(v) for v in X[i]) for i in range(len(X))])
cur.execute("CREATE TABLE feats_named AS SELECT id, a AS f0, b AS f1, c AS f2, d AS f3 FROM feats")

def bits(a):
    return np.asarray(a, dtype=np.float32).view(np.uint32).tolist()

# A multi-class classifier (estimator: predict_proba -> classifier).
clf = xgb.XGBClassifier(n_estimators=8, max_depth=3, n_jobs=1, random_state=1)
clf.fit(X, y_cls)
out["clf_version"] = modelsql.to_odps_model(clf, "py_clf", description="from python")
cur.execute("SELECT ML_PREDICT(py_clf, DEFAULT_VERSION, f0, f1, f2, f3) FROM feats_named ORDER BY id")
got = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in cur.fetchall()]
out["clf_probs_equal"] = bits([g["probs"] for g in got]) == bits(clf.predict_proba(X))
out["clf_labels_equal"] = [g["label"] for g in got] == [str(v) for v in clf.predict(X)]

# A regressor with feature names, a second version made the default.
reg = xgb.XGBRegressor(n_estimators=6, max_depth=2, n_jobs=1)
reg.fit(X, y_reg)
out["reg_v1"] = modelsql.to_odps_model(reg, "default.py_reg", "v1", version_description="first")
reg2 = xgb.XGBRegressor(n_estimators=9, max_depth=3, n_jobs=1)
reg2.fit(X, y_reg)
out["reg_v2"] = modelsql.to_odps_model(reg2, "py_reg", set_default_version=True)
cur.execute("SELECT ML_PREDICT(py_reg, DEFAULT_VERSION, f0, f1, f2, f3) FROM feats_named ORDER BY id")
got = [np.float32(float(r[0])) for r in cur.fetchall()]
out["reg_predictions_equal"] = bits(got) == bits(reg2.predict(X))

back = modelsql.read_odps_model("py_reg", "v1")
out["read_back_equal_bytes"] = bytes(back.save_raw("ubj")) == bytes(reg.get_booster().save_raw("ubj"))
out["read_back_predictions_equal"] = bits(back.predict(xgb.DMatrix(X))) == bits(reg.predict(X))
back = modelsql.read_odps_model("py_clf")
out["read_default_equal"] = bits(back.predict(xgb.DMatrix(X))) == bits(clf.predict_proba(X))

out["models"] = sorted((m["ModelName"], m["SourceType"], m["ModelType"], m["DefaultVersion"]) for m in modelsql.list_models())
out["versions"] = [v["VersionName"] for v in modelsql.list_versions("py_reg")]
desc = modelsql.describe_model("py_reg", "v1")
out["desc_v1"] = {k: desc["Version v1"][k] for k in ("Comment", "Input[1]", "Option.MODEL_SOURCE_TYPE")}

# A model trained in SQL, read back with read_odps_model.
cur.execute("CREATE TABLE lab AS SELECT f.*, CASE WHEN coalesce(f0, 0) > 0 THEN 'up' ELSE 'down' END AS dir FROM feats_named f")
cur.execute("CREATE MODEL sql_clf WITH VERSION v1 OPTIONS(MODEL_TYPE = 'BOOSTED_TREE_CLASSIFIER', LABEL_COL = 'dir', NUM_ROUNDS = '5') AS SELECT f0, f1, f2, f3, dir FROM lab ORDER BY id")
booster = modelsql.read_odps_model("sql_clf")
cur.execute("SELECT ML_PREDICT(sql_clf, v1, f0, f1, f2, f3) FROM lab ORDER BY id")
got = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in cur.fetchall()]
out["sql_model_read_back"] = bits([g["probs"][1] for g in got]) == bits(booster.predict(xgb.DMatrix(X, feature_names=["f0", "f1", "f2", "f3"])))
out["sql_model_labels"] = sorted({g["label"] for g in got})

# A user without CreateModel is refused.
cur.execute("CREATE USER bob PASSWORD 'bob-password-1'")
cur.execute("GRANT Select ON TABLE feats TO USER bob")
bob = psycopg2.connect(host="127.0.0.1", port=port, user="bob", password="bob-password-1", dbname="default", sslmode="disable")
bob.autocommit = True
try:
    modelsql.to_odps_model(reg, "bobs", conn=bob)
    out["bob"] = "created"
except psycopg2.Error as e:
    out["bob"] = str(e).strip().splitlines()[0]
try:
    bob.cursor().execute("CREATE MODEL bob2 WITH VERSION v1 OPTIONS(MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LABEL_COL='a') AS SELECT * FROM feats")
    out["bob_train"] = "created"
except psycopg2.Error as e:
    out["bob_train"] = str(e).strip().splitlines()[0]
print(json.dumps(out))
