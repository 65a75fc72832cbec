// Package tui is the terminal dashboard of `slsx dev`: a bubbletea program
// over the telemetry stream that answers, at a glance, what a developer asks
// while working — is my code built and serving, what just ran, what did it
// receive and answer, why did it fail, how far did one request travel across
// API Gateway, Lambda, DynamoDB and SNS, and how busy is each function.
//
// The dashboard only reads: events arrive from telemetry.Bus, the project
// description from Info, and table contents, counts and the lists of tables
// and topics on demand from a Source. It knows nothing about the watcher or
// the services beyond their events.
package tui

import (
	"context"
	"errors"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slsx/slsx/emulator/telemetry"
)

// Info describes the running project: what the header and the function
// details show. Send a new one with Dashboard.SetInfo (or InfoMsg) when the
// project reloads.
type Info struct {
	Project   string
	APIURLs   []string // e.g. "http://127.0.0.1:3000"
	AWSURL    string   // the AWS edge, e.g. "http://127.0.0.1:4566"
	Executor  string   // "process" or "docker"
	Functions []FunctionInfo
	Topics    []string // topic names
	Tables    []string // table names
	// Source serves table contents for the item browser; nil disables it.
	// It is called from a tea.Cmd, never from Update.
	Source Source
}

// FunctionInfo is the static description of one function.
type FunctionInfo struct {
	Name        string
	Handler     string            // Go package, e.g. "./functions/users"
	Routes      []string          // "GET /users/{id}" (API name prefixed when not default)
	Triggers    []string          // "sns:orders", "ddb:users", ...
	Env         map[string]string // user environment variables
	Concurrency int               // reserved concurrency (the pool's limit)
	MemoryMB    int
	Timeout     time.Duration
}

// Source gives the dashboard on-demand data that lives in the services.
// Implementations may block; the dashboard calls them from a tea.Cmd.
type Source interface {
	// TableItems returns up to limit items of table, each as one JSON object.
	TableItems(table string, limit int) ([]string, error)
}

// TableCounter is optionally implemented by a Source to report item counts
// on the resources screen.
type TableCounter interface {
	ItemCount(table string) (int, error)
}

// SubscriptionLister is optionally implemented by a Source to list each
// topic's subscriptions on the resources screen (the SUBS column and the
// topic details). Without it the dashboard knows only the subscriptions it
// has seen delivering.
type SubscriptionLister interface {
	// TopicSubscriptions returns the subscriptions of the topic named
	// topic (a name, not an ARN).
	TopicSubscriptions(topic string) ([]Subscription, error)
}

// ResourceLister is optionally implemented by a Source to list the tables
// and topics that exist in the services, so the resources screen follows
// ones created or deleted through the AWS APIs. Without it the screen lists
// the project's resources and those seen in traffic.
type ResourceLister interface {
	// Resources returns the names of every table and every topic.
	Resources() (tables, topics []string, err error)
}

// Subscription is one subscription of a topic.
type Subscription struct {
	ARN      string
	Protocol string // "lambda", "https", "sqs", ...
	Endpoint string
	Pending  bool // awaiting confirmation; not counted in SUBS
}

// InfoMsg replaces the dashboard's Info (project reloaded).
type InfoMsg Info

// EventsMsg is a batch of telemetry events, coalesced by the relay so the
// screen is redrawn per batch rather than per event. Dropped is the bus's
// running count of events lost to slow subscribers.
type EventsMsg struct {
	Events  []telemetry.Event
	Dropped uint64
}

// frameInterval is how often the relay flushes a batch of events into the
// program: 10 redraws a second reads as live while keeping the cost of
// rendering independent of the event rate.
const frameInterval = 100 * time.Millisecond

// maxBatch flushes early when a burst fills a batch, so one message never
// holds more than the bus buffer.
const maxBatch = telemetry.DefaultBuffer

// Dashboard is a dashboard subscribed to a bus, ready to Run.
type Dashboard struct {
	ctx    context.Context
	cancel context.CancelFunc
	bus    *telemetry.Bus
	events <-chan telemetry.Event
	prog   *tea.Program

	mu      sync.Mutex
	info    *Info
	infoCh  chan struct{}
	started chan struct{}
}

// New subscribes to bus at once (so nothing published after New returns is
// missed) and prepares the program. opts are passed to tea.NewProgram after
// slsx's own (alternate screen, ctx), so tests can set input and output.
func New(ctx context.Context, bus *telemetry.Bus, info Info, opts ...tea.ProgramOption) *Dashboard {
	ctx, cancel := context.WithCancel(ctx)
	d := &Dashboard{
		ctx:     ctx,
		cancel:  cancel,
		bus:     bus,
		infoCh:  make(chan struct{}, 1),
		started: make(chan struct{}),
	}
	if bus != nil {
		d.events = bus.Subscribe(ctx)
	}
	all := append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}, opts...)
	d.prog = tea.NewProgram(NewModel(info), all...)
	return d
}

// Run shows the dashboard until the user quits (q or Ctrl-C) or the context
// given to New ends. Both return nil; the caller then shuts down.
func (d *Dashboard) Run() error {
	defer d.cancel()
	go d.relay()
	_, err := d.prog.Run()
	if errors.Is(err, tea.ErrProgramKilled) && d.ctx.Err() != nil {
		return nil
	}
	return err
}

// SetInfo replaces the project description; safe from any goroutine and
// never blocks. Only the latest Info is delivered when several are set
// between two frames.
func (d *Dashboard) SetInfo(info Info) {
	d.mu.Lock()
	d.info = &info
	d.mu.Unlock()
	select {
	case d.infoCh <- struct{}{}:
	default:
	}
}

// Run is New followed by Dashboard.Run.
func Run(ctx context.Context, bus *telemetry.Bus, info Info, opts ...tea.ProgramOption) error {
	return New(ctx, bus, info, opts...).Run()
}

// relay moves events from the bus into the program in batches, one per
// frameInterval at most, plus Info updates.
func (d *Dashboard) relay() {
	t := time.NewTicker(frameInterval)
	defer t.Stop()
	var batch []telemetry.Event
	events := d.events
	flush := func() {
		if len(batch) == 0 {
			return
		}
		d.prog.Send(EventsMsg{Events: batch, Dropped: d.bus.Dropped()})
		batch = nil
	}
	for {
		select {
		case <-d.ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				flush()
				events = nil
				continue
			}
			batch = append(batch, e)
			if len(batch) >= maxBatch {
				flush()
			}
		case <-t.C:
			flush()
		case <-d.infoCh:
			d.mu.Lock()
			info := d.info
			d.mu.Unlock()
			if info != nil {
				// Events already batched happened before the reload.
				flush()
				d.prog.Send(InfoMsg(*info))
			}
		}
	}
}
