package catalog

import (
	"context"
	"strings"
	"testing"

	"github.com/modelsql/modelsql/internal/engine"
	"github.com/modelsql/modelsql/internal/secrets"
)

func openTestCatalog(t *testing.T) *Catalog {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.Open(ctx, t.TempDir(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	box, err := secrets.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, eng, box)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// aliasModel creates a remote model with versions v1 (default), v2, v3.
func aliasModel(t *testing.T, c *Catalog, name string) Ref {
	t.Helper()
	ctx := context.Background()
	ref := Ref{"default", "default", name}
	opts := map[string]string{OptSourceType: SourceRemote, OptModelType: "LLM"}
	if _, err := c.CreateModel(ctx, NewModel{Ref: ref, Owner: "u", Version: "v1", Options: opts}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v2", "v3"} {
		if err := c.AddVersion(ctx, NewVersion{Ref: ref, Version: v, Options: opts}); err != nil {
			t.Fatal(err)
		}
	}
	return ref
}

func TestAliasRules(t *testing.T) {
	ctx := context.Background()
	c := openTestCatalog(t)
	ref := aliasModel(t, c, "m")
	// Each step runs in order on the same model; err is a fragment of the
	// expected error, "" for success.
	steps := []struct {
		name string
		do   func() error
		err  string
	}{
		{"set champion on v2", func() error { return c.SetAlias(ctx, ref, "v2", "champion") }, ""},
		{"set challenger on V3 (any case)", func() error { return c.SetAlias(ctx, ref, "V3", "Challenger") }, ""},
		{"alias of an alias resolves", func() error { return c.SetAlias(ctx, ref, "champion", "stable") }, ""},
		{"alias named like a version", func() error { return c.SetAlias(ctx, ref, "v2", "V1") }, "has a version named v1"},
		{"alias default_version", func() error { return c.SetAlias(ctx, ref, "v2", "Default_Version") }, "reserved"},
		{"alias with a dash", func() error { return c.SetAlias(ctx, ref, "v2", "a-b") }, "contains '-'"},
		{"alias starting with a digit", func() error { return c.SetAlias(ctx, ref, "v2", "1a") }, "must start with a letter"},
		{"alias too long", func() error { return c.SetAlias(ctx, ref, "v2", strings.Repeat("a", 257)) }, "257 bytes"},
		{"alias of a missing version", func() error { return c.SetAlias(ctx, ref, "v9", "x") }, "version v9 of model default.default.m does not exist"},
		{"alias of a missing model", func() error { return c.SetAlias(ctx, Ref{"default", "default", "nope"}, "v1", "x") }, "model default.default.nope does not exist"},
		{"alias in the public project", func() error { return c.SetAlias(ctx, Ref{PublicProject, "default", "q"}, "v1", "x") }, "read-only"},
		{"version named like an alias", func() error {
			return c.AddVersion(ctx, NewVersion{Ref: ref, Version: "CHAMPION", Options: map[string]string{OptSourceType: SourceRemote, OptModelType: "LLM"}})
		}, "has an alias named champion"},
		{"drop an aliased version", func() error { _, err := c.DropVersion(ctx, ref, "v2", false); return err }, "has aliases champion, stable"},
		{"drop through an alias", func() error { _, err := c.DropVersion(ctx, ref, "challenger", false); return err }, "version v3 of model default.default.m has aliases Challenger"},
		{"unset a missing alias", func() error { _, err := c.UnsetAlias(ctx, ref, "nope", false); return err }, "alias nope of model default.default.m does not exist"},
		{"unset IF EXISTS a missing alias", func() error { _, err := c.UnsetAlias(ctx, ref, "nope", true); return err }, ""},
		{"default through an alias", func() error { return c.SetDefaultVersion(ctx, ref, "champion") }, ""},
	}
	for _, s := range steps {
		err := s.do()
		if s.err == "" && err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
		if s.err != "" && (err == nil || !strings.Contains(err.Error(), s.err)) {
			t.Errorf("%s: error %v, want %q", s.name, err, s.err)
		}
	}

	m, vs, err := c.GetModel(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if m.DefaultVersion != "v2" {
		t.Errorf("default set through alias champion: %q, want v2", m.DefaultVersion)
	}
	got := map[string]string{}
	for _, v := range vs {
		got[v.Name] = strings.Join(v.Aliases, ",")
	}
	if want := map[string]string{"v1": "", "v2": "champion,stable", "v3": "Challenger"}; !equalMaps(got, want) {
		t.Errorf("aliases %v, want %v", got, want)
	}

	// Resolution: an alias names its version; moving it moves what it names.
	resolve := func(name string) string {
		_, v, err := c.GetVersion(ctx, ref, name)
		if err != nil {
			return "error: " + err.Error()
		}
		return v.Name
	}
	for name, want := range map[string]string{"champion": "v2", "CHAMPION": "v2", "challenger": "v3", "v1": "v1", "": "v2"} {
		if got := resolve(name); got != want {
			t.Errorf("GetVersion(%q) = %s, want %s", name, got, want)
		}
	}
	if err := c.SetAlias(ctx, ref, "v3", "champion"); err != nil {
		t.Fatal(err)
	}
	if got := resolve("champion"); got != "v3" {
		t.Errorf("moved champion resolves to %s", got)
	}
	if m, _, _ := c.GetModel(ctx, ref); m.DefaultVersion != "v2" {
		t.Errorf("the default followed the alias: %s", m.DefaultVersion)
	}
	// v2 keeps only stable; after unsetting it, v2 may go... except it is the default.
	if removed, err := c.UnsetAlias(ctx, ref, "STABLE", false); err != nil || !removed {
		t.Fatalf("unset stable: %v %v", removed, err)
	}
	if _, err := c.DropVersion(ctx, ref, "v2", false); err == nil || !strings.Contains(err.Error(), "default version") {
		t.Errorf("drop default v2: %v", err)
	}
	if got := resolve("stable"); !strings.Contains(got, "version stable of model default.default.m does not exist") {
		t.Errorf("unset alias still resolves: %s", got)
	}
	// Once its aliases are gone a version can be dropped.
	if _, err := c.UnsetAlias(ctx, ref, "challenger", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UnsetAlias(ctx, ref, "champion", false); err != nil {
		t.Fatal(err)
	}
	if dropped, err := c.DropVersion(ctx, ref, "v3", false); err != nil || !dropped {
		t.Fatalf("drop v3 without aliases: %v %v", dropped, err)
	}
	// A version name freed by a dropped version can become an alias, and DROP MODEL removes aliases.
	if err := c.SetAlias(ctx, ref, "v1", "v3"); err != nil {
		t.Errorf("alias named like a dropped version: %v", err)
	}
	if _, err := c.DropModel(ctx, ref, false); err != nil {
		t.Fatal(err)
	}
	ref = aliasModel(t, c, "m")
	if got := resolve("v3"); got != "v3" {
		t.Errorf("a recreated model inherited an alias: v3 resolves to %s", got)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestValidateAliasName(t *testing.T) {
	for name, want := range map[string]string{
		"champion": "", "Challenger_2": "", strings.Repeat("a", 256): "",
		"": "is empty", "2nd": "must start with a letter", "a.b": "contains '.'", "default_version": "reserved", "DEFAULT_VERSION": "reserved",
	} {
		err := ValidateAliasName(name)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("ValidateAliasName(%q) = %v, want %q", name, err, want)
		}
	}
}
