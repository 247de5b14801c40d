package engine

import (
	"fmt"
	"os"
	"path/filepath"
)

// The data directory holds every table, the SCRAM verifiers and the key that
// seals API keys: it is the owner's alone. New directories are made 0700 and
// new files 0600 (the process umask is 0077 from Open on, as PostgreSQL's
// postmaster does, so that DuckDB's WAL files and new project files are
// private too); an existing directory is tightened when it is opened.
const (
	dirMode  os.FileMode = 0o700
	fileMode os.FileMode = 0o600
)

// makePrivate creates dataDir and dataDir/projects if needed and takes group
// and other permissions off them and off the files directly inside them.
func makePrivate(dataDir string) error {
	restrictUmask()
	projects := filepath.Join(dataDir, "projects")
	if err := os.MkdirAll(projects, dirMode); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	for _, dir := range []string{dataDir, projects} {
		if err := tighten(dir, dirMode); err != nil {
			return err
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		for _, ent := range entries {
			if ent.Type().IsRegular() {
				if err := tighten(filepath.Join(dir, ent.Name()), fileMode); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// tighten removes the permission bits of path that want does not have.
func tighten(path string, want os.FileMode) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if st.Mode().Perm()&^want == 0 {
		return nil
	}
	if err := os.Chmod(path, st.Mode().Perm()&want); err != nil {
		return fmt.Errorf("data directory: make %s private: %w", path, err)
	}
	return nil
}
