//go:build !unix

package watch

import "os/exec"

// killGroup relies on exec.CommandContext's default (kill the go command).
func killGroup(cmd *exec.Cmd) {}
