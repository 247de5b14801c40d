"""Register and read XGBoost models on a modelsql server, as MaxFrame does.

    import modelsql
    modelsql.connect("host=127.0.0.1 port=5433 user=alice dbname=default")
    modelsql.to_odps_model(clf, "churn", "v2", set_default_version=True)
    booster = modelsql.read_odps_model("churn", "v2")

Every function takes an optional ``conn`` (a psycopg2 connection); without
it the connection opened by :func:`connect` is used. Statements go through
the server, so its privileges apply (CreateModel on the project to create a
model, Alter on the model to add a version, Execute to read one back).
"""

import base64
import json
import re

__all__ = [
    "connect", "to_odps_model", "read_odps_model", "list_models",
    "list_versions", "describe_model", "ModelSQLError",
]

CLASSIFIER = "BOOSTED_TREE_CLASSIFIER"
REGRESSOR = "BOOSTED_TREE_REGRESSOR"

_default_conn = None


class ModelSQLError(Exception):
    """A request the package refuses before sending it."""


def connect(dsn=None, **kwargs):
    """Open a psycopg2 connection (autocommit) and make it the default."""
    import psycopg2

    global _default_conn
    conn = psycopg2.connect(dsn or "", **kwargs)
    conn.autocommit = True
    _default_conn = conn
    return conn


def _conn(conn):
    if conn is not None:
        return conn
    if _default_conn is None:
        raise ModelSQLError("no connection: call modelsql.connect(...) or pass conn=")
    return _default_conn


def _ident(name):
    return "`" + str(name).replace("`", "``") + "`"


def _literal(s):
    return "'" + str(s).replace("'", "''") + "'"


_PATH = re.compile(r"^projects/([^/]+)/schemas/([^/]+)/models/([^/]+)$")


def _model_ref(model_name, schema=None, project=None):
    """The SQL name of a model: MaxFrame's "model", "project.model",
    "project.schema.model" or "projects/<p>/schemas/<s>/models/<m>"."""
    m = _PATH.match(model_name)
    if m:
        project, schema, name = m.group(1), m.group(2), m.group(3)
    else:
        parts = model_name.split(".")
        if len(parts) == 1:
            name = parts[0]
        elif len(parts) == 2:
            project, name = parts
        elif len(parts) == 3:
            project, schema, name = parts
        else:
            raise ModelSQLError("bad model name %r" % model_name)
    if project is None and schema is None:
        return _ident(name)
    if project is None:
        return _ident(schema) + "." + _ident(name)
    return ".".join(_ident(p) for p in (project, schema or "default", name))


