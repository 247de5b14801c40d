//go:build linux

package objstore

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes a helper server die if the test binary is killed.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
