package parser

import "strings"

// secretWords mark a statement that may carry a secret: model API keys,
// user passwords, storage credentials (DuckDB's CREATE SECRET and s3_*
// settings, OSS/STS access keys) and tokens. A false match only costs what
// the caller withholds (a history entry, an error's quoted context).
var secretWords = []string{
	"APIKEY", "API_KEY", "PASSWORD", "SECRET", "TOKEN", "KEY_ID", "ACCESS_KEY",
	"ACCESSKEY", "CREDENTIAL", "CONNECTION_STRING", "BEARER", "AUTHORIZATION",
}

// MayHoldSecret reports whether text mentions any of secretWords (in any
// case), so that the statement is kept out of the shell's history and
// DuckDB's errors about it do not quote it.
func MayHoldSecret(text string) bool {
	up := strings.ToUpper(text)
	for _, w := range secretWords {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}