def _query(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        if cur.description is None:
            return [], []
        cols = [d[0] for d in cur.description]
        return cols, cur.fetchall()


def _booster_of(estimator_or_booster):
    import xgboost

    if isinstance(estimator_or_booster, xgboost.Booster):
        return estimator_or_booster
    if hasattr(estimator_or_booster, "get_booster"):
        return estimator_or_booster.get_booster()
    raise ModelSQLError("Only support boosted tree format: pass an XGBoost estimator or Booster")


def _model_type(estimator_or_booster, booster):
    import xgboost

    if not isinstance(estimator_or_booster, xgboost.Booster):
        # As MaxFrame: an estimator with predict_proba is a classifier.
        return CLASSIFIER if hasattr(estimator_or_booster, "predict_proba") else REGRESSOR
    objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    return CLASSIFIER if objective.startswith(("binary:", "multi:")) else REGRESSOR


def _versions(conn, ref):
    try:
        _, rows = _query(conn, "SHOW VERSIONS FOR MODEL " + ref)
    except Exception as e:  # the model does not exist (or is not visible)
        if "does not exist" in str(e):
            return None
        raise
    return [r[0] for r in rows]


def to_odps_model(estimator_or_booster, model_name, model_version=None, schema=None,
                  project=None, description=None, version_description=None,
                  create_model=True, set_default_version=False, conn=None):
    """Register an XGBoost estimator or Booster as an INTERNAL_TRAIN version.

    The model type is BOOSTED_TREE_CLASSIFIER when the estimator has
    ``predict_proba`` (a bare Booster: when its objective is binary:* or
    multi:*), else BOOSTED_TREE_REGRESSOR. The version's INPUT is the
    booster's feature names (f0, f1, ... when it has none), all DOUBLE.
    Without ``model_version`` the version is named v1 for a new model and
    v<N+1> for a model with N versions. Returns the version's name.
    """
    conn = _conn(conn)
    booster = _booster_of(estimator_or_booster)
    model_type = _model_type(estimator_or_booster, booster)
    names = booster.feature_names or ["f%d" % i for i in range(booster.num_features())]
    ref = _model_ref(model_name, schema, project)
    existing = _versions(conn, ref)
    if existing is None and not create_model:
        raise ModelSQLError("model %s does not exist and create_model is False" % model_name)
    if model_version is None:
        taken = {v.lower() for v in existing or []}
        n = len(taken) + 1
        while "v%d" % n in taken:
            n += 1
        model_version = "v%d" % n
    raw = bytes(booster.save_raw("ubj"))
    data = base64.b64encode(raw).decode("ascii")
    inputs = ", ".join("%s DOUBLE" % _ident(n) for n in names)
    options = "MODEL_SOURCE_TYPE = 'INTERNAL_TRAIN', MODEL_TYPE = %s, MODEL_DATA = %s" % (
        _literal(model_type), _literal(data))
    if existing is None:
        comment = version_description if version_description is not None else description
        sql = "CREATE MODEL %s WITH VERSION %s INPUT(%s) OPTIONS(%s)" % (
            ref, _ident(model_version), inputs, options)
    else:
        comment = version_description
        sql = "ALTER MODEL %s ADD VERSION %s INPUT(%s) OPTIONS(%s)" % (
            ref, _ident(model_version), inputs, options)
    if comment is not None:
        sql += " COMMENT " + _literal(comment)
    _query(conn, sql)
    if set_default_version and existing is not None:
        _query(conn, "ALTER MODEL %s SET DEFAULT_VERSION %s" % (ref, _ident(model_version)))
    return model_version


def read_odps_model(model_name, model_version=None, schema=None, project=None, conn=None):
    """Return the stored version (the default one without model_version)
    as an xgboost.Booster; its predictions equal ML_PREDICT's."""
    import xgboost

    conn = _conn(conn)
    ref = _model_ref(model_name, schema, project)
    version = _ident(model_version) if model_version else "DEFAULT_VERSION"
    _, rows = _query(conn, "SELECT model_base64 FROM ML_EXPORT_MODEL(%s, %s)" % (ref, version))
    booster = xgboost.Booster()
    booster.load_model(bytearray(base64.b64decode(rows[0][0])))
    return booster


def list_models(project=None, schema=None, like=None, conn=None):
    """SHOW MODELS as a list of dicts."""
    conn = _conn(conn)
    sql = "SHOW MODELS"
    if project is not None:
        sql += " IN " + _ident(project) + ("." + _ident(schema) if schema else "")
    if like is not None:
        sql += " LIKE " + _literal(like)
    cols, rows = _query(conn, sql)
    return [dict(zip(cols, r)) for r in rows]


def list_versions(model_name, schema=None, project=None, conn=None):
    """SHOW VERSIONS FOR MODEL as a list of dicts."""
    conn = _conn(conn)
    cols, rows = _query(conn, "SHOW VERSIONS FOR MODEL " + _model_ref(model_name, schema, project))
    return [dict(zip(cols, r)) for r in rows]


def describe_model(model_name, model_version=None, schema=None, project=None, conn=None):
    """DESC MODEL as {section: {field: value}}."""
    conn = _conn(conn)
    sql = "DESC MODEL " + _model_ref(model_name, schema, project)
    if model_version:
        sql += " VERSION " + _ident(model_version)
    _, rows = _query(conn, sql)
    out = {}
    for section, field, value in rows:
        out.setdefault(section, {})[field] = value
    return out
