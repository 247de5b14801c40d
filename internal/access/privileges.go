// Package access is the server's access control: users with SCRAM-SHA-256
// verifiers, roles, MaxCompute-style privileges on projects, tables and
// models, and the session.Guard that checks every statement before it runs.
//
// Everything is stored in the warehouse's system database (engine.SystemCatalog),
// so users and grants live with the data they protect.
package access

import (
	"fmt"
	"strings"
)

// Object kinds, as written in GRANT ... ON <kind> <name>.
const (
	KindProject = "PROJECT"
	KindTable   = "TABLE"
	KindModel   = "MODEL"
)

// Privilege names (MaxCompute's ACL actions). All stands for every
// privilege of its object kind.
const (
	PrivAll         = "All"
	PrivCreateTable = "CreateTable"
	PrivCreateModel = "CreateModel"
	PrivList        = "List"
	PrivSelect      = "Select"
	PrivUpdate      = "Update"
	PrivAlter       = "Alter"
	PrivDrop        = "Drop"
	PrivDescribe    = "Describe"
	PrivExecute     = "Execute"
)

// privileges lists the privileges each object kind accepts, in display order.
var privileges = map[string][]string{
	KindProject: {PrivCreateTable, PrivCreateModel, PrivList, PrivAll},
	KindTable:   {PrivSelect, PrivUpdate, PrivAlter, PrivDrop, PrivDescribe, PrivAll},
	KindModel:   {PrivDescribe, PrivAlter, PrivDrop, PrivExecute, PrivAll},
}

// Privileges returns the privileges an object kind accepts.
func Privileges(kind string) []string { return append([]string(nil), privileges[kind]...) }

// CanonicalPrivilege returns the canonical spelling of a privilege written
// in any case for an object kind, or an error naming the valid ones.
func CanonicalPrivilege(kind, p string) (string, error) {
	list, ok := privileges[kind]
	if !ok {
		return "", fmt.Errorf("unknown object kind %q: use PROJECT, TABLE or MODEL", kind)
	}
	for _, c := range list {
		if strings.EqualFold(c, p) {
			return c, nil
		}
	}
	return "", fmt.Errorf("privilege %s does not apply to a %s; valid: %s", p, strings.ToLower(kind), strings.Join(list, ", "))
}

// DeniedError is a refused statement. Its message names the missing
// privilege and the object, e.g.
// "permission denied: user bob lacks Drop on model p.default.m".
type DeniedError struct {
	User      string
	Privilege string // "" when Reason explains the refusal
	Kind      string // PROJECT, TABLE, MODEL
	Object    string
	Reason    string
}

func (e *DeniedError) Error() string {
	if e.Privilege == "" {
		return "permission denied: " + e.Reason
	}
	msg := fmt.Sprintf("permission denied: user %s lacks %s on %s %s", e.User, e.Privilege, strings.ToLower(e.Kind), e.Object)
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	return msg
}

func denied(user, priv, kind, object string) error {
	return &DeniedError{User: user, Privilege: priv, Kind: kind, Object: object}
}

func deniedf(format string, args ...any) error {
	return &DeniedError{Reason: fmt.Sprintf(format, args...)}
}

// adminOnly refuses a statement kind reserved to administrators.
func adminOnly(user, what string) error {
	return deniedf("%s is reserved to administrators (user %s is not one)", what, user)
}
