//go:build linux

// Command initshim is the entrypoint of slsx's Lambda containers when slsx
// reads their output directly: it points stdout and stderr at the log pipe
// slsx mounted into the container, announces itself on the pipe, and
// executes the bootstrap given as its arguments, which then runs as PID 1
// exactly as without the shim.
//
// slsx builds it with CGO_ENABLED=0 from this file (embedded in slsx), so
// it must stay one file that imports the standard library only.
package main

import (
	"os"
	"syscall"
)

// Contract with the host (emulator/lambda/docker/logpipe.go).
const (
	// logPath is where slsx mounts the FIFO it reads.
	logPath = "/.slsx/log"
	// hello is the first thing written to the pipe: slsx strips it, and
	// knows from it that everything after goes through the pipe.
	hello = "\x00slsx-log-pipe\x00"
)

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString("usage: init /path/to/bootstrap [args...]\n")
		os.Exit(2)
	}
	if err := redirect(); err != nil {
		// Output then goes through Docker's attach stream, as it would
		// without the shim; slsx notices the missing hello.
		os.Stderr.WriteString("slsx: cannot use the log pipe (" + err.Error() + "); output goes through docker\n")
	}
	argv := os.Args[1:]
	err := syscall.Exec(argv[0], argv, os.Environ())
	// Worded like runc's own failure for a missing entrypoint.
	os.Stderr.WriteString("exec " + argv[0] + ": " + err.Error() + "\n")
	if err == syscall.ENOENT {
		os.Exit(127)
	}
	os.Exit(126)
}

// redirect opens the log pipe and makes it fds 1 and 2.
func redirect() error {
	// O_NONBLOCK: with no reader (a FIFO that does not reach slsx, as
	// across a VM) the open fails with ENXIO instead of hanging.
	fd, err := syscall.Open(logPath, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	// The handler gets ordinary blocking writes: a full pipe waits for
	// slsx to read, like any pipe.
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return err
	}
	// One write of fewer than PIPE_BUF bytes is atomic: slsx reads the
	// whole hello before anything else.
	if _, err := syscall.Write(fd, []byte(hello)); err != nil {
		syscall.Close(fd)
		return err
	}
	for _, to := range []int{1, 2} {
		if err := syscall.Dup3(fd, to, 0); err != nil {
			// Past the hello: stdout may already be the pipe; stop here
			// rather than run with the streams split.
			os.Stderr.WriteString("slsx: dup log pipe: " + err.Error() + "\n")
			os.Exit(126)
		}
	}
	return syscall.Close(fd)
}
