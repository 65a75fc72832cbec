// Package docker runs Lambda execution environments as Docker containers:
// one container per environment, the function's build directory mounted
// read-only at /var/task, the memory limit of the function, the user and
// read-only root file system of Lambda. It implements lambda.Executor.
//
// Nothing is pulled: an environment runs EnvSpec.Image when that image is
// present locally, or else slsx's own minimal runtime image, built on first
// use from an in-memory context (FROM scratch, CA certificates, /etc/passwd).
//
// Output: on a Linux Docker Engine each container writes its stdout and
// stderr into a FIFO that slsx reads directly, through a small static
// entrypoint mounted into the container (see logpipe.go), so an
// invocation's log is complete when its response arrives. Elsewhere
// (Docker Desktop, remote daemons, no Go toolchain to build the
// entrypoint) output comes through Docker's attach stream.
//
// Networking: a container reaches slsx through HostAlias
// (host.docker.internal, mapped to the bridge gateway with
// "host-gateway"), so the Runtime API and the AWS edge must listen on an
// address the bridge can reach. Executor.HostIP names it; see its comment.
package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
)

// Label keys on every container slsx starts.
const (
	LabelManaged  = "slsx.managed"  // "true"
	LabelInstance = "slsx.instance" // Options.Instance
	LabelFunction = "slsx.function"
	LabelEnv      = "slsx.env"
	LabelPID      = "slsx.pid"  // pid of the slsx process that started it
	LabelHost     = "slsx.host" // hostname of that process, so pids are compared on the right host
)

// DefaultHostAlias is the name containers use for the host.
const DefaultHostAlias = "host.docker.internal"

// ErrUnavailable is returned by New when the Docker daemon cannot be
// reached. The CLI turns it into exit code 2.
var ErrUnavailable = errors.New("docker is not available")

// Options configure an Executor.
type Options struct {
	// Instance names this slsx run; it labels every container so Close and
	// Cleanup find them. Default: "slsx-<pid>".
	Instance string
	// HostAlias is the host name containers use for the host; a name (not
	// an IP) is mapped to the Docker host gateway. Default
	// host.docker.internal.
	HostAlias string
	Logger    *slog.Logger
	// Client is the Docker API client; nil means one from the environment
	// (DOCKER_HOST, DOCKER_API_VERSION..., else /var/run/docker.sock).
	Client *client.Client
	// NoLogPipe reads containers' output from Docker's attach stream only,
	// as on Docker Desktop, instead of through a log pipe (see logpipe.go).
	NoLogPipe bool
}

// Executor runs lambda environments as containers. It is safe for
// concurrent use.
type Executor struct {
	cli      *client.Client
	ownCli   bool
	log      *slog.Logger
	instance string
	alias    string
	hostname string
	pid      int
	desktop  bool   // Docker Desktop: the alias reaches the host's loopback
	gateway  string // bridge gateway IP ("" when unknown)
	images   imageCache
	pipes    pipeSupport
	cgroups  cgroupLayout
	removals sync.WaitGroup // background removals of exited containers
	// stopStarts is cancelled by Interrupt: starts in flight fail.
	stopStarts context.Context
	interrupt  context.CancelFunc
	quiet      time.Duration // SyncOutput's quiet window (outputQuiet; tests vary it)
}

// New connects to the Docker daemon and returns an Executor. When the
// daemon cannot be reached the error wraps ErrUnavailable and names the
// address it tried.
func New(ctx context.Context, opts Options) (*Executor, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	x := &Executor{
		cli:      opts.Client,
		log:      opts.Logger.With("executor", "docker"),
		instance: opts.Instance,
		alias:    opts.HostAlias,
		pid:      os.Getpid(),
		quiet:    outputQuiet,
	}
	if x.instance == "" {
		x.instance = "slsx-" + strconv.Itoa(x.pid)
	}
	if x.alias == "" {
		x.alias = DefaultHostAlias
	}
	x.hostname, _ = os.Hostname()
	if x.cli == nil {
		cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
		if err != nil {
			return nil, fmt.Errorf("%w: %v; start Docker or use --runtime process", ErrUnavailable, err)
		}
		x.cli, x.ownCli = cli, true
	}
	if _, err := x.cli.Ping(ctx); err != nil {
		x.closeClient()
		return nil, unavailable(x.cli.DaemonHost(), err)
	}
	info, err := x.cli.Info(ctx)
	if err != nil {
		x.closeClient()
		return nil, unavailable(x.cli.DaemonHost(), err)
	}
	x.desktop = strings.Contains(info.OperatingSystem, "Docker Desktop")
	if nw, err := x.cli.NetworkInspect(ctx, "bridge", network.InspectOptions{}); err == nil {
		x.gateway = bridgeGateway(nw)
	}
	x.cgroups = detectCgroups(info.CgroupVersion, info.CgroupDriver)
	x.pipes.init(x, opts.NoLogPipe, x.cli.DaemonHost(), info.Architecture)
	if x.pipes.reason != "" {
		x.log.Debug("no log pipe: output goes through the attach stream", "reason", x.pipes.reason)
	}
	x.images.x = x
	x.stopStarts, x.interrupt = context.WithCancel(context.Background())
	// The shim is built (or found in the cache) while slsx builds the
	// functions, rather than during the first cold start.
	go x.pipes.prepare(x.stopStarts, false)
	return x, nil
}

// Interrupt is for a shutdown: it makes every Start in flight, and every
// later one, fail at once, so the pool stops those environments instead of
// waiting for containers the daemon starts one after another and nobody
// will use. Containers already created are removed as usual (Close reaps
// any that are left).
func (x *Executor) Interrupt() { x.interrupt() }

