package e2e

import (
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelsql/modelsql/internal/fakellm"
)

const housingArgs = `crim::FLOAT, zn::FLOAT, indus::FLOAT, chas::INT, nox::FLOAT, rm::FLOAT, age::FLOAT, dis::FLOAT, rad::FLOAT, tax::FLOAT, ptratio::FLOAT, lstat::FLOAT`

// housingVersions creates model h with v1 (housing_regressor.ubj) and v2
// (housing_regressor_v2.json), which predict differently.
func housingVersions(t *testing.T, data string) {
	t.Helper()
	sql(t, data,
		`CREATE MODEL h WITH VERSION v1 `+housingInput+` OPTIONS(MODEL_SOURCE_TYPE='IMPORT', MODEL_TYPE='BOOSTED_TREE_REGRESSOR', LOCATION='file://`+example("housing_regressor.ubj")+`')`,
		`ALTER MODEL h ADD VERSION v2 `+housingInput+` OPTIONS(LOCATION='file://`+example("housing_regressor_v2.json")+`')`)
}

func predictHousing(t *testing.T, data, version string) string {
	t.Helper()
	r := run(t, "", "--data", data, "--format", "csv", "-c",
		"SELECT id, ML_PREDICT(h, "+version+", "+housingArgs+") AS p FROM read_csv('"+example("housing.csv")+"') ORDER BY id LIMIT 20")
	if r.code != 0 {
		t.Fatalf("predict %s: %s", version, r.stderr)
	}
	return r.stdout
}

// Moving an alias changes what ML_PREDICT(h, champion, ...) returns from
// the next statement on; SHOW VERSIONS and DESC show the aliases; the rules
// are enforced through the binary.
func TestAliasMovesBetweenStatements(t *testing.T) {
	data := t.TempDir()
	housingVersions(t, data)
	p1, p2 := predictHousing(t, data, "v1"), predictHousing(t, data, "v2")
	if p1 == p2 {
		t.Fatal("the two versions predict the same; the test cannot tell them apart")
	}
	sql(t, data, "ALTER MODEL h VERSION v1 SET ALIAS champion", "ALTER MODEL h VERSION v2 SET ALIAS challenger")
	if got := predictHousing(t, data, "champion"); got != p1 {
		t.Errorf("champion on v1 predicts:\n%s\nwant v1's:\n%s", got, p1)
	}
	if got := predictHousing(t, data, "'Challenger'"); got != p2 {
		t.Errorf("challenger (a string, other case) does not predict as v2")
	}
	sql(t, data, "ALTER MODEL h VERSION v2 SET ALIAS champion")
	if got := predictHousing(t, data, "champion"); got != p2 {
		t.Errorf("champion moved to v2 still predicts as v1")
	}
	r := run(t, "", "--data", data, "--format", "csv", "-c", "SHOW VERSIONS FOR MODEL h")
	rows, _ := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	rows = rows[1:]
	if len(rows) != 2 || rows[0][7] != "" || rows[1][7] != "challenger,champion" {
		t.Errorf("SHOW VERSIONS aliases: %v", rows)
	}
	desc := sql(t, data, "DESC MODEL h VERSION champion")
	if !strings.Contains(desc, "Version v2") || strings.Contains(desc, "Version v1") || !strings.Contains(desc, "challenger,champion") {
		t.Errorf("DESC MODEL h VERSION champion:\n%s", desc)
	}
	if desc := sql(t, data, "DESC MODEL h"); !strings.Contains(desc, "challenger=v2,champion=v2") {
		t.Errorf("DESC MODEL h lists no aliases:\n%s", desc)
	}
	for _, c := range []struct{ stmt, want string }{
		{"ALTER MODEL h DROP VERSION v2", "has aliases challenger, champion"},
		{"ALTER MODEL h VERSION v1 SET ALIAS V2", "has a version named v2"},
		{"ALTER MODEL h VERSION v1 SET ALIAS default_version", "reserved"},
		{"ALTER MODEL h VERSION v1 SET ALIAS `bad-name`", "contains '-'"},
		{"ALTER MODEL h ADD VERSION champion " + housingInput + " OPTIONS(LOCATION='file://" + example("housing_regressor.ubj") + "')", "has an alias named champion"},
		{"ALTER MODEL h UNSET ALIAS nope", "alias nope of model"},
		{"ALTER MODEL h VERSION v9 SET ALIAS x", "version v9 of model"},
	} {
		if r := run(t, "", "--data", data, "-c", c.stmt); r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: %d %s, want %q", c.stmt, r.code, r.stderr, c.want)
		}
	}
	// SET DEFAULT_VERSION through an alias names the version, now.
	sql(t, data, "ALTER MODEL h SET DEFAULT_VERSION = champion", "ALTER MODEL h VERSION v1 SET ALIAS champion")
	if got := predictHousing(t, data, "DEFAULT_VERSION"); got != p2 {
		t.Errorf("the default followed the alias")
	}
	sql(t, data, "ALTER MODEL h UNSET ALIAS challenger", "ALTER MODEL h UNSET ALIAS IF EXISTS challenger",
		"ALTER MODEL h SET DEFAULT_VERSION v1", "ALTER MODEL h UNSET ALIAS champion", "ALTER MODEL h DROP VERSION v2")
	if r := run(t, "", "--data", data, "-c", "SELECT ML_PREDICT(h, champion, 1,1,1,1,1,1,1,1,1,1,1,1)"); r.code == 0 || !strings.Contains(r.stderr, "version champion of model") {
		t.Errorf("an unset alias still resolves: %d %s", r.code, r.stderr)
	}
}

