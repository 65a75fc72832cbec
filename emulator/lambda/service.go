package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/telemetry"
)

// Defaults for Options.
const (
	DefaultIdleTimeout = 5 * time.Minute
	// DefaultInitTimeout is Lambda's on-demand Init limit.
	DefaultInitTimeout = 10 * time.Second
	// DefaultAccountConcurrency is AWS's default account limit.
	DefaultAccountConcurrency = config.MaxConcurrency
	// finishWait bounds how long a synchronous call waits for an
	// environment that has answered but not yet asked for the next event
	// (its runtime is between /response and /next) before it is throttled.
	finishWait = time.Second
)

// DefaultAsyncRetryBackoff returns the local stand-in for AWS's ~1 min and
// ~2 min waits before the two retries of a failed async event.
func DefaultAsyncRetryBackoff() []time.Duration { return []time.Duration{time.Second, 2 * time.Second} }

// Options configure a Service.
type Options struct {
	Identity awsapi.Identity
	Bus      *telemetry.Bus
	Executor Executor // default ProcessExecutor
	// Executors run the functions whose Runtime names one of them
	// ("docker"); the others run on Executor.
	Executors map[string]Executor
	// RuntimeHost is where the Runtime API listens; default 127.0.0.1:0.
	RuntimeHost string
	// EdgeURL is put into every handler's AWS_ENDPOINT_URL (an slsx
	// extension: the handler's SDK calls reach slsx unchanged).
	EdgeURL     string
	IdleTimeout time.Duration // default 5m
	InitTimeout time.Duration // default 10s
	// AsyncRetryBackoff holds the wait before each retry of a failed async
	// event; its length is the number of retries (AWS: 2). nil means
	// DefaultAsyncRetryBackoff(); an empty non-nil slice disables retries.
	AsyncRetryBackoff  []time.Duration
	AccountConcurrency int // default 1000
	MaxLogBytes        int // per invocation, default DefaultMaxLogBytes
	Logger             *slog.Logger
}

// Service is the Lambda emulator: deployed functions, their environment
// pools, the Runtime API server and the Invoke API handler.
type Service struct {
	opts Options
	log  *slog.Logger
	bus  *telemetry.Bus
	exec Executor

	mu    sync.RWMutex
	pools map[string]*pool
	// closing is read under pool locks, so it is atomic rather than
	// guarded by mu (pool locks are taken inside mu, never around it).
	closing atomic.Bool

	envMu sync.RWMutex
	envs  map[string]*env

	ln          net.Listener
	srv         *http.Server
	runtimeAddr string

	acctBusy atomic.Int64
	envSeq   atomic.Uint64
	envWG    sync.WaitGroup

	asyncWG     sync.WaitGroup
	asyncCtx    context.Context
	asyncCancel context.CancelFunc
}

// New returns a Service; Start must be called before Invoke.
func New(opts Options) *Service {
	if opts.Identity.Account == "" {
		opts.Identity.Account = awsapi.DefaultAccount
	}
	if opts.Identity.Region == "" {
		opts.Identity.Region = awsapi.DefaultRegion
	}
	if opts.Executor == nil {
		opts.Executor = ProcessExecutor{}
	}
	if opts.RuntimeHost == "" {
		opts.RuntimeHost = "127.0.0.1:0"
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.InitTimeout <= 0 {
		opts.InitTimeout = DefaultInitTimeout
	}
	if opts.AsyncRetryBackoff == nil {
		opts.AsyncRetryBackoff = DefaultAsyncRetryBackoff()
	}
	if opts.AccountConcurrency <= 0 {
		opts.AccountConcurrency = DefaultAccountConcurrency
	}
	if opts.MaxLogBytes <= 0 {
		opts.MaxLogBytes = DefaultMaxLogBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{
		opts:        opts,
		log:         opts.Logger.With("service", "lambda"),
		bus:         opts.Bus,
		exec:        opts.Executor,
		pools:       make(map[string]*pool),
		envs:        make(map[string]*env),
		asyncCtx:    ctx,
		asyncCancel: cancel,
	}
}

// executorFor is the executor that runs fn's environments.
func (s *Service) executorFor(fn *config.Function) Executor {
	if x, ok := s.opts.Executors[fn.Runtime]; ok && fn.Runtime != "" {
		return x
	}
	return s.exec
}

// Start listens for the Runtime API. It returns at once; the server runs
// until Close.
func (s *Service) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.RuntimeHost)
	if err != nil {
		return fmt.Errorf("listen for the Lambda Runtime API on %s: %w", s.opts.RuntimeHost, err)
	}
	s.ln = ln
	s.runtimeAddr = ln.Addr().String()
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveRuntime),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("runtime API server stopped", "err", err)
		}
	}()
	return nil
}

