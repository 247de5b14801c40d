package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelsql/modelsql/internal/parser"
)

// The shell's history file (~/.modelsql_history) is private to its owner
// (0600, also fixed on an existing file) and holds no secrets: a statement
// that may carry one is not recorded at all, neither in the file nor in
// the session's recall list. Masking in place was rejected because finding
// the literal after APIKEY needs the statement's string dialect, and a
// wrong guess would write part of the key.

// historyLimit is how many statements the file keeps.
const historyLimit = 1000

// mayHoldSecret reports whether a statement may carry a secret
// (parser.MayHoldSecret: APIKEY, PASSWORD, SECRET, TOKEN, ...).
func mayHoldSecret(text string) bool { return parser.MayHoldSecret(text) }

// historyEntry is the one-line form of a statement for the history file,
// or "" when it must not be recorded.
func historyEntry(stmt string) string {
	if mayHoldSecret(stmt) {
		return ""
	}
	return strings.Join(strings.Fields(stmt), " ")
}

// history is the shell's history file.
type history struct {
	path string
}

// historyPath is ~/.modelsql_history, or "" without a home directory.
func historyPath() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".modelsql_history")
}

// load makes the file private and returns its entries, dropping (and
// rewriting the file without) any that may hold a secret, as earlier
// versions recorded every line.
func (h *history) load() ([]string, error) {
	if h.path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(h.path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return nil, err
	}
	var kept []string
	dropped := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case mayHoldSecret(line):
			dropped = true
		default:
			kept = append(kept, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(kept) > historyLimit {
		kept = kept[len(kept)-historyLimit:]
		dropped = true
	}
	if dropped {
		if err := h.rewrite(kept); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// rewrite replaces the file with entries, through a private temporary file.
func (h *history) rewrite(entries []string) error {
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".modelsql_history-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, e := range entries {
		w.WriteString(e + "\n")
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil { // CreateTemp made it 0600
		return err
	}
	return os.Rename(tmp.Name(), h.path)
}

// add appends one entry (from historyEntry) to the file.
func (h *history) add(entry string) error {
	if h.path == "" || entry == "" {
		return nil
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(entry + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
