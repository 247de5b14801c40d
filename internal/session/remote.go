package session

import (
	"context"
	"fmt"

	"github.com/modelsql/modelsql/internal/functions"
)

func (s *Session) bindRemote(ctx context.Context, b *functions.Binding) error {
	return fmt.Errorf("%s is not available yet", b.Func)
}
