// Package emulator assembles the local cloud: it builds the services from a
// project, binds the API and AWS ports, applies project changes while
// running, and shuts everything down.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/slsx/slsx/emulator/apigateway"
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/dynamodb"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/sns"
	"github.com/slsx/slsx/emulator/telemetry"
)

// Options configure a Stack.
type Options struct {
	Project *config.Project // nil serves the AWS APIs alone (slsx serve)
	Host    string          // interface for every port; default 127.0.0.1
	APIPort int             // main API port; 0 picks a free one
	AWSPort int             // AWS edge port; 0 picks a free one
	DataDir string          // "" keeps all state in memory
	Bus     *telemetry.Bus
	Logger  *slog.Logger
	// Executor runs execution environments; nil means processes.
	Executor lambda.Executor
	// Executors run the functions whose Runtime names one of them.
	Executors map[string]lambda.Executor
	// RuntimeHost is where the Runtime API listens; default 127.0.0.1:0.
	// Container executors need an address their containers can reach.
	RuntimeHost string
	// EdgeHost, when set, replaces Host in the AWS_ENDPOINT_URL handed to
	// functions (a container reaches the host by another name).
	EdgeHost string
	// ExtraEdgeHost, when set, also serves the AWS edge on this address at
	// the same port: containers reach the host through the bridge gateway,
	// not through 127.0.0.1.
	ExtraEdgeHost string
	IdleTimeout   time.Duration // idle environments stop after this; 0 = lambda's default
	// AsyncRetryBackoff is passed to the Lambda service (nil = its default).
	AsyncRetryBackoff []time.Duration
}

// PortInUseError reports a port another program holds. Which says which
// port: "api" or "aws" (or an API's name for its own port).
type PortInUseError struct {
	Which string
	Addr  string
}

func (e *PortInUseError) Error() string { return "address " + e.Addr + " is already in use" }

// Stack is a running local cloud.
type Stack struct {
	opts     Options
	id       awsapi.Identity
	log      *slog.Logger
	Lambda   *lambda.Service
	DynamoDB *dynamodb.Service
	SNS      *sns.Service

	awsLn   net.Listener
	extraLn net.Listener // the edge again on Options.ExtraEdgeHost
	awsURL  string

	mu       sync.Mutex
	project  *config.Project
	deployed map[string]artifact            // the code each function runs, by name
	gateways map[string]*apigateway.Gateway // by API name
	mainLn   net.Listener                   // main API port (nil without a project)
	mainMux  atomic.Pointer[http.Handler]
	ownPorts map[string]*apiServer // APIs with their own port, by name
	servers  []*http.Server
	serveCtx context.Context
	group    *errgroup.Group
}

type artifact struct {
	dir        string
	generation int
}

type apiServer struct {
	ln  net.Listener
	srv *http.Server
	gw  *apigateway.Gateway
}

// readHeaderTimeout bounds slow clients; local tools never need more.
const readHeaderTimeout = 10 * time.Second

