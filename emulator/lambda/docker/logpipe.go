package docker

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// The log pipe is how slsx reads a container's output without going
// through the daemon. Docker's attach stream is asynchronous (container
// pipe -> containerd shim -> dockerd -> HTTP), so the end of an
// invocation's log can only be guessed from a quiet period. Instead each
// container gets a FIFO from a host directory, mounted at pipeTarget, and
// a tiny static entrypoint (initshim, mounted read-only at shimTarget)
// that makes it the bootstrap's stdout and stderr before executing the
// bootstrap. slsx reads the FIFO like the process executor reads its pipe:
// whatever the handler wrote before it answered is in the pipe when the
// answer arrives, and SyncOutput reads it there and then.
//
// It needs a daemon on this kernel: a FIFO does not cross the VM of
// Docker Desktop (or any remote daemon). There, and whenever the shim
// cannot be built (no Go toolchain), the attach stream is used alone, as
// it is for the rest of a run once a container started only without the
// mounts (SELinux labels, userns-remap). A container whose shim could not
// open the FIFO writes no hello; its output goes through the attach
// stream, and SyncOutput falls back to the quiet window.
const (
	shimTarget = "/.slsx/init"
	pipeTarget = "/.slsx/log"
	// pipeHello is what the shim writes first (see initshim): from it slsx
	// knows that the container's output comes through the pipe.
	pipeHello = "\x00slsx-log-pipe\x00"
)

//go:embed initshim/main.go
var shimSource []byte

// pipeSupport is an executor's log pipe setup: the shim is readied from
// New, the FIFO directory at the first start.
type pipeSupport struct {
	x      *Executor
	reason string      // why pipes are off, "" when they may be used
	goarch string      // GOARCH of the daemon's machine
	mode   os.FileMode // of each FIFO (tests vary it)

	mu     sync.Mutex
	dir    string // this run's FIFOs (removed by Close)
	shim   string // host path of the built shim
	err    error  // the preparation failed for good
	closed bool
}

// initPipes decides whether pipes can work with this daemon.
func (p *pipeSupport) init(x *Executor, disabled bool, daemonHost, arch string) {
	p.x = x
	p.goarch = goArch(arch)
	p.mode = pipeMode
	switch {
	case disabled:
		p.reason = "disabled"
	case runtime.GOOS != "linux":
		p.reason = "the daemon runs in a VM"
	case x.desktop:
		p.reason = "Docker Desktop runs the daemon in a VM"
	case !isUnixSocket(daemonHost):
		p.reason = "the daemon is not on this host (" + daemonHost + ")"
	case p.goarch == "":
		p.reason = "unknown daemon architecture " + strconv.Quote(arch)
	}
}

func isUnixSocket(host string) bool {
	u, err := url.Parse(host)
	return err == nil && u.Scheme == "unix"
}

// goArch maps the daemon's `uname -m` to GOARCH; "" when Go has none.
func goArch(machine string) string {
	switch machine {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	case "armv7l", "armv6l", "arm":
		return "arm"
	case "i386", "i686":
		return "386"
	case "ppc64le", "s390x", "riscv64":
		return machine
	}
	return ""
}

// prepare returns the shim and the FIFO directory, building the shim the
// first time; ok is false when containers use the attach stream alone.
// Without forStart it only readies the shim (the FIFO directory is made
// for the first container, so a run that starts none leaves nothing).
func (p *pipeSupport) prepare(ctx context.Context, forStart bool) (shim, dir string, ok bool) {
	if p.reason != "" {
		return "", "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil || p.closed {
		return "", "", false
	}
	if p.shim == "" {
		cache, err := shimCacheDir()
		if err != nil {
			// No user cache: this run's directory holds the shim.
			if !p.mkdir() {
				return "", "", false
			}
			cache = p.dir
		}
		shim, err := shimBinary(ctx, p.goarch, cache)
		if err != nil {
			if ctx.Err() == nil {
				p.fail(err)
			}
			return "", "", false
		}
		p.shim = shim
	}
	if forStart && p.dir == "" && !p.mkdir() {
		return "", "", false
	}
	return p.shim, p.dir, true
}

