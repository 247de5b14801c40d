-- A small script for README's "Using it" (run from the repository root):
--   bin/modelsql -f examples/iris_predict.sql --format jsonl
CREATE MODEL IF NOT EXISTS iris_classifier WITH VERSION v1
INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
OPTIONS(MODEL_SOURCE_TYPE = 'IMPORT', MODEL_TYPE = 'BOOSTED_TREE_CLASSIFIER',
        LOCATION = 'file://examples/iris_classifier.json');
SELECT id, label, ML_PREDICT(iris_classifier, v1, f1, f2, f3, f4).label AS predicted
FROM read_csv('examples/iris.csv') WHERE id % 50 = 0 ORDER BY id;
