package e2e

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// ROLEARN is optional (docs/storage.md): an http(s) location ignores it,
// so it may be left out, or name a role storage.json does not define.
func TestImportWithoutRoleARN(t *testing.T) {
	hs := httptest.NewServer(http.FileServer(http.Dir(example(""))))
	defer hs.Close()
	data := t.TempDir()
	input := "INPUT(tenure BIGINT, monthly DOUBLE, support_calls INT)"
	sql(t, data,
		"CREATE MODEL churn WITH VERSION v1 "+input+" OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='"+hs.URL+"/churn_classifier.json')",
		"ALTER MODEL churn ADD VERSION v2 "+input+" OPTIONS(LOCATION='"+hs.URL+"/churn_classifier.json', ROLEARN='acs:ram::1:role/not-in-storage-json')")
	// XGBoost 1.7.4's predict_proba for this row (examples/train_churn.py's
	// model) is [0.8907, 0.1093]: label 0.
	rows := csvRows(t, data, "SELECT ML_PREDICT(churn, v2, 40, 50.0, 0).label")
	if len(rows) != 1 || rows[0][0] != "0" {
		t.Fatalf("prediction: %v", rows)
	}
}
