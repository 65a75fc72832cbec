package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/slsx/slsx/emulator/lambda"
)

// Resource settings.
const (
	// mbPerVCPU is Lambda's memory for one full vCPU.
	mbPerVCPU = 1769
	// minNanoCPUs is the CPU floor: at 128 MB Lambda's share would be
	// 7% of a core, which makes every cold start and warm call crawl on a
	// laptop; a quarter of a core keeps small functions usable.
	minNanoCPUs = 250_000_000
	// tmpSize is Lambda's default ephemeral storage.
	tmpSize = "512m"
	// outputQuiet is how long SyncOutput waits without new output before it
	// considers the attach stream drained, when there is no log pipe.
	// Output then reaches slsx through the daemon (container pipe ->
	// containerd shim -> dockerd -> attach stream), so unlike a pipe there
	// is nothing to read synchronously; lines in flight arrive well within
	// this window on a local daemon.
	outputQuiet = time.Millisecond
	// outputSyncMax bounds SyncOutput against a handler that never stops
	// writing.
	outputSyncMax = 100 * time.Millisecond
	// drainAfterExit bounds how long Done waits for the log stream to end
	// after the container exited.
	drainAfterExit = 2 * time.Second
	// peakInterval rate-limits reads of the cgroup's memory peak, as the
	// process executor does for /proc: the read (open, read, close of a
	// cgroup file) costs about 30 µs, a quarter of docker's warm-invoke
	// overhead. The peak only grows, so a value up to this old is a close
	// lower bound; it is read again when the container exits.
	peakInterval = 100 * time.Millisecond
	// removeTimeout bounds the removal of an exited container.
	removeTimeout = 30 * time.Second
)

// Start implements lambda.Executor: it creates the container, attaches to
// its output and starts it.
func (x *Executor) Start(ctx context.Context, spec lambda.EnvSpec) (lambda.Env, error) {
	if x.stopStarts.Err() != nil {
		return nil, fmt.Errorf("start container for %s: %w", spec.Function, errInterrupted)
	}
	shim, dir, ok := x.pipes.prepare(ctx, true)
	if !ok {
		return x.start(ctx, spec, ioMounts{}, "")
	}
	// The shim is the entrypoint now, so a bootstrap that cannot run would
	// only show once the shim executes it; say it here, as the container's
	// start would.
	if err := checkBootstrap(filepath.Join(spec.Dir, "bootstrap")); err != nil {
		return nil, fmt.Errorf("create container for %s: %w", spec.Function, err)
	}
	name := containerName(spec.Function, spec.EnvID, x.instance)
	c, err := x.start(ctx, spec, ioMounts{shim: shim, pipe: filepath.Join(dir, name)}, name)
	if err == nil || ctx.Err() != nil || x.stopStarts.Err() != nil {
		return c, err
	}
	// Some hosts refuse the mounts or the shim (SELinux labels, user
	// namespace remapping, a noexec cache): when the container starts
	// without them, they were the cause, and the run does without.
	c2, err2 := x.start(ctx, spec, ioMounts{}, name+"-attach")
	if err2 != nil {
		return nil, err
	}
	x.pipes.disable(fmt.Errorf("containers start only without the log pipe: %w", err))
	return c2, nil
}

