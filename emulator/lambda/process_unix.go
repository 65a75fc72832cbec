//go:build unix

package lambda

import (
	"path/filepath"
	"syscall"
)

func bootstrapPath(dir string) (string, error) { return filepath.Join(dir, "bootstrap"), nil }

// openOutput takes the pipe's descriptor: reads are non-blocking, so
// SyncOutput can take what is in the pipe right now.
func (p *procEnv) openOutput() error {
	rc, err := p.out.SyscallConn()
	p.rc = rc
	return err
}

// signal sends SIGKILL (kill) or SIGTERM to the environment's process
// group, so children the bootstrap started go with it.
func (p *procEnv) signal(kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	return syscall.Kill(-p.pid, sig)
}

// readLoop moves output from the pipe to dst until every writer is gone.
func (p *procEnv) readLoop() {
	defer p.out.Close()
	for {
		err := p.rc.Read(func(fd uintptr) bool {
			for {
				p.mu.Lock()
				if p.eof {
					p.mu.Unlock()
					return true
				}
				n, err := syscall.Read(int(fd), p.buf)
				if n > 0 {
					_, _ = p.dst.Write(p.buf[:n])
				}
				if n == 0 && err == nil || err != nil && err != syscall.EAGAIN && err != syscall.EINTR {
					p.eof = true
				}
				p.mu.Unlock()
				if err == syscall.EAGAIN {
					return false // wait for the poller
				}
				if p.eof {
					return true
				}
			}
		})
		p.mu.Lock()
		eof := p.eof
		p.mu.Unlock()
		if err != nil || eof {
			return
		}
	}
}

// SyncOutput implements Env: whatever is still in the pipe is read now.
// The pipe holds at most its capacity, so this is bounded even when the
// child keeps writing.
func (p *procEnv) SyncOutput() {
	_ = p.rc.Control(func(fd uintptr) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.eof {
			return
		}
		for budget := 16 * outputChunk; budget > 0; {
			n, err := syscall.Read(int(fd), p.buf)
			if n > 0 {
				_, _ = p.dst.Write(p.buf[:n])
				budget -= n
			}
			if err == syscall.EINTR {
				continue
			}
			if n <= 0 || err != nil {
				return
			}
		}
	})
}
