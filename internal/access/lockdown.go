package access

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/modelsql/modelsql/internal/engine"
)

// LockDown turns DuckDB's external access off for the whole process: only
// the allowed directories stay reachable, for everyone, administrators
// included. It cannot be undone while the warehouse is open, and it means no
// new database file can be attached (projects are created offline).
//
// Nothing else may be reachable: DuckDB opens the files a statement names
// while binding it, before the guard can look at its plan, and its error
// messages quote file content. With the data directory out of reach, such
// a statement fails with "Permission Error" whoever sends it.
func LockDown(ctx context.Context, eng *engine.Engine, allowDirs []string) error {
	sep := string(filepath.Separator)
	var dirs []string
	for _, d := range allowDirs {
		dirs = append(dirs, filepath.Clean(d)+sep)
	}
	var quoted []string
	for _, d := range dirs {
		quoted = append(quoted, engine.QuoteString(d))
	}
	qs := []string{"SET enable_external_access = false"}
	if len(quoted) > 0 {
		qs = append([]string{"SET allowed_directories = [" + strings.Join(quoted, ", ") + "]"}, qs...)
	}
	for _, q := range qs {
		if _, err := eng.DB.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("lock down DuckDB (%s): %w", q, err)
		}
	}
	return nil
}
