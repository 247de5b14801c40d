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
	// By hand from examples/make_churn.py's trees: tenure 40 ≥ 12, monthly 50
	// < 80 gives -0.9; support_calls 0 < 4, monthly 50 < 60 gives -0.4;
	// sigmoid(-1.3) = 0.214, label 0.
	rows := csvRows(t, data, "SELECT ML_PREDICT(churn, v2, 40, 50.0, 0).label")
	if len(rows) != 1 || rows[0][0] != "0" {
		t.Fatalf("prediction: %v", rows)
	}
}