// New builds the services and binds every port, so a busy port fails here,
// before anything runs.
func New(opts Options) (*Stack, error) {
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	id := awsapi.DefaultIdentity()
	if opts.Project != nil && opts.Project.Region != "" {
		id.Region = opts.Project.Region
	}
	s := &Stack{opts: opts, id: id, log: opts.Logger, gateways: map[string]*apigateway.Gateway{}, deployed: map[string]artifact{}, ownPorts: map[string]*apiServer{}}

	extra := ""
	if opts.ExtraEdgeHost != "" && opts.ExtraEdgeHost != opts.Host && displayHost(opts.Host) == opts.Host {
		extra = opts.ExtraEdgeHost
	}
	var err error
	s.awsLn, s.extraLn, err = listenPair(func() (net.Listener, error) { return listen(opts.Host, opts.AWSPort, "aws") }, extra, opts.AWSPort == 0)
	if err != nil {
		return nil, err
	}
	port := s.awsLn.Addr().(*net.TCPAddr).Port
	s.awsURL = "http://" + net.JoinHostPort(displayHost(opts.Host), strconv.Itoa(port))
	edgeHost := opts.EdgeHost
	if edgeHost == "" {
		edgeHost = displayHost(opts.Host)
	}
	edgeURL := "http://" + net.JoinHostPort(edgeHost, strconv.Itoa(port))

	s.Lambda = lambda.New(lambda.Options{
		Identity:          id,
		Bus:               opts.Bus,
		Executor:          opts.Executor,
		Executors:         opts.Executors,
		RuntimeHost:       opts.RuntimeHost,
		EdgeURL:           edgeURL,
		IdleTimeout:       opts.IdleTimeout,
		AsyncRetryBackoff: opts.AsyncRetryBackoff,
		Logger:            opts.Logger,
	})
	s.SNS, err = sns.New(sns.Options{
		Identity: id, Bus: opts.Bus, Invoker: s.Lambda, DataDir: subdir(opts.DataDir, "sns"), PublicURL: s.awsURL, Logger: opts.Logger,
	})
	if err != nil {
		s.closeListeners()
		s.Lambda.Close(context.Background())
		return nil, fmt.Errorf("open sns data: %w", err)
	}
	// SNS first: stream triggers publish their on-failure records to it.
	s.DynamoDB, err = dynamodb.New(dynamodb.Options{
		Identity: id, Bus: opts.Bus, DataDir: subdir(opts.DataDir, "dynamodb"), Invoker: s.Lambda, Publisher: s.SNS, Logger: opts.Logger,
	})
	if err != nil {
		s.closeListeners()
		s.Lambda.Close(context.Background())
		s.SNS.Close()
		return nil, fmt.Errorf("open dynamodb data: %w", err)
	}

	if p := opts.Project; p != nil && len(p.APIs) > 0 {
		if s.mainLn, err = listen(opts.Host, opts.APIPort, "api"); err != nil {
			s.closeListeners()
			s.closeServices()
			return nil, err
		}
	}
	s.project = &config.Project{}
	return s, nil
}

func subdir(dir, name string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, name)
}

func listen(host string, port int, which string) (net.Listener, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &PortInUseError{Which: which, Addr: addr}
		}
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// edgePortAttempts bounds the search for a port free on both edge
// addresses when slsx picks it. The kernel picks a port free on the first
// address only; the same port may be taken on the other (the Runtime API
// of another slsx on the Docker bridge, a connection from the bridge
// address), which is rare, so a few tries are plenty.
const edgePortAttempts = 20

// listenPair listens with first, then on extra (when set) with the same
// port, as containers are told the edge's port with the host's name
// swapped. When the port was picked (retry) and is taken on extra, it
// tries another.
func listenPair(first func() (net.Listener, error), extra string, retry bool) (net.Listener, net.Listener, error) {
	for attempt := 1; ; attempt++ {
		ln, err := first()
		if err != nil || extra == "" {
			return ln, nil, err
		}
		xl, err := listen(extra, ln.Addr().(*net.TCPAddr).Port, "aws")
		if err == nil {
			return ln, xl, nil
		}
		ln.Close()
		var busy *PortInUseError
		if !retry || !errors.As(err, &busy) || attempt == edgePortAttempts {
			return nil, nil, err
		}
	}
}

// displayHost turns a wildcard bind address into one a client can dial.
func displayHost(host string) string {
	switch host {
	case "", "0.0.0.0", "::":
		return "127.0.0.1"
	}
	return host
}

// Start starts the Lambda runtime, applies the project (tables, topics,
// subscriptions, stream triggers, APIs) and serves every port until ctx is
// done or Close is called. Functions are deployed separately with Deploy,
// as their builds finish.
func (s *Stack) Start(ctx context.Context) error {
	if err := s.Lambda.Start(ctx); err != nil {
		return fmt.Errorf("start lambda runtime api: %w", err)
	}
	edge := &awsapi.Edge{
		DynamoDB: s.DynamoDB.Handler(),
		Streams:  s.DynamoDB.StreamsHandler(),
		SNS:      s.SNS.Handler(),
		Lambda:   s.Lambda.Handler(),
		Extra:    s.SNS.ExtraHandlers(),
	}
	s.mu.Lock()
	s.group, s.serveCtx = errgroup.WithContext(ctx)
	s.serveLocked(s.awsLn, edge)
	if s.extraLn != nil {
		s.serveLocked(s.extraLn, edge)
	}
	if s.mainLn != nil {
		var empty http.Handler = http.NotFoundHandler()
		s.mainMux.Store(&empty)
		s.serveLocked(s.mainLn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			(*s.mainMux.Load()).ServeHTTP(w, r)
		}))
	}
	s.mu.Unlock()
	if s.opts.Project != nil {
		if err := s.Apply(s.opts.Project); err != nil {
			return err
		}
	}
	return nil
}