// start runs one container; with m set, its output comes through the log
// pipe m.pipe, else through the attach stream alone. name is the
// container's name.
func (x *Executor) start(ctx context.Context, spec lambda.EnvSpec, m ioMounts, name string) (lambda.Env, error) {
	c := &ctrEnv{
		x:     x,
		fn:    spec.Function,
		env:   spec.EnvID,
		dst:   spec.Output,
		done:  make(chan struct{}),
		drain: make(chan struct{}),
	}
	if c.dst == nil {
		c.dst = io.Discard
	}
	if name == "" {
		name = containerName(spec.Function, spec.EnvID, x.instance)
	}
	if m.pipe != "" {
		p, err := openLogPipe(m.pipe, x.pipes.mode, &c.out, c.dst)
		if err != nil {
			x.log.Warn("no log pipe for this environment; output goes through the attach stream", "function", spec.Function, "env", spec.EnvID, "err", err)
			m = ioMounts{}
		} else {
			c.pipe = p
		}
	}
	id, att, wait, waitErr, err := x.create(ctx, spec, m, name)
	if err != nil {
		if c.pipe != nil {
			c.pipe.close()
		}
		return nil, err
	}
	c.id = id
	c.cg = x.cgroups.memoryPeakFile(id)
	go c.copyOutput(att.Reader, att.Close)
	if c.pipe != nil {
		go c.pipe.readLoop()
	}
	// Only the start is interrupted, not the create: a create abandoned
	// half-way may still complete in the daemon, out of Close's sight,
	// while a container whose start is abandoned is known and removed.
	startCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(x.stopStarts, cancel)()
	if err := x.cli.ContainerStart(startCtx, id, container.StartOptions{}); err != nil {
		att.Close()
		if c.pipe != nil {
			c.pipe.close()
		}
		x.removeLater(id)
		return nil, fmt.Errorf("start container for %s: %w", spec.Function, err)
	}
	go c.wait(wait, waitErr)
	return c, nil
}

// checkBootstrap fails when path (on the host, mounted into the container
// as it is) is missing or not executable.
func checkBootstrap(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return &os.PathError{Op: "exec", Path: path, Err: syscall.EACCES}
	}
	return nil
}

// errInterrupted is why a Start after Interrupt fails.
var errInterrupted = errors.New("slsx is shutting down")

// create resolves the image and creates the container, rebuilding the
// runtime image once if it disappeared since it was last seen.
func (x *Executor) create(ctx context.Context, spec lambda.EnvSpec, mounts ioMounts, name string) (string, hijacked, <-chan container.WaitResponse, <-chan error, error) {
	for attempt := 0; ; attempt++ {
		img, err := x.images.resolve(ctx, spec.Image)
		if err != nil {
			return "", hijacked{}, nil, nil, err
		}
		cfg, host := x.containerConfig(spec, img, mounts)
		created, err := x.cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
		if err != nil {
			if client.IsErrNotFound(err) && attempt == 0 {
				x.log.Warn("image disappeared; checking it again", "image", img)
				x.images.forget(img)
				continue
			}
			return "", hijacked{}, nil, nil, fmt.Errorf("create container for %s: %w", spec.Function, err)
		}
		id := created.ID
		// Attach and wait before start: output from the first instruction
		// and an exit during start are not missed.
		att, err := x.cli.ContainerAttach(ctx, id, container.AttachOptions{Stream: true, Stdout: true, Stderr: true})
		if err != nil {
			x.removeLater(id)
			return "", hijacked{}, nil, nil, fmt.Errorf("attach to container for %s: %w", spec.Function, err)
		}
		// The wait outlives ctx (which bounds the start only).
		wait, waitErr := x.cli.ContainerWait(context.WithoutCancel(ctx), id, container.WaitConditionNextExit)
		return id, hijacked{Reader: att.Reader, Close: att.Close}, wait, waitErr, nil
	}
}

type hijacked struct {
	Reader io.Reader
	Close  func()
}

// ioMounts are the host paths of a container's log pipe and of the shim
// that connects the bootstrap to it; zero when output goes through the
// attach stream alone.
type ioMounts struct{ shim, pipe string }