// mkdir creates this run's FIFO directory; p.mu is held.
func (p *pipeSupport) mkdir() bool {
	d, err := os.MkdirTemp("", "slsx-docker-"+strconv.Itoa(p.x.pid)+"-")
	if err == nil {
		// Traversable, not listable: a daemon remapping root to another
		// uid (userns-remap) must reach the FIFOs to mount them.
		if err = os.Chmod(d, 0o711); err != nil {
			os.Remove(d)
		}
	}
	if err != nil {
		p.fail(fmt.Errorf("create log pipe directory: %w", err))
		return false
	}
	p.dir = d
	return true
}

// fail turns pipes off for this run; p.mu is held.
func (p *pipeSupport) fail(err error) {
	if p.err == nil {
		p.err = err
		p.x.log.Warn("containers' output goes through the docker attach stream; each invocation waits for it to be quiet", "err", err)
	}
}

// disable turns pipes off for this run.
func (p *pipeSupport) disable(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail(err)
}

// close removes this run's FIFOs.
func (p *pipeSupport) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.dir != "" {
		_ = os.RemoveAll(p.dir)
		p.dir = ""
	}
}

// removeStalePipeDirs removes the FIFO directories of slsx runs on this
// host that are no longer running.
func removeStalePipeDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "slsx-docker-*-*"))
	for _, d := range dirs {
		pidStr, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(d), "slsx-docker-"), "-")
		pid, err := strconv.Atoi(pidStr)
		if err == nil && pid > 0 && pid != os.Getpid() && !processAlive(pid) {
			_ = os.RemoveAll(d)
		}
	}
}

// shimCacheDir is where built shims are kept across runs.
func shimCacheDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "slsx", "docker"), nil
}

// shimBinary returns the path of the shim built for goarch: from dir when
// a build of this source is there, else built now with the Go toolchain
// (fast: it needs the standard library that builds of Lambda handlers,
// CGO_ENABLED=0 GOOS=linux, have already cached). The file name carries
// the source digest, so a changed shim under an unchanged slsx version
// ("dev") is rebuilt.
func shimBinary(ctx context.Context, goarch, dir string) (string, error) {
	sum := sha256.Sum256(append(append([]byte(nil), shimSource...), goarch...))
	name := "init-" + hex.EncodeToString(sum[:8]) + "-" + goarch
	path := filepath.Join(dir, name)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return path, nil
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("build the container entrypoint: no Go toolchain on PATH: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build the container entrypoint: %w", err)
	}
	src, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("build the container entrypoint: %w", err)
	}
	defer os.RemoveAll(src)
	files := map[string][]byte{"go.mod": []byte("module slsxinit\n\ngo 1.20\n"), "main.go": shimSource}
	for f, b := range files {
		if err := os.WriteFile(filepath.Join(src, f), b, 0o644); err != nil {
			return "", fmt.Errorf("build the container entrypoint: %w", err)
		}
	}
	out := filepath.Join(src, "init")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = shimBuildEnv(goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the container entrypoint: %w: %s", err, strings.TrimSpace(string(b)))
	}
	if err := os.Chmod(out, 0o755); err != nil {
		return "", fmt.Errorf("build the container entrypoint: %w", err)
	}
	// Rename is atomic: a concurrent slsx sees no half-written file.
	if err := os.Rename(out, path); err != nil {
		return "", fmt.Errorf("build the container entrypoint: %w", err)
	}
	return path, nil
}

// shimBuildEnv is the user's Go environment for a static Linux build of a
// module of its own.
func shimBuildEnv(goarch string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CGO_ENABLED", "GOOS", "GOARCH", "GOFLAGS", "GOWORK", "GO111MODULE":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOWORK=off", "GO111MODULE=on", "GOFLAGS=-mod=mod")
}

// logPipe is one container's FIFO, read by slsx.
type logPipe struct {
	path string
	f    *os.File
	rc   syscall.RawConn
	// out is the environment's output lock: held while reading the pipe
	// and writing dst, so SyncOutput reads what is left without
	// reordering lines, and shared with the attach stream's copier.
	out    *sync.Mutex
	dst    io.Writer
	buf    []byte
	hello  int         // bytes of pipeHello seen so far; guarded by out
	direct atomic.Bool // the hello arrived: all output comes this way
	closed bool        // guarded by out
}

