-- modelsql demo: machine-learning models as first-class, versioned objects.
-- Run from the repository root with `make run`: scripts/demo.sh starts the
-- test LLM server on a free port and points the ENDPOINT below
-- (http://127.0.0.1:18089) at it.

-- Start clean, so the demo can run again on the same data directory.
DROP MODEL IF EXISTS test_xgboost_classifier;
DROP MODEL IF EXISTS demo_model_xgboost_regressor;
DROP MODEL IF EXISTS demo_llm;
DROP MODEL IF EXISTS iris_trained;

-- Data sets shipped in examples/ (see examples/train_demo.py).
CREATE OR REPLACE TABLE iris AS SELECT * FROM read_csv('examples/iris.csv');
CREATE OR REPLACE TABLE housing AS
SELECT id, crim::FLOAT AS crim, zn::FLOAT AS zn, indus::FLOAT AS indus, chas::INT AS chas,
       nox::FLOAT AS nox, rm::FLOAT AS rm, age::FLOAT AS age, dis::FLOAT AS dis, rad::FLOAT AS rad,
       tax::FLOAT AS tax, ptratio::FLOAT AS ptratio, lstat::FLOAT AS lstat, medv
FROM read_csv('examples/housing.csv');

-- 1. Import an XGBoost classifier (JSON model file) ...
CREATE MODEL test_xgboost_classifier WITH VERSION v1
INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
OPTIONS(
    MODEL_SOURCE_TYPE = 'IMPORT',
    MODEL_TYPE = 'BOOSTED_TREE_CLASSIFIER',
    LOCATION = 'file://examples/iris_classifier.json'
)
COMMENT 'Import XGBoost model v1';

-- ... and a regressor (UBJSON model file), with the feature types of MaxCompute's example.
CREATE MODEL demo_model_xgboost_regressor WITH VERSION v01
INPUT(crim FLOAT, zn FLOAT, indus FLOAT, chas INT, nox FLOAT, rm FLOAT, age FLOAT,
      dis FLOAT, rad FLOAT, tax FLOAT, ptratio FLOAT, lstat FLOAT)
OPTIONS(MODEL_SOURCE_TYPE = 'IMPORT', MODEL_TYPE = 'BOOSTED_TREE_REGRESSOR',
        LOCATION = 'file://examples/housing_regressor.ubj')
COMMENT 'Housing prices';

SHOW MODELS;
DESC MODEL test_xgboost_classifier;

-- 2. Predict inside SQL, exactly as MaxCompute documents it.
SELECT ML_PREDICT(test_xgboost_classifier, v1, 1, 2, 3, 4);
SELECT ML_PREDICT(demo_model_xgboost_regressor, v01,
       0.22438f, 0f, 9.69f, 0, 0.585f, 6.027f, 79.7f, 2.4982f, 6.123f, 391f, 19.2f, 14.33f);

-- Over tables: anywhere an expression goes.
SELECT id, label, ML_PREDICT(test_xgboost_classifier, DEFAULT_VERSION, f1, f2, f3, f4) AS prediction
FROM iris WHERE id % 30 = 0 ORDER BY id;
SELECT round(avg(CASE WHEN ML_PREDICT(test_xgboost_classifier, v1, f1, f2, f3, f4).label = CAST(label AS VARCHAR)
                 THEN 1 ELSE 0 END), 3) AS training_accuracy
FROM iris;

-- 3. Versions: add a retrained model, compare, then promote it.
ALTER MODEL demo_model_xgboost_regressor ADD VERSION v02
INPUT(crim FLOAT, zn FLOAT, indus FLOAT, chas INT, nox FLOAT, rm FLOAT, age FLOAT,
      dis FLOAT, rad FLOAT, tax FLOAT, ptratio FLOAT, lstat FLOAT)
WITH OPTIONS(LOCATION = 'file://examples/housing_regressor_v2.json')
COMMENT 'deeper, retrained';
SELECT id, round(medv, 2) AS actual,
       ML_PREDICT(demo_model_xgboost_regressor, v01, crim, zn, indus, chas, nox, rm, age, dis, rad, tax, ptratio, lstat) AS v01,
       ML_PREDICT(demo_model_xgboost_regressor, v02, crim, zn, indus, chas, nox, rm, age, dis, rad, tax, ptratio, lstat) AS v02
FROM housing ORDER BY id LIMIT 5;
ALTER MODEL demo_model_xgboost_regressor SET DEFAULT_VERSION = v02;
SHOW VERSIONS FOR MODEL demo_model_xgboost_regressor;
ALTER MODEL demo_model_xgboost_regressor DROP VERSION v01;

-- 4. Train a model in SQL (XGBoost itself, through libxgboost; docs/training.md),
--    then evaluate and explain it.
CREATE MODEL iris_trained WITH VERSION v1
OPTIONS(MODEL_TYPE = 'BOOSTED_TREE_CLASSIFIER', LABEL_COL = 'species',
        NUM_ROUNDS = '20', MAX_DEPTH = '3', SEED = '1', DATA_SPLIT_EVAL_FRACTION = '0.2')
COMMENT 'trained in SQL'
AS SELECT f1, f2, f3, f4, CASE label WHEN 0 THEN 'setosa' WHEN 1 THEN 'versicolor' ELSE 'virginica' END AS species
   FROM iris ORDER BY hash(id);
SELECT id, ML_PREDICT(iris_trained, v1, f1, f2, f3, f4).label AS predicted FROM iris WHERE id % 50 = 1 ORDER BY id;
SELECT * FROM ML_EVALUATE(iris_trained, v1,
    (SELECT f1, f2, f3, f4, CASE label WHEN 0 THEN 'setosa' WHEN 1 THEN 'versicolor' ELSE 'virginica' END AS species FROM iris));
SELECT id, prediction, attributions FROM ML_EXPLAIN_PREDICT(iris_trained, v1, (SELECT * FROM iris WHERE id = 101), 2);
SELECT * FROM ML_FEATURE_IMPORTANCE(iris_trained, v1) ORDER BY total_gain DESC;

-- 5. A remote language model (here modelsql's own test server, speaking PAI-EAS).
CREATE MODEL demo_llm WITH VERSION v1
OPTIONS(
    MODEL_SOURCE_TYPE = 'REMOTE', MODEL_TYPE = 'LLM', TASKS = 'text-generation',
    PAI_EAS_MODEL_NAME = 'Qwen3-0.6B', PAI_EAS_SERVICE_NAME = 'demo_service',
    ENDPOINT = 'http://127.0.0.1:18089', APIKEY = 'demo-key', PAI_EAS_SYNC_MODE = 'true'
)
COMMENT 'remote LLM on the fake-llm test server';
SELECT AI_GENERATE(demo_llm, DEFAULT_VERSION, 'Describe an iris flower in one line') AS answer;
SELECT AI_CLASSIFY(demo_llm, v1, 'The striker scored twice in the final', ARRAY('tech', 'sports', 'finance')) AS topic;
DESC MODEL demo_llm VERSION v1;

-- 6. Clean up.
DROP MODEL demo_llm;
SHOW MODELS;
