package functions

import (
	"fmt"

	"github.com/modelsql/modelsql/internal/llm"
)

// recordFallback records a row its version's FALLBACK was asked for, in
// the failure table: the class is the primary's error, the message names
// the model version that answered (or says the fallback failed too, when
// err is set and the row is not recorded as a failure anyway).
func (rc *RemoteCall) recordFallback(b *Binding, r *request, info *llm.CallInfo, err error) {
	if info == nil || !info.FellBack {
		return
	}
	if err != nil && rc.NullOnError {
		return // recorded as the row's failure, whose message names both
	}
	msg := fmt.Sprintf("answered by fallback model %s version %s after: %v", info.Model, info.Version, info.PrimaryError)
	if err != nil {
		msg = fmt.Sprintf("fallback model %s version %s failed too: %v", info.Model, info.Version, err)
	}
	rc.add(b, r, info.PrimaryError, msg)
}
