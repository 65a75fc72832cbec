package lambda

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ProcessExecutor runs each environment as a child process of slsx: the
// artifact's bootstrap, in its own process group so that a kill takes any
// children with it, with stdout and stderr on one pipe.
type ProcessExecutor struct{}

// Name implements Executor.
func (ProcessExecutor) Name() string { return "process" }

// outputChunk is the read size for environment output. 64 KiB is the
// default Linux pipe capacity, so one read usually empties the pipe.
const outputChunk = 64 << 10

// Start implements Executor.
func (ProcessExecutor) Start(ctx context.Context, spec EnvSpec) (Env, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, err := bootstrapPath(spec.Dir)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create output pipe: %w", err)
	}
	cmd := exec.Command(path)
	cmd.Dir = spec.Dir
	cmd.Env = spec.Environ
	// The same *os.File for both streams: the child writes straight into
	// one pipe, so ordering between stdout and stderr is kept and no copy
	// goroutine sits between the child and us.
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	w.Close()
	p := &procEnv{
		cmd:  cmd,
		pid:  cmd.Process.Pid,
		out:  r,
		dst:  spec.Output,
		buf:  make([]byte, outputChunk),
		done: make(chan struct{}),
	}
	if p.dst == nil {
		p.dst = io.Discard
	}
	if err := p.openOutput(); err != nil {
		_ = p.signal(true)
		_ = cmd.Wait()
		r.Close()
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	go p.readLoop()
	go p.wait()
	return p, nil
}

type procEnv struct {
	cmd  *exec.Cmd
	pid  int
	out  *os.File
	rc   syscall.RawConn // the pipe's descriptor, where reads can be non-blocking
	dst  io.Writer
	done chan struct{}
	err  error

	// mu serialises reads of the pipe and writes to dst, so SyncOutput
	// can read what is left in the pipe without reordering lines.
	mu     sync.Mutex
	buf    []byte
	eof    bool
	last   time.Time    // when output last arrived (platforms without non-blocking reads)
	hwm    atomic.Int64 // last VmHWM seen, in kB
	hwmAt  atomic.Int64 // when it was read, unix ns
	waited atomic.Bool
}

func (p *procEnv) Done() <-chan struct{} { return p.done }
func (p *procEnv) Err() error            { return p.err }

func (p *procEnv) Kill() error {
	if p.waited.Load() {
		return nil
	}
	return p.signal(true)
}

func (p *procEnv) Terminate() error {
	if p.waited.Load() {
		return nil
	}
	return p.signal(false)
}

func (p *procEnv) wait() {
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		// "exit status 3" / "signal: killed", without exec's wrapping.
		err = errors.New(ee.ProcessState.String())
	}
	p.err = err
	p.waited.Store(true)
	// The group may hold children that outlive the bootstrap; they belong
	// to this environment and go with it.
	_ = p.signal(true)
	close(p.done)
}

var vmHWM = []byte("VmHWM:")

// hwmInterval rate-limits reads of /proc/PID/status: the kernel builds
// that file on every read, which costs as much as the rest of a warm
// invocation. The peak only grows, so a value up to this old is a close
// lower bound.
const hwmInterval = 100 * time.Millisecond

// MaxMemoryMB reads the peak RSS of the bootstrap from /proc.
func (p *procEnv) MaxMemoryMB() int {
	now := time.Now().UnixNano()
	if last := p.hwmAt.Load(); !p.waited.Load() && now-last >= int64(hwmInterval) && p.hwmAt.CompareAndSwap(last, now) {
		if kb := readHWM(p.pid); kb > 0 {
			p.hwm.Store(kb)
		}
	}
	kb := p.hwm.Load()
	return int((kb + 1023) / 1024)
}

func readHWM(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, vmHWM) {
			fields := bytes.Fields(line[len(vmHWM):])
			if len(fields) > 0 {
				kb, _ := strconv.ParseInt(string(fields[0]), 10, 64)
				return kb
			}
		}
	}
	return 0
}
