package access

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/modelsql/modelsql/internal/engine"
)

// LockDown turns DuckDB's external access off for the whole server: only
// the projects directory (new projects are attached there), the server's
// COPY staging directory and the allowed directories stay reachable, for
// everyone. It cannot be undone while the warehouse is open. The guard
// additionally keeps non-administrators out of everything but the allowed
// directories.
func LockDown(ctx context.Context, eng *engine.Engine, uploadDir string, allowDirs []string) error {
	sep := string(filepath.Separator)
	dirs := []string{filepath.Join(eng.DataDir, "projects") + sep, filepath.Clean(uploadDir) + sep}
	for _, d := range allowDirs {
		dirs = append(dirs, filepath.Clean(d)+sep)
	}
	var quoted []string
	for _, d := range dirs {
		quoted = append(quoted, engine.QuoteString(d))
	}
	for _, q := range []string{
		"SET allowed_directories = [" + strings.Join(quoted, ", ") + "]",
		"SET enable_external_access = false",
	} {
		if _, err := eng.DB.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("lock down DuckDB (%s): %w", q, err)
		}
	}
	return nil
}
