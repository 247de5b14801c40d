package session

import (
	"context"
	"strings"
	"testing"
)

// Every FALLBACK rule, in order on one warehouse: "" means the statement
// succeeds, otherwise a fragment of its error.
func TestFallbackRules(t *testing.T) {
	s := open(t)
	remote := func(extra string) string {
		o := "MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='text-generation', API_FLAVOR='openai', ENDPOINT='http://127.0.0.1:1/v1', PAI_EAS_MODEL_NAME='x', PAI_EAS_SYNC_MODE='true'"
		if extra != "" {
			o += ", " + extra
		}
		return "OPTIONS(" + o + ")"
	}
	exec(t, s, "CREATE MODEL iris WITH VERSION v1 INPUT(a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE) OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://"+irisPath()+"')")
	for _, c := range []struct{ stmt, err string }{
		{"CREATE MODEL a WITH VERSION v1 " + remote(""), ""},
		{"CREATE MODEL b WITH VERSION v1 " + remote("FALLBACK='a.v1'"), ""},
		{"ALTER MODEL a VERSION v1 SET ALIAS champion", ""},
		{"CREATE MODEL c WITH VERSION v1 " + remote("FALLBACK='a.champion'"), ""},
		{"CREATE MODEL d WITH VERSION v1 " + remote("FALLBACK='default.default.a.champion'"), ""},
		{"CREATE MODEL e WITH VERSION v1 " + remote("FALLBACK='a'"), "must be 'model.version'"},
		{"CREATE MODEL e WITH VERSION v1 " + remote("FALLBACK=''"), "FALLBACK is empty"},
		{"CREATE MODEL e WITH VERSION v1 " + remote("FALLBACK='a.DEFAULT_VERSION'"), "not DEFAULT_VERSION"},
		{"CREATE MODEL e WITH VERSION v1 " + remote("FALLBACK='nope.v1'"), "model default.default.nope does not exist"},
		{"CREATE MODEL e WITH VERSION v1 " + remote("FALLBACK='a.v7'"), "version v7 of model default.default.a does not exist"},
		{"CREATE MODEL e WITH VERSION v1 " + remote("FALLBACK='e.v1'"), "model default.default.e does not exist"},
		{"CREATE MODEL e WITH VERSION v1 " + remote("FALLBACK='iris.v1'"), "a fallback must be a remote model"},
		{"CREATE MODEL e WITH VERSION v1 " + strings.Replace(remote("FALLBACK='a.v1'"), "text-generation", "sentence-embedding", 1), "must serve the same task"},
		{"CREATE MODEL e WITH VERSION v1 OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_CLASSIFIER', LOCATION='file://" + irisPath() + "', FALLBACK='a.v1')", "FALLBACK belongs to REMOTE models"},
		// b.v2 -> a.champion (= a.v1) and a.v2 -> b.v2 -> a.v1 are no loops;
		// moving champion to a.v2 would close one; to a.v3 (-> b.v1 -> a.v1) not.
		{"ALTER MODEL b ADD VERSION v2 " + remote("FALLBACK='a.champion'"), ""},
		{"ALTER MODEL a ADD VERSION v2 " + remote("FALLBACK='b.v2'"), ""},
		{"ALTER MODEL a VERSION v2 SET ALIAS champion", "FALLBACK would loop: default.default.a.v2 -> default.default.b.v2 -> default.default.a.v2"},
		{"ALTER MODEL a ADD VERSION v3 " + remote("FALLBACK='b.v1'"), ""},
		{"ALTER MODEL a VERSION v3 SET ALIAS champion", ""},
		{"ALTER MODEL b VERSION v2 SET ALIAS top", ""},
		// A loop through an alias of another model: a.v4 -> b.top; moving top
		// to b.v3 (-> a.v4) closes a.v4 -> b.v3 -> a.v4.
		{"ALTER MODEL a ADD VERSION v4 " + remote("FALLBACK='b.top'"), ""},
		{"ALTER MODEL b ADD VERSION v3 " + remote("FALLBACK='a.v4'"), ""},
		{"ALTER MODEL b VERSION v3 SET ALIAS top", "FALLBACK would loop: default.default.b.v3 -> default.default.a.v4 -> default.default.b.v3"},
	} {
		_, err := s.Exec(context.Background(), c.stmt)
		if c.err == "" && err != nil {
			t.Errorf("%.80s: %v", c.stmt, err)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%.80s: %v, want %q", c.stmt, err, c.err)
		}
	}
}