func (s *Stack) serveLocked(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout}
	s.servers = append(s.servers, srv)
	s.group.Go(func() error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
}

// Done is closed when a server fails or the context given to Start ends.
func (s *Stack) Done() <-chan struct{} { return s.serveCtx.Done() }

// Apply makes the running stack match p: tables and topics are created if
// missing, project subscriptions and stream triggers replaced, APIs added,
// updated or removed, and functions no longer in the project removed.
// Functions themselves are deployed with Deploy once built.
func (s *Stack) Apply(p *config.Project) error {
	var errs []error
	for _, t := range p.Tables {
		if err := s.DynamoDB.EnsureTable(t); err != nil {
			errs = append(errs, fmt.Errorf("create table %s: %w", t.Name, err))
			continue
		}
		if t.Seed != "" {
			if err := s.DynamoDB.Seed(t.Name, filepath.Join(p.Dir, t.Seed)); err != nil {
				errs = append(errs, fmt.Errorf("seed table %s: %w", t.Name, err))
			}
		}
	}
	for _, t := range p.Topics {
		if _, err := s.SNS.EnsureTopic(t); err != nil {
			errs = append(errs, fmt.Errorf("create topic %s: %w", t.Name, err))
		}
	}
	if err := s.SNS.SetProjectSubscriptions(p.Subscriptions); err != nil {
		errs = append(errs, fmt.Errorf("subscribe: %w", err))
	}
	s.DynamoDB.SetStreamTriggers(p.StreamTriggers)

	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.project
	s.project = p
	if err := s.applyAPIsLocked(p); err != nil {
		errs = append(errs, err)
	}
	for _, f := range old.Functions {
		if p.Function(f.Name) == nil {
			s.Lambda.Remove(f.Name)
			delete(s.deployed, f.Name)
		}
	}
	// A function whose settings changed (memory, timeout, environment, ...)
	// but not its code gets fresh environments with the same artifact;
	// code changes arrive through Deploy after their build.
	for _, f := range p.Functions {
		a, ok := s.deployed[f.Name]
		if prev := old.Function(f.Name); ok && prev != nil && settingsChanged(prev, f) {
			if err := s.Lambda.Deploy(f, a.dir, a.generation); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (s *Stack) applyAPIsLocked(p *config.Project) error {
	var errs []error
	keep := map[string]bool{}
	var shared []*apigateway.Gateway
	for _, api := range p.APIs {
		keep[api.Name] = true
		gw := s.gateways[api.Name]
		if gw == nil {
			gw = apigateway.New(api, apigateway.Options{Identity: s.id, Invoker: s.Lambda, Bus: s.opts.Bus, Logger: s.log})
			s.gateways[api.Name] = gw
		} else {
			gw.Update(api)
		}
		port, ownPort := s.apiPort(api)
		if !ownPort {
			shared = append(shared, gw)
			continue
		}
		if own := s.ownPorts[api.Name]; own != nil {
			if have := own.ln.Addr().(*net.TCPAddr).Port; have == port || port == 0 {
				continue
			}
			own.srv.Close()
			delete(s.ownPorts, api.Name)
		}
		ln, err := listen(s.opts.Host, port, api.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("api %s: %w", api.Name, err))
			continue
		}
		own := &apiServer{ln: ln, gw: gw}
		s.serveLocked(ln, gw)
		own.srv = s.servers[len(s.servers)-1]
		s.ownPorts[api.Name] = own
	}
	for name, own := range s.ownPorts {
		if !keep[name] {
			own.srv.Close()
			delete(s.ownPorts, name)
		}
	}
	for name := range s.gateways {
		if !keep[name] {
			delete(s.gateways, name)
		}
	}
	if s.mainLn != nil {
		h := apigateway.Handler(shared)
		s.mainMux.Store(&h)
	} else if len(shared) > 0 {
		errs = append(errs, errors.New("the project now has an API on the main port, which was not opened at start; restart slsx dev"))
	}
	return errors.Join(errs...)
}

// apiPort is the port an API listens on and whether it is a port of its
// own (false: it shares the main API port). 0 means any free port.
func (s *Stack) apiPort(api *config.API) (port int, own bool) {
	switch {
	case api.Port != 0:
		return api.Port, true
	case api.PortOffset > 0 && s.opts.APIPort != 0:
		return s.opts.APIPort + api.PortOffset, true
	case api.PortOffset > 0:
		return 0, true
	}
	return 0, false
}

// Deploy makes dir/bootstrap the function's code (a hot swap when it runs).
func (s *Stack) Deploy(fn *config.Function, dir string, generation int) error {
	if err := s.Lambda.Deploy(fn, dir, generation); err != nil {
		return err
	}
	s.mu.Lock()
	s.deployed[fn.Name] = artifact{dir: dir, generation: generation}
	s.mu.Unlock()
	return nil
}

// settingsChanged reports whether two versions of a function differ in
// anything but their routes.
func settingsChanged(a, b *config.Function) bool {
	x, y := *a, *b
	x.Routes, y.Routes = nil, nil
	return !reflect.DeepEqual(x, y)
}

// Project returns the model the stack currently serves.
func (s *Stack) Project() *config.Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.project
}

// AWSURL is the AWS edge endpoint, e.g. http://127.0.0.1:4566.
func (s *Stack) AWSURL() string { return s.awsURL }

// Endpoint is one API's base URL.
type Endpoint struct {
	API string
	URL string // base URL including base path and, for REST, the stage
}

// APIEndpoints lists every API's base URL, sorted by API name.
func (s *Stack) APIEndpoints() []Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Endpoint
	for _, api := range s.project.APIs {
		var ln net.Listener
		if own := s.ownPorts[api.Name]; own != nil {
			ln = own.ln
		} else {
			ln = s.mainLn
		}
		if ln == nil {
			continue
		}
		u := "http://" + net.JoinHostPort(displayHost(s.opts.Host), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)) + api.BasePath
		if api.Type == "rest" {
			u += "/" + api.Stage
		}
		out = append(out, Endpoint{API: api.Name, URL: u})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].API < out[j].API })
	return out
}

