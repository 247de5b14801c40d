//go:build unix

package engine

import "syscall"

// restrictUmask makes every file the process creates from now on private to
// its owner (0600 for files DuckDB creates with 0666).
func restrictUmask() { syscall.Umask(0o077) }