// containerConfig is the container of one environment.
func (x *Executor) containerConfig(spec lambda.EnvSpec, image string, m ioMounts) (*container.Config, *container.HostConfig) {
	mem := int64(spec.MemoryMB) << 20
	nano := int64(spec.MemoryMB) * 1e9 / mbPerVCPU
	if nano < minNanoCPUs {
		nano = minNanoCPUs
	}
	labels := map[string]string{
		LabelManaged:      "true",
		LabelInstance:     x.instance,
		LabelFunction:     spec.Function,
		LabelEnv:          spec.EnvID,
		LabelPID:          strconv.Itoa(x.pid),
		LabelHost:         x.hostname,
		"slsx.generation": strconv.Itoa(spec.Generation),
	}
	cfg := &container.Config{
		Image:      image,
		Entrypoint: []string{"/var/task/bootstrap"},
		Cmd:        []string{},
		WorkingDir: "/var/task",
		User:       strconv.Itoa(lambdaUID) + ":" + strconv.Itoa(lambdaGID),
		Env:        ContainerEnviron(spec.Environ, x.alias),
		Labels:     labels,
		// Stdin closed, no TTY: stdout and stderr come multiplexed, in
		// the order the daemon receives them.
		AttachStdout: true,
		AttachStderr: true,
	}
	host := &container.HostConfig{
		Mounts: []mount.Mount{{
			Type: mount.TypeBind, Source: filepath.Clean(spec.Dir), Target: "/var/task", ReadOnly: true,
		}},
		Tmpfs:          map[string]string{"/tmp": "rw,nosuid,nodev,size=" + tmpSize + ",mode=1777"},
		ReadonlyRootfs: true,
		AutoRemove:     false, // we remove it ourselves after reading the exit code
		LogConfig:      container.LogConfig{Type: "none"},
		Resources: container.Resources{
			Memory:     mem,
			MemorySwap: mem, // equal to Memory: no swap, as in Lambda
			NanoCPUs:   nano,
		},
	}
	if mem == 0 {
		host.Resources.MemorySwap = 0
	}
	if m.shim != "" {
		cfg.Entrypoint = []string{shimTarget, "/var/task/bootstrap"}
		host.Mounts = append(host.Mounts,
			mount.Mount{Type: mount.TypeBind, Source: m.shim, Target: shimTarget, ReadOnly: true},
			mount.Mount{Type: mount.TypeBind, Source: m.pipe, Target: pipeTarget},
		)
	}
	if x.alias != "" && !isIP(x.alias) {
		host.ExtraHosts = []string{x.alias + ":host-gateway"}
	}
	return cfg, host
}

// containerName is unique per environment and readable in `docker ps`.
func containerName(fn, envID, instance string) string {
	clean := func(s string) string {
		b := []byte(s)
		for i, c := range b {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
				b[i] = '-'
			}
		}
		return string(b)
	}
	inst := clean(instance)
	if len(inst) > 24 {
		inst = inst[len(inst)-24:]
	}
	return "slsx-" + inst + "-" + clean(fn) + "-" + clean(envID)
}

// removeLater removes a container in the background, detached from the
// context of the call that failed.
func (x *Executor) removeLater(id string) {
	x.removals.Add(1)
	go func() {
		defer x.removals.Done()
		ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
		defer cancel()
		err := x.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
		if err != nil && !client.IsErrNotFound(err) && !isRemovalInProgress(err) {
			x.log.Warn("remove container", "container", shortID(id), "err", err)
		}
	}()
}

// ctrEnv is one environment's container.
type ctrEnv struct {
	x   *Executor
	id  string
	fn  string
	env string
	dst io.Writer
	cg  string // cgroup memory peak file, "" when not reachable

	// out serialises writes to dst: the log pipe's reader and the attach
	// stream's copier both write there.
	out  sync.Mutex
	pipe *logPipe // nil: the attach stream carries all output

	done  chan struct{}
	drain chan struct{} // closed when the output stream ended
	err   error

	killed  atomic.Bool
	exited  atomic.Bool
	lastOut atomic.Int64 // unix nanos of the last output received
	peak    atomic.Int64 // bytes
	peakAt  atomic.Int64 // when the cgroup's peak was last read, unix ns
	statsIn atomic.Bool  // a stats read is in flight
}

func (c *ctrEnv) Done() <-chan struct{} { return c.done }
func (c *ctrEnv) Err() error            { return c.err }

// ID is the container id.
func (c *ctrEnv) ID() string { return c.id }

func (c *ctrEnv) signal(sig string) error {
	if c.exited.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	err := c.x.cli.ContainerKill(ctx, c.id, sig)
	if err != nil && (client.IsErrNotFound(err) || strings.Contains(err.Error(), "is not running")) {
		return nil
	}
	return err
}

// Kill implements lambda.Env. The container is removed once it exited.
func (c *ctrEnv) Kill() error {
	c.killed.Store(true)
	return c.signal("SIGKILL")
}

// Terminate implements lambda.Env.
func (c *ctrEnv) Terminate() error { return c.signal("SIGTERM") }

// outWriter forwards demultiplexed output to dst and stamps its arrival.
type outWriter struct{ c *ctrEnv }