// RuntimeAddr is the host:port the Runtime API listens on.
func (s *Service) RuntimeAddr() string { return s.runtimeAddr }

// Close stops taking invocations, lets queued async events finish (until
// ctx is done, then drops them), stops every environment and waits until
// every environment process is gone.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return nil
	}
	s.closing.Store(true)
	s.mu.Unlock()

	asyncDone := make(chan struct{})
	go func() { s.asyncWG.Wait(); close(asyncDone) }()
	select {
	case <-asyncDone:
	case <-ctx.Done():
		s.log.Warn("dropping queued async events at shutdown")
		s.asyncCancel()
		<-asyncDone
	}
	s.asyncCancel()

	s.envMu.RLock()
	all := make([]*env, 0, len(s.envs))
	for _, e := range s.envs {
		all = append(all, e)
	}
	s.envMu.RUnlock()
	for _, e := range all {
		e.p.mu.Lock()
		killed := e.p.retireLocked(e, "shutdown")
		e.p.mu.Unlock()
		if killed {
			e.kill(false)
		}
	}
	envsDone := make(chan struct{})
	go func() { s.envWG.Wait(); close(envsDone) }()
	var err error
	select {
	case <-envsDone:
	case <-ctx.Done():
		err = fmt.Errorf("stop lambda environments: %w", ctx.Err())
	}
	if s.srv != nil {
		if cerr := s.srv.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

func (s *Service) isClosing() bool { return s.closing.Load() }

// deployment is one generation of a function's code and configuration.
type deployment struct {
	fn       config.Function
	name     string
	dir      string
	gen      int
	limit    int // reserved concurrency; 0 disables the function
	memoryMB int
	timeout  time.Duration
	environ  []string // everything but the per-environment variables
	modified time.Time
	codeSize int64
	codeSHA  string
	revision string
}

// Deploy makes dir/bootstrap the current code of fn. A newer generation
// (or a changed configuration) is a hot swap: new invocations start
// environments of the new deployment, idle old environments stop now and
// busy ones stop after their current invocation, so nothing fails.
//
// fn.Concurrency 0 means "not set" (config.DefaultConcurrency); a negative
// value is AWS's reserved concurrency 0, which disables the function.
func (s *Service) Deploy(fn *config.Function, dir string, generation int) error {
	if fn == nil || !validName(fn.Name) {
		return errors.New("deploy function: invalid name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("deploy %s: %w", fn.Name, err)
	}
	dep := &deployment{fn: *fn, name: fn.Name, dir: abs, gen: generation, modified: time.Now(), revision: awsapi.RequestID()}
	dep.fn.Environment = make(map[string]string, len(fn.Environment))
	for k, v := range fn.Environment {
		dep.fn.Environment[k] = v
	}
	dep.memoryMB = fn.MemoryMB
	if dep.memoryMB <= 0 {
		dep.memoryMB = config.DefaultMemoryMB
	}
	dep.timeout = fn.Timeout
	if dep.timeout <= 0 {
		dep.timeout = config.DefaultTimeout
	}
	switch {
	case fn.Concurrency == 0:
		dep.limit = config.DefaultConcurrency
	case fn.Concurrency < 0:
		dep.limit = 0
	default:
		dep.limit = fn.Concurrency
	}
	if f, err := os.Open(filepath.Join(abs, "bootstrap")); err == nil {
		h := sha256.New()
		n, _ := io.Copy(h, f)
		f.Close()
		dep.codeSize = n
		dep.codeSHA = base64.StdEncoding.EncodeToString(h.Sum(nil))
	}
	dep.environ = s.baseEnviron(dep)

	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return errors.New("deploy " + fn.Name + ": lambda service is shutting down")
	}
	p := s.pools[fn.Name]
	if p == nil {
		p = newPool(s, fn.Name)
		s.pools[fn.Name] = p
	}
	s.mu.Unlock()

	p.mu.Lock()
	old := p.dep
	if old != nil && generation < old.gen {
		p.mu.Unlock()
		return fmt.Errorf("deploy %s: generation %d is older than the running generation %d", fn.Name, generation, old.gen)
	}
	p.dep = dep
	stopped := p.retireIdleLocked("swap")
	p.notifyLocked()
	st := p.stateLocked()
	p.mu.Unlock()
	for _, e := range stopped {
		e.kill(true)
	}
	// The first deployment is published too (OldGeneration 0), so
	// subscribers learn which generation serves even when no build ran.
	switch {
	case old == nil:
		s.bus.Publish(telemetry.Swapped{At: telemetry.Now(), Function: fn.Name, NewGeneration: generation})
	case old.gen != generation:
		s.bus.Publish(telemetry.Swapped{At: telemetry.Now(), Function: fn.Name, OldGeneration: old.gen, NewGeneration: generation})
	}
	s.bus.Publish(st)
	s.log.Debug("deployed", "function", fn.Name, "generation", generation, "dir", abs)
	return nil
}

// Remove takes a function away: new invocations get 404, idle
// environments stop now, busy ones after their current invocation.
func (s *Service) Remove(name string) {
	s.mu.Lock()
	p := s.pools[name]
	delete(s.pools, name)
	s.mu.Unlock()
	if p == nil {
		return
	}
	p.mu.Lock()
	p.dep = nil
	stopped := p.retireIdleLocked("removed")
	p.notifyLocked()
	p.mu.Unlock()
	for _, e := range stopped {
		e.kill(true)
	}
}

func (s *Service) pool(name string) *pool {
	s.mu.RLock()
	p := s.pools[name]
	s.mu.RUnlock()
	return p
}

// FunctionInfo is a snapshot of one function for the dashboard.
type FunctionInfo struct {
	Name       string
	Generation int
	Busy       int // environments serving (or starting for) an invocation
	Idle       int // warm environments waiting
	Queued     int // async events waiting for capacity
	Limit      int // reserved concurrency
	MemoryMB   int
	Timeout    time.Duration
}

// Functions returns every deployed function, sorted by name.
func (s *Service) Functions() []FunctionInfo {
	s.mu.RLock()
	pools := make([]*pool, 0, len(s.pools))
	for _, p := range s.pools {
		pools = append(pools, p)
	}
	s.mu.RUnlock()
	out := make([]FunctionInfo, 0, len(pools))
	for _, p := range pools {
		p.mu.Lock()
		if d := p.dep; d != nil {
			out = append(out, FunctionInfo{Name: p.name, Generation: d.gen, Busy: p.busy, Idle: len(p.idle), Queued: p.queued,
				Limit: d.limit, MemoryMB: d.memoryMB, Timeout: d.timeout})
		}
		p.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// reservedEnv are the variables Lambda sets itself; a function's own
// Environment cannot override them (AWS rejects them at configuration
// time; slsx warns and ignores them).
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// baseEnviron is the environment of every environment of a deployment,
// minus AWS_LAMBDA_RUNTIME_API and AWS_LAMBDA_LOG_STREAM_NAME.
func (s *Service) baseEnviron(d *deployment) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
	}
	vars := []string{
		"PATH=" + path, // process mode keeps the host PATH usable
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"AWS_XRAY_CONTEXT_MISSING=LOG_ERROR",
		"AWS_XRAY_DAEMON_ADDRESS=169.254.79.129:2000",
	}
	if s.opts.EdgeURL != "" {
		vars = append(vars, "AWS_ENDPOINT_URL="+s.opts.EdgeURL)
	}
	// User variables win over the unreserved defaults above.
	keys := make([]string, 0, len(d.fn.Environment))
	for k := range d.fn.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]int{}
	for i, kv := range vars {
		for j := 0; j < len(kv); j++ {
			if kv[j] == '=' {
				seen[kv[:j]] = i
				break
			}
		}
	}
	for _, k := range keys {
		if reservedEnv[k] {
			s.log.Warn("ignoring reserved environment variable", "function", d.name, "key", k)
			continue
		}
		if i, ok := seen[k]; ok {
			vars[i] = k + "=" + d.fn.Environment[k]
			continue
		}
		vars = append(vars, k+"="+d.fn.Environment[k])
	}
	return append(vars,
		"_HANDLER=bootstrap",
		"AWS_LAMBDA_FUNCTION_NAME="+d.name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(d.memoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/"+d.name,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_REGION="+s.opts.Identity.Region,
		"AWS_DEFAULT_REGION="+s.opts.Identity.Region,
		// Dummy credentials: any credentials are accepted by slsx, and
		// the SDK must find some before it signs a request.
		"AWS_ACCESS_KEY_ID=slsx",
		"AWS_SECRET_ACCESS_KEY=slsx",
		"AWS_SESSION_TOKEN=slsx",
		"LAMBDA_TASK_ROOT="+d.dir,
		"LAMBDA_RUNTIME_DIR=/var/runtime",
	)
}

func (s *Service) functionARN(name, qualifier string) string {
	arn := s.opts.Identity.ARN("lambda", "function:"+name)
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn
}