// pipeMode lets others write, for the container's user (uid 993, or
// unmapped under user namespaces); only slsx reads.
const pipeMode os.FileMode = 0o622

// pipeChunk is the read size: the default Linux pipe capacity, so one
// read usually empties the pipe.
const pipeChunk = 64 << 10

// pipeSyncBudget bounds one sync's reads: the largest pipe an
// unprivileged process can ask for (fs.pipe-max-size, 1 MiB).
const pipeSyncBudget = 16 * pipeChunk

// openLogPipe creates the FIFO path and opens it for slsx. The open is
// read-write, so reads never see end-of-file while no container holds the
// other end (before the shim opened it); the end is the container's exit.
func openLogPipe(path string, mode os.FileMode, out *sync.Mutex, dst io.Writer) (*logPipe, error) {
	if err := mkfifo(path); err != nil {
		return nil, fmt.Errorf("create log pipe: %w", err)
	}
	if err := os.Chmod(path, mode); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("create log pipe: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("open log pipe: %w", err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("open log pipe: %w", err)
	}
	return &logPipe{path: path, f: f, rc: rc, out: out, dst: dst, buf: make([]byte, pipeChunk)}, nil
}

// feed hands what was read to dst, less the shim's hello. out is held.
func (p *logPipe) feed(b []byte) {
	if p.hello < len(pipeHello) {
		n := min(len(pipeHello)-p.hello, len(b))
		if string(b[:n]) == pipeHello[p.hello:p.hello+n] {
			p.hello += n
			b = b[n:]
			if p.hello == len(pipeHello) {
				p.direct.Store(true)
			}
		} else {
			// Not the shim's hello: someone else's bytes, kept as they
			// are; the pipe is then not trusted to carry everything.
			_, _ = p.dst.Write([]byte(pipeHello[:p.hello]))
			p.hello = len(pipeHello)
		}
	}
	if len(b) > 0 {
		_, _ = p.dst.Write(b)
	}
}

// readAvailable reads until the pipe is empty or budget bytes were read.
// Each read and its write to dst happen under out, one at a time, so
// concurrent readers keep the order and none holds out for long. It
// reports false once the pipe is closed or broken.
func (p *logPipe) readAvailable(fd int, budget int) bool {
	for budget > 0 {
		p.out.Lock()
		if p.closed {
			p.out.Unlock()
			return false
		}
		n, err := readFD(fd, p.buf)
		if n > 0 {
			p.feed(p.buf[:n])
			budget -= n
		}
		p.out.Unlock()
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return true
		case err != nil || n == 0:
			// n == 0 cannot happen while slsx holds a write end.
			return false
		}
	}
	return true
}

// readLoop moves output from the pipe to dst until close.
func (p *logPipe) readLoop() {
	for {
		open := true
		err := p.rc.Read(func(fd uintptr) bool {
			open = p.readAvailable(int(fd), math.MaxInt)
			return !open // when empty, wait for the poller
		})
		if err != nil || !open {
			return
		}
	}
}

// sync reads what is in the pipe now and reports whether the pipe carries
// all of the container's output. The budget bounds it against a handler
// that writes without pause: what it wrote before answering fits in the
// pipe, the rest belongs to later.
func (p *logPipe) sync() bool {
	_ = p.rc.Control(func(fd uintptr) { p.readAvailable(int(fd), pipeSyncBudget) })
	return p.direct.Load()
}

// close reads what the exited container left in the pipe, then closes and
// removes it. Every writer is gone once the container exited (its PID
// namespace died with it), so the pipe holds at most its capacity, which
// an unprivileged writer can raise to 1 MiB (fs.pipe-max-size): the budget.
func (p *logPipe) close() {
	_ = p.rc.Control(func(fd uintptr) { p.readAvailable(int(fd), pipeSyncBudget) })
	p.out.Lock()
	p.closed = true
	p.out.Unlock()
	// Closing wakes readLoop if it waits for the poller.
	_ = p.f.Close()
	_ = os.Remove(p.path)
}