func (w outWriter) Write(p []byte) (int, error) {
	w.c.out.Lock()
	w.c.lastOut.Store(time.Now().UnixNano())
	_, _ = w.c.dst.Write(p)
	w.c.out.Unlock()
	return len(p), nil
}

// copyOutput moves the attach stream to dst until it ends. One goroutine,
// one writer for both streams: dst sees writes one at a time, in the order
// the daemon sent them.
func (c *ctrEnv) copyOutput(r io.Reader, closeFn func()) {
	defer close(c.drain)
	defer closeFn()
	w := outWriter{c}
	if _, err := stdcopy.StdCopy(w, w, r); err != nil && !c.exited.Load() {
		c.x.log.Debug("container output stream", "container", shortID(c.id), "err", err)
	}
}

// SyncOutput implements lambda.Env. With a log pipe that the shim
// announced on, it reads what is left in the pipe, which is exact. Else it
// returns once the attach stream has been quiet for outputQuiet since the
// call (or the last byte), or has ended.
func (c *ctrEnv) SyncOutput() {
	if c.pipe != nil && c.pipe.sync() {
		return
	}
	start := time.Now()
	deadline := start.Add(outputSyncMax)
	for {
		last := time.Unix(0, c.lastOut.Load())
		if last.Before(start) {
			last = start
		}
		wait := c.x.quiet - time.Since(last)
		if wait <= 0 || time.Now().After(deadline) {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-c.drain:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// MaxMemoryMB implements lambda.Env from the container's cgroup when slsx
// can read it, else from the Docker stats API (read in the background,
// so the value may lag one call).
func (c *ctrEnv) MaxMemoryMB() int {
	if !c.exited.Load() {
		if c.cg != "" {
			now := time.Now().UnixNano()
			if last := c.peakAt.Load(); now-last >= int64(peakInterval) && c.peakAt.CompareAndSwap(last, now) {
				if b, ok := readCgroupInt(c.cg); ok {
					c.storePeak(b)
				}
			}
		} else if c.statsIn.CompareAndSwap(false, true) {
			go func() {
				defer c.statsIn.Store(false)
				c.readStats()
			}()
		}
	}
	return int((c.peak.Load() + (1<<20 - 1)) >> 20)
}

func (c *ctrEnv) storePeak(b int64) {
	for {
		cur := c.peak.Load()
		if b <= cur || c.peak.CompareAndSwap(cur, b) {
			return
		}
	}
}

func (c *ctrEnv) readStats() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if b := containerPeak(ctx, c.x.cli, c.id); b > 0 {
		c.storePeak(b)
	}
}

// wait turns the container's exit into Done and Err, then removes it.
func (c *ctrEnv) wait(wait <-chan container.WaitResponse, waitErr <-chan error) {
	var err error
	select {
	case r := <-wait:
		switch {
		case r.Error != nil && r.Error.Message != "":
			err = errors.New("docker: " + r.Error.Message)
		default:
			err = exitError(r.StatusCode, c.killed.Load())
		}
	case e := <-waitErr:
		// The daemon went away or the container was removed under us.
		err = fmt.Errorf("docker: lost container %s: %v", shortID(c.id), e)
	}
	// Last peak before the cgroup disappears.
	if c.cg != "" {
		if b, ok := readCgroupInt(c.cg); ok {
			c.storePeak(b)
		}
	}
	c.exited.Store(true)
	if c.pipe != nil {
		c.pipe.close()
	}
	select {
	case <-c.drain:
	case <-time.After(drainAfterExit):
	}
	c.err = err
	// Registered before Done closes, so Close (after the pool saw every
	// environment exit) waits for this removal.
	c.x.removeLater(c.id)
	close(c.done)
}

// exitError words a container exit code as Go's ProcessState does. Docker
// reports death by signal N as 128+N; a kill slsx sent is always
// "signal: killed".
func exitError(code int64, killed bool) error {
	switch {
	case killed && (code == 137 || code == 143):
		return errors.New("signal: killed")
	case code == 0:
		return nil
	case code > 128 && code < 128+32:
		return errors.New("signal: " + syscall.Signal(code-128).String())
	default:
		return errors.New("exit status " + strconv.FormatInt(code, 10))
	}
}

var _ lambda.Executor = (*Executor)(nil)
