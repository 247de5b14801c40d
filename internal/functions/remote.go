package functions

// RemoteCall is what an AI_* call needs at run time.
type RemoteCall struct{}

// RemoteCallSQL renders the rewritten AI_* call.
func RemoteCallSQL(b *Binding, handle string, args []string) (string, error) {
	return "", nil
}
