package lambda

import "syscall"

// sysProcAttr puts the child in its own process group, so a kill reaches
// everything it started, and asks the kernel to kill it should slsx die
// without cleaning up (a safety net; Close is the real cleanup).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
