//go:build unix

package watch

import (
	"os/exec"
	"syscall"
	"time"
)

// killGroup makes cancelling cmd kill the go command and the compilers and
// linker it started, which share its process group.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}
