//go:build unix

package docker

import "syscall"

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }

func readFD(fd int, buf []byte) (int, error) { return syscall.Read(fd, buf) }
