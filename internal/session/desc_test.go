package session

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// TestDescModelHidesPresignedQuery: DESC MODEL shows an http LOCATION without
// its query, which holds a presigned signature (issue 20, item 12).
func TestDescModelHidesPresignedQuery(t *testing.T) {
	model, err := os.ReadFile(irisPath())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(model) }))
	defer hs.Close()
	s := open(t)
	loc := hs.URL + "/iris.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=deadbeefcafe0123456789"
	exec(t, s, `CREATE MODEL iris WITH VERSION v1 INPUT(f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE)
		OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', ROLEARN='acs:ram::1:role/unused', LOCATION='`+loc+`')`)
	r := exec(t, s, "DESC MODEL iris")
	found := false
	for _, row := range r.Rows {
		for _, v := range row {
			text, _ := v.(string)
			if strings.Contains(text, "deadbeefcafe") || strings.Contains(text, "X-Amz-Signature") {
				t.Errorf("DESC MODEL shows the signature: %v", row)
			}
			if strings.HasPrefix(text, hs.URL+"/iris.json") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("DESC MODEL does not show the location: %v", r.Rows)
	}
}