// Close stops serving, stops every execution environment and flushes
// state. It is safe to call once Start has run or failed.
func (s *Stack) Close(ctx context.Context) error {
	s.mu.Lock()
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	// Lambda stops alongside the servers, not after them: a request in
	// flight waits on its invocation (a container still starting, a
	// handler whose SDK calls the closing edge), so draining the servers
	// first would spend the whole budget before any environment stops.
	lambdaDone := make(chan error, 1)
	go func() { lambdaDone <- s.Lambda.Close(ctx) }()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
			}
		}()
	}
	wg.Wait()
	if len(servers) == 0 {
		s.closeListeners() // never served: release the listeners New bound
	}
	// DynamoDB before SNS: its stream triggers publish to SNS until stopped.
	lambdaErr := <-lambdaDone
	ddbErr := s.DynamoDB.Close()
	return errors.Join(lambdaErr, ddbErr, s.SNS.Close())
}

func (s *Stack) closeListeners() {
	for _, ln := range []net.Listener{s.awsLn, s.extraLn, s.mainLn} {
		if ln != nil {
			ln.Close()
		}
	}
}

func (s *Stack) closeServices(ctx ...context.Context) error {
	c := context.Background()
	if len(ctx) > 0 {
		c = ctx[0]
	}
	// DynamoDB before SNS: its stream triggers publish to SNS until stopped.
	return errors.Join(s.Lambda.Close(c), s.DynamoDB.Close(), s.SNS.Close())
}
