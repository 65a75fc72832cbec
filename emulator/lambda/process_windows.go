package lambda

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// bootstrapPath gives the artifact's bootstrap the .exe name Windows needs
// to run it: a hard link beside it (a copy where links fail), made once.
func bootstrapPath(dir string) (string, error) {
	src := filepath.Join(dir, "bootstrap")
	exe := src + ".exe"
	if _, err := os.Stat(exe); err == nil {
		return exe, nil
	}
	if err := os.Link(src, exe); err == nil {
		return exe, nil
	}
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(dir, "bootstrap-*.exe")
	if err != nil {
		return "", fmt.Errorf("copy bootstrap: %w", err)
	}
	_, err = io.Copy(tmp, in)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), exe)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("copy bootstrap: %w", err)
	}
	return exe, nil
}

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
