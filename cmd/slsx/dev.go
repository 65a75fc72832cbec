package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/slsx/slsx/emulator"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/telemetry"
	"github.com/slsx/slsx/tui"
	"github.com/slsx/slsx/watch"
)

type devOptions struct {
	Overrides []string // SAM template parameter overrides
	Dir       string
	Host      string
	Port      int
	AWSPort   int
	NoTUI     bool
	NoWatch   bool
	Poll      bool
	InMemory  bool
	DataDir   string // default <project>/.slsx/data
	Runtime   string // process or docker; "" = project's
	Idle      time.Duration
}

func init() { extraCommands = append(extraCommands, newDevCmd) }

func newDevCmd(s streams) *cobra.Command {
	opts := devOptions{Host: "127.0.0.1", Port: config.DefaultAPIPort, AWSPort: config.DefaultAWSPort}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Build, serve and watch the project, with a live dashboard",
		Long: `Loads the project (slsx.yaml), builds every function, serves the HTTP
API and the AWS APIs, rebuilds and swaps a function the moment its code is
saved, and shows invocations live. Plain log lines replace the dashboard
with --no-tui or when stdout is not a terminal.

Ctrl-C stops every environment and releases the ports; a second Ctrl-C
forces exit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDev(cmd.Context(), s, opts) },
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Dir, "dir", "d", ".", "project directory (slsx.yaml, or a SAM template.yaml)")
	f.StringArrayVar(&opts.Overrides, "parameter-overrides", nil, "SAM template parameters, Key=Value (repeatable)")
	f.StringVar(&opts.Host, "host", opts.Host, "interface to listen on")
	f.IntVarP(&opts.Port, "port", "p", opts.Port, "HTTP API port")
	f.IntVar(&opts.AWSPort, "aws-port", opts.AWSPort, "AWS APIs port (DynamoDB, SNS, Lambda)")
	f.BoolVar(&opts.NoTUI, "no-tui", false, "print log lines instead of the dashboard")
	f.BoolVar(&opts.NoWatch, "no-watch", false, "do not rebuild on file changes")
	f.BoolVar(&opts.Poll, "poll", false, "poll for file changes instead of using OS notifications")
	f.BoolVar(&opts.InMemory, "in-memory", false, "keep tables and topics in memory only")
	f.StringVar(&opts.DataDir, "data-dir", "", "where tables and topics persist (default <project>/.slsx/data)")
	f.StringVar(&opts.Runtime, "runtime", "", "run functions as process or docker (default: the project's runtime, else process)")
	f.DurationVar(&opts.Idle, "idle-timeout", 0, "stop environments idle this long (default 5m)")
	return cmd
}

// portError turns a busy port into advice naming the flag that moves it.
func portError(err error) error {
	var pe *emulator.PortInUseError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Which {
	case "api":
		return fmt.Errorf("%s is in use; pass --port to choose another", pe.Addr)
	case "aws":
		return fmt.Errorf("%s is in use; pass --aws-port to choose another", pe.Addr)
	default:
		return fmt.Errorf("%s (port of API %q) is in use; change its port in slsx.yaml", pe.Addr, pe.Which)
	}
}

func runDev(ctx context.Context, s streams, opts devOptions) error {
	if err := checkRuntimeFlag(opts.Runtime); err != nil {
		return err
	}
	p, err := loadProject(opts.Dir, opts.Overrides, s.Err)
	if err != nil {
		return err
	}
	useTUI := !opts.NoTUI && isTerminal(s.Out)
	bus := telemetry.New()
	logger := slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if useTUI {
		// Nothing may write under the dashboard: slsx's own log goes to
		// the bus and shows in the Logs pane.
		logger = slog.New(busLogHandler{bus: bus})
	}

	dataDir := opts.DataDir
	if opts.InMemory {
		dataDir = ""
	} else if dataDir == "" {
		dataDir = filepath.Join(p.Dir, ".slsx", "data")
	}
	resolveRuntimes(p, opts.Runtime)
	runtime := "process"
	if usesDocker(p) {
		runtime = "docker"
	}
	execSetup, err := newExecutor(ctx, runtime, logger)
	if err != nil {
		return err
	}
	defer execSetup.close()

	stack, err := emulator.New(emulator.Options{
		Project: p, Host: opts.Host, APIPort: opts.Port, AWSPort: opts.AWSPort, DataDir: dataDir,
		Bus: bus, Logger: logger, Executors: execSetup.executors(), RuntimeHost: execSetup.runtimeHost,
		ExtraEdgeHost: execSetup.extraEdgeHost, IdleTimeout: opts.Idle,
	})
	if err != nil {
		return portError(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		closeCtx, done := context.WithTimeout(context.Background(), 2*time.Second)
		defer done()
		stack.Close(closeCtx)
	}()

	// Subscribe before anything happens, so no event is missed.
	var printed chan struct{}
	if !useTUI {
		events := bus.Subscribe(runCtx)
		printed = make(chan struct{})
		go func() { defer close(printed); printEvents(runCtx, s.Out, events) }()
	}
	dash := (*tui.Dashboard)(nil)
	if useTUI {
		dash = tui.New(runCtx, bus, dashInfo(p, stack, runtimesLabel(p)))
	}
	if err := stack.Start(runCtx); err != nil {
		logger.Error("apply project", "err", err)
		if !useTUI {
			fmt.Fprintln(s.Err, "slsx:", err)
		}
	}
	if dash != nil {
		// The API endpoints exist only once Start applied the project.
		dash.SetInfo(dashInfo(p, stack, runtimesLabel(p)))
	}

	builder := watch.NewBuilder(p.Dir, watch.BuildOptions{Bus: bus, Log: logger, Target: buildTarget})
	start := time.Now()
	results := builder.Ensure(runCtx, p.Functions, "initial")
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			if !useTUI {
				fmt.Fprintf(s.Err, "slsx: build %s failed:\n%s\n", r.Function, indent(r.Output))
			}
			continue
		}
		if err := stack.Deploy(p.Function(r.Function), r.Dir, r.Generation); err != nil {
			logger.Error("deploy", "function", r.Function, "err", err)
		}
	}
	if !useTUI {
		printBanner(s.Out, p, stack, len(results)-failed, failed, time.Since(start))
	}

	var reloader *watch.Reloader
	reloader = watch.NewReloader(watch.ReloadOptions{
		Builder:   builder,
		Functions: p.Functions,
		Watch:     watch.WatchOptions{Poll: opts.Poll},
		Bus:       bus,
		Log:       logger,
		OnBuilt: func(fn *config.Function, dir string, gen int) {
			if cur := stack.Project().Function(fn.Name); cur != nil {
				fn = cur
			}
			if err := stack.Deploy(fn, dir, gen); err != nil {
				logger.Error("deploy", "function", fn.Name, "err", err)
			}
		},
		OnProject: func() { reloadProject(opts, stack, reloader, bus, dash, execSetup.executor != nil) },
	})
	errc := make(chan error, 2)
	if !opts.NoWatch {
		go func() {
			if err := reloader.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("watch %s: %w", p.Dir, err)
			}
		}()
	}

	if useTUI {
		go func() { errc <- dash.Run() }()
	}
	select {
	case <-ctx.Done():
	case <-stack.Done():
	case err = <-errc:
	}
	cancel()
	if printed != nil {
		<-printed
	}
	if !useTUI {
		fmt.Fprintln(s.Err, "slsx: stopping")
	}
	return err
}

// reloadProject re-reads slsx.yaml after it changed. A broken file leaves
// the running state untouched.
func reloadProject(opts devOptions, stack *emulator.Stack, r *watch.Reloader, bus *telemetry.Bus, dash *tui.Dashboard, haveDocker bool) {
	var warnings strings.Builder
	p, err := loadProject(opts.Dir, opts.Overrides, &warnings)
	if err == nil {
		resolveRuntimes(p, opts.Runtime)
		if usesDocker(p) && !haveDocker {
			err = errors.New("a function now uses runtime docker, which slsx dev did not start with; restart slsx dev to run it in Docker")
		}
	}
	if err != nil {
		bus.Publish(telemetry.ConfigReloaded{At: telemetry.Now(), Err: err.Error()})
		return
	}
	if warnings.Len() > 0 {
		bus.Publish(telemetry.Log{At: telemetry.Now(), Level: "WARN", Message: strings.TrimSpace(warnings.String())})
	}
	err = stack.Apply(p)
	r.SetFunctions(p.Functions)
	ev := telemetry.ConfigReloaded{At: telemetry.Now()}
	if err != nil {
		ev.Err = err.Error()
	}
	bus.Publish(ev)
	if dash != nil {
		dash.SetInfo(dashInfo(p, stack, runtimesLabel(p)))
	}
}

func printBanner(w io.Writer, p *config.Project, stack *emulator.Stack, built, failed int, took time.Duration) {
	fmt.Fprintf(w, "slsx dev: %s — %d functions ready", p.Name, built)
	if failed > 0 {
		fmt.Fprintf(w, ", %d failed to build", failed)
	}
	fmt.Fprintf(w, " (%s)\n", fmtDur(took))
	for _, ep := range stack.APIEndpoints() {
		var api *config.API
		for _, a := range p.APIs {
			if a.Name == ep.API {
				api = a
			}
		}
		fmt.Fprintf(w, "\n  API %s (%s) %s\n", ep.API, apiKind(api), ep.URL)
		for _, r := range api.Routes {
			path := r.Path
			if path == "$default" {
				path = "/*"
			}
			fmt.Fprintf(w, "    %-7s %-40s -> %s\n", methodOf(r), ep.URL+path, r.Function)
		}
	}
	fmt.Fprintf(w, "\n  AWS APIs (DynamoDB, SNS, Lambda): %s\n", stack.AWSURL())
	fmt.Fprintf(w, "    aws dynamodb list-tables --endpoint-url %s\n\n", stack.AWSURL())
}

func apiKind(a *config.API) string {
	if a.Type == "rest" {
		return "REST API"
	}
	return "HTTP API, payload " + a.Payload
}

func methodOf(r *config.Route) string {
	if r.Path == "$default" {
		return "ANY"
	}
	return r.Method
}

func dashInfo(p *config.Project, stack *emulator.Stack, executor string) tui.Info {
	info := tui.Info{Project: p.Name, AWSURL: stack.AWSURL(), Executor: executor}
	for _, ep := range stack.APIEndpoints() {
		info.APIURLs = append(info.APIURLs, ep.URL)
	}
	triggers := map[string][]string{}
	for _, sub := range p.Subscriptions {
		if sub.Protocol == "lambda" {
			triggers[sub.Endpoint] = append(triggers[sub.Endpoint], "sns:"+sub.Topic)
		}
	}
	for _, st := range p.StreamTriggers {
		triggers[st.Function] = append(triggers[st.Function], "ddb:"+st.Table)
	}
	for _, f := range p.Functions {
		limit := f.Concurrency
		if limit == config.ReservedZero {
			limit = 0
		}
		fi := tui.FunctionInfo{Name: f.Name, Handler: f.Handler, Env: f.Environment, Concurrency: limit,
			MemoryMB: f.MemoryMB, Timeout: f.Timeout, Triggers: triggers[f.Name]}
		for _, r := range f.Routes {
			key := r.Key()
			if r.API != config.DefaultAPIName {
				key = r.API + ": " + key
			}
			fi.Routes = append(fi.Routes, key)
		}
		info.Functions = append(info.Functions, fi)
	}
	for _, t := range p.Topics {
		info.Topics = append(info.Topics, t.Name)
	}
	for _, t := range p.Tables {
		info.Tables = append(info.Tables, t.Name)
	}
	sort.Strings(info.Topics)
	sort.Strings(info.Tables)
	info.Source = &dashSource{stack: stack}
	return info
}

// dashSource feeds the dashboard's item browser, item counts, topic
// subscriptions and the lists of tables and topics from the services.
// Counts, subscriptions and lists come from one snapshot of the services
// at most snapshotAge old: the dashboard asks for every table's count and
// every topic's subscriptions in a round, and a snapshot per call made
// the round quadratic (110 ms a round with 500 tables and 500 topics).
type dashSource struct {
	stack *emulator.Stack

	mu   sync.Mutex
	at   time.Time
	snap *sourceSnap
}

// snapshotAge keeps one snapshot for a whole round while staying well
// under the dashboard's one-second refresh, so each round sees the
// services as they were when it began.
const snapshotAge = 250 * time.Millisecond

type sourceSnap struct {
	tables, topics []string // names, sorted
	items          map[string]int
	subs           map[string][]tui.Subscription // by topic name; every topic has an entry
}

// The dashboard finds these by type assertion: a changed signature would
// silently switch the feature off.
var (
	_ tui.TableCounter       = (*dashSource)(nil)
	_ tui.SubscriptionLister = (*dashSource)(nil)
	_ tui.ResourceLister     = (*dashSource)(nil)
)

func (t *dashSource) snapshot() *sourceSnap {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.snap != nil && time.Since(t.at) < snapshotAge {
		return t.snap
	}
	sn := &sourceSnap{items: map[string]int{}, subs: map[string][]tui.Subscription{}}
	for _, ti := range t.stack.DynamoDB.Tables() {
		sn.tables = append(sn.tables, ti.Name)
		sn.items[ti.Name] = ti.ItemCount
	}
	names := map[string]string{} // topic ARN -> name
	for _, ti := range t.stack.SNS.Topics() {
		sn.topics = append(sn.topics, ti.Name)
		sn.subs[ti.Name] = []tui.Subscription{}
		names[ti.ARN] = ti.Name
	}
	for _, s := range t.stack.SNS.Subscriptions() {
		if name, ok := names[s.TopicARN]; ok {
			sn.subs[name] = append(sn.subs[name], tui.Subscription{ARN: s.ARN, Protocol: s.Protocol, Endpoint: s.Endpoint, Pending: s.Pending})
		}
	}
	t.snap, t.at = sn, time.Now()
	return sn
}

func (t *dashSource) TableItems(table string, limit int) ([]string, error) {
	items, err := t.stack.DynamoDB.ScanPage(table, limit)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = string(it)
	}
	return out, nil
}

func (t *dashSource) Resources() (tables, topics []string, err error) {
	sn := t.snapshot()
	return sn.tables, sn.topics, nil
}

func (t *dashSource) ItemCount(table string) (int, error) {
	n, ok := t.snapshot().items[table]
	if !ok {
		return 0, fmt.Errorf("table %s not found", table)
	}
	return n, nil
}

func (t *dashSource) TopicSubscriptions(topic string) ([]tui.Subscription, error) {
	subs, ok := t.snapshot().subs[topic]
	if !ok {
		return nil, fmt.Errorf("topic %s not found", topic)
	}
	return subs, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// busLogHandler sends slsx's own log records to the dashboard's log pane.
type busLogHandler struct {
	bus   *telemetry.Bus
	attrs []slog.Attr
}

func (h busLogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h busLogHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true }
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.bus.Publish(telemetry.Log{At: telemetry.At{Time: r.Time}, Level: r.Level.String(), Message: b.String()})
	return nil
}

func (h busLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return busLogHandler{bus: h.bus, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h busLogHandler) WithGroup(string) slog.Handler { return h }
