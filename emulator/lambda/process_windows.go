package lambda

import (
	"syscall"
	"time"
)

// Windows has no non-blocking reads of an anonymous pipe: a goroutine
// copies output as it comes, and SyncOutput waits for a short quiet spell
// (the same compromise the docker executor's attach stream needs).
const (
	winOutputQuiet = time.Millisecond
	winOutputMax   = 50 * time.Millisecond
)

func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

func (p *procEnv) openOutput() error { return nil }

// signal kills the bootstrap; Windows has no SIGTERM to offer first.
func (p *procEnv) signal(bool) error { return p.cmd.Process.Kill() }

func (p *procEnv) readLoop() {
	defer p.out.Close()
	buf := make([]byte, outputChunk)
	for {
		n, err := p.out.Read(buf)
		p.mu.Lock()
		if n > 0 {
			_, _ = p.dst.Write(buf[:n])
			p.last = time.Now()
		}
		if err != nil {
			p.eof = true
		}
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// SyncOutput returns once no output arrived for winOutputQuiet, the
// stream ended, or winOutputMax passed.
func (p *procEnv) SyncOutput() {
	start := time.Now()
	for time.Since(start) < winOutputMax {
		p.mu.Lock()
		eof, last := p.eof, p.last
		p.mu.Unlock()
		if eof || time.Since(last) >= winOutputQuiet && time.Since(start) >= winOutputQuiet {
			return
		}
		time.Sleep(winOutputQuiet / 4)
	}
}