// One statement sees one version: an alias moved (by another session of
// the server) while the statement runs does not change it, for ML_PREDICT
// and AI_GENERATE alike. The statement's ML_PREDICT depends on its
// AI_GENERATE results, so it is evaluated after the move.
func TestAliasFixedWithinStatement(t *testing.T) {
	requirePsql(t)
	llm := fakellm.NewServer(fakellm.Options{Latency: 300 * time.Millisecond})
	hs := httptest.NewServer(llm)
	defer hs.Close()
	data := t.TempDir()
	housingVersions(t, data)
	p1, p2 := predictHousing(t, data, "v1"), predictHousing(t, data, "v2")
	remote := func(model string) string {
		return "MODEL_SOURCE_TYPE='REMOTE', MODEL_TYPE='LLM', TASKS='text-generation', PAI_EAS_MODEL_NAME='" + model +
			"', PAI_EAS_SERVICE_NAME='s', ENDPOINT='" + hs.URL + "', APIKEY='k', PAI_EAS_SYNC_MODE='true', MAX_CONCURRENCY='1'"
	}
	sql(t, data, "CREATE MODEL g WITH VERSION v1 OPTIONS("+remote("model-a")+")",
		"ALTER MODEL g ADD VERSION v2 OPTIONS("+remote("model-b")+")",
		"ALTER MODEL g VERSION v1 SET ALIAS champion", "ALTER MODEL h VERSION v1 SET ALIAS champion",
		"CREATE TABLE housing AS SELECT * FROM read_csv('"+example("housing.csv")+"')")
	addUser(t, data, "admin", "admin-pw", true)
	addUser(t, data, "bob", "bob-pw", false)
	s := serve(t, data)
	q := func(stmt string) psqlResult {
		return s.psql(t, "admin", "admin-pw", "default", nil, "-A", "-t", "-F", ",", "-c", stmt)
	}
	query := `SELECT id, ML_PREDICT(h, champion, crim::FLOAT + 0 * length(AI_GENERATE(g, champion, 'row ' || id)), ` +
		strings.TrimPrefix(housingArgs, "crim::FLOAT, ") + `) AS p FROM housing WHERE id < 8 ORDER BY id`
	done := make(chan psqlResult, 1)
	go func() { done <- q(query) }()
	// Move both aliases once the statement has started calling the LLM.
	deadline := time.Now().Add(30 * time.Second)
	for len(llm.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if r := q("ALTER MODEL g VERSION v2 SET ALIAS champion; ALTER MODEL h VERSION v2 SET ALIAS champion"); r.code != 0 {
		t.Fatalf("moving the aliases: %s", r.err)
	}
	moved := len(llm.Requests())
	r := <-done
	if r.code != 0 {
		t.Fatalf("statement: %s", r.err)
	}
	if moved >= 8 {
		t.Fatalf("the aliases moved only after all %d requests; the test proves nothing", moved)
	}
	models := map[string]int{}
	for _, req := range llm.Requests() {
		var body struct{ Model string }
		json.Unmarshal(req.Body, &body)
		models[body.Model]++
	}
	if len(models) != 1 || models["model-a"] != 8 {
		t.Errorf("one statement called %v; want model-a only (8 rows)", models)
	}
	want := strings.ReplaceAll(strings.TrimPrefix(p1, "id,p\n"), "\"", "")
	wantLines := strings.Split(strings.TrimSpace(want), "\n")[:8]
	if got := strings.TrimSpace(r.out); got != strings.Join(wantLines, "\n") {
		t.Errorf("ML_PREDICT within the statement:\n%s\nwant v1's:\n%s", got, strings.Join(wantLines, "\n"))
	}
	// The next statement sees the moved alias.
	llm.Reset()
	r = q(strings.Replace(query, "id < 8", "id < 2", 1))
	if r.code != 0 {
		t.Fatal(r.err)
	}
	wantLines = strings.Split(strings.TrimSpace(strings.TrimPrefix(p2, "id,p\n")), "\n")[:2]
	if got := strings.TrimSpace(r.out); got != strings.Join(wantLines, "\n") {
		t.Errorf("next statement:\n%s\nwant v2's:\n%s", got, strings.Join(wantLines, "\n"))
	}
	if req, ok := llm.LastRequest(); !ok || !strings.Contains(string(req.Body), `"model-b"`) {
		t.Errorf("next statement did not call v2's model")
	}
	// Moving an alias needs Alter on the model.
	if r := q("GRANT Execute ON MODEL h TO USER bob"); r.code != 0 {
		t.Fatal(r.err)
	}
	bob := func(stmt string) psqlResult {
		return s.psql(t, "bob", "bob-pw", "default", nil, "-A", "-t", "-c", stmt)
	}
	if r := bob("ALTER MODEL h VERSION v1 SET ALIAS champion"); r.code == 0 || !strings.Contains(r.err, "lacks Alter on model") {
		t.Errorf("bob moved an alias without Alter: %d %s", r.code, r.err)
	}
	if r := bob("ALTER MODEL h UNSET ALIAS champion"); r.code == 0 || !strings.Contains(r.err, "lacks Alter on model") {
		t.Errorf("bob removed an alias without Alter: %d %s", r.code, r.err)
	}
	q("GRANT Alter ON MODEL h TO USER bob")
	if r := bob("ALTER MODEL h VERSION v1 SET ALIAS champion"); r.code != 0 {
		t.Errorf("bob with Alter: %s", r.err)
	}
}