// bridgeGateway finds the host's address on the default bridge: the IPAM
// gateway when the daemon reports it, else the address of the bridge's
// interface (docker0) on this host, else the first address of the subnet,
// which is where Docker puts the gateway.
func bridgeGateway(nw network.Inspect) string {
	for _, c := range nw.IPAM.Config {
		if ip := net.ParseIP(c.Gateway); ip != nil && ip.To4() != nil {
			return ip.String()
		}
	}
	var subnet *net.IPNet
	for _, c := range nw.IPAM.Config {
		if _, n, err := net.ParseCIDR(c.Subnet); err == nil && n.IP.To4() != nil {
			subnet = n
			break
		}
	}
	if name := nw.Options["com.docker.network.bridge.name"]; name != "" {
		if ifc, err := net.InterfaceByName(name); err == nil {
			addrs, _ := ifc.Addrs()
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && (subnet == nil || subnet.Contains(ipn.IP)) {
					return ipn.IP.String()
				}
			}
		}
	}
	if subnet != nil {
		ip := subnet.IP.To4()
		return net.IPv4(ip[0], ip[1], ip[2], ip[3]+1).String()
	}
	return ""
}

func unavailable(host string, err error) error {
	where := host
	if os.Getenv(client.EnvOverrideHost) != "" {
		where = "DOCKER_HOST=" + host
	}
	return fmt.Errorf("%w: cannot reach the Docker daemon at %s (%v); start Docker, set DOCKER_HOST, or use --runtime process", ErrUnavailable, where, err)
}

func (x *Executor) closeClient() {
	if x.ownCli {
		_ = x.cli.Close()
	}
}

// Name implements lambda.Executor.
func (x *Executor) Name() string { return "docker" }

// Instance is the instance label of this executor's containers.
func (x *Executor) Instance() string { return x.instance }

// HostIP is the address slsx's servers that containers call (the Runtime
// API and the AWS edge) must listen on, besides any loopback listener, so
// that a container reaches them through HostAlias: the bridge gateway
// (e.g. 172.17.0.1) on a Linux Docker Engine, 127.0.0.1 on Docker Desktop
// (which forwards host.docker.internal to the host's loopback). "" when
// the gateway is unknown. It is never 0.0.0.0: the bridge address is only
// reachable from this host and its containers.
func (x *Executor) HostIP() string {
	if x.desktop {
		return "127.0.0.1"
	}
	return x.gateway
}

// Client is the Docker API client the executor uses.
func (x *Executor) Client() *client.Client { return x.cli }

// Close removes every container of this instance that is still there.
// Close the lambda.Service first: it stops the environments in order.
func (x *Executor) Close(ctx context.Context) error {
	x.interrupt()
	x.waitRemovals(ctx)
	err := x.removeWhere(ctx, func(l map[string]string) bool { return l[LabelInstance] == x.instance })
	x.pipes.close()
	x.closeClient()
	return err
}

// Cleanup removes containers that slsx runs left behind: every slsx
// container of instance, and every slsx container whose slsx process (its
// slsx.pid label, on this host) is no longer running, with the log pipe
// directories of those runs. Call it at start with this run's instance to
// reap what a killed slsx left.
func (x *Executor) Cleanup(ctx context.Context, instance string) error {
	x.waitRemovals(ctx)
	removeStalePipeDirs()
	return x.removeWhere(ctx, func(l map[string]string) bool {
		if instance != "" && l[LabelInstance] == instance {
			return true
		}
		if h := l[LabelHost]; h != "" && h != x.hostname {
			return false // another host's slsx: its pid means nothing here
		}
		pid, err := strconv.Atoi(l[LabelPID])
		if err != nil || pid <= 0 {
			return true // unlabelled: nothing can own it
		}
		return !processAlive(pid)
	})
}

// waitRemovals waits for the removals of exited containers in flight, so
// a listing afterwards does not see containers already on their way out.
func (x *Executor) waitRemovals(ctx context.Context) {
	done := make(chan struct{})
	go func() { x.removals.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (x *Executor) removeWhere(ctx context.Context, match func(map[string]string) bool) error {
	list, err := x.cli.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", LabelManaged+"=true")),
	})
	if err != nil {
		return fmt.Errorf("list slsx containers: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, c := range list {
		if !match(c.Labels) {
			continue
		}
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			err := x.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
			if err == nil || client.IsErrNotFound(err) {
				x.log.Debug("removed container", "container", shortID(id))
				return
			}
			if isRemovalInProgress(err) {
				// Another removal (an exited environment's) is under way:
				// wait for it, so that nothing is listed once we return.
				err = x.waitGone(ctx, id)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("remove container %.12s: %w", id, err))
				mu.Unlock()
			}
		}(c.ID)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// goneInterval is how often waitGone asks the daemon about a container
// being removed; a removal takes tens of milliseconds.
const goneInterval = 20 * time.Millisecond

// waitGone waits until the container no longer exists.
func (x *Executor) waitGone(ctx context.Context, id string) error {
	for {
		_, err := x.cli.ContainerInspect(ctx, id)
		if client.IsErrNotFound(err) {
			return nil
		}
		t := time.NewTimer(goneInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for removal: %w", ctx.Err())
		case <-t.C:
		}
	}
}

func isRemovalInProgress(err error) bool {
	return err != nil && strings.Contains(err.Error(), "is already in progress")
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
