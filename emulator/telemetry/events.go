package telemetry

import "time"

// Event is anything published on the bus. Each concrete type is a struct
// value; subscribers switch on the type.
type Event interface{ When() time.Time }

// At carries the event time; embed it in every event.
type At struct{ Time time.Time }

// When reports when the event happened.
func (a At) When() time.Time { return a.Time }

// Now returns an At for the current time.
func Now() At { return At{Time: time.Now()} }

// Invocation status values used in InvocationFinished.Status.
const (
	StatusOK        = "ok"        // handler returned a response
	StatusError     = "error"     // handler returned an error (Unhandled)
	StatusTimeout   = "timeout"   // Sandbox.Timedout
	StatusCrash     = "crash"     // Runtime.ExitError and friends
	StatusThrottled = "throttled" // TooManyRequestsException
)

// InvocationStarted is published when a request is handed to an environment.
type InvocationStarted struct {
	At
	Function   string
	Generation int
	RequestID  string
	TraceID    string
	Trigger    string // "GET /users/{id}", "sns:orders", "ddb:users", "invoke"
	Async      bool
	Cold       bool
	EnvID      string
	Event      []byte // the payload handed to the handler
}

// InvocationFinished is published when an invocation ends, successfully or
// not (Time - Duration is when it started).
type InvocationFinished struct {
	At
	Function     string
	Generation   int
	RequestID    string
	TraceID      string
	Trigger      string
	Async        bool
	Cold         bool
	EnvID        string
	Status       string // one of the Status constants
	ErrorType    string // e.g. "Sandbox.Timedout", "Runtime.ExitError", handler error type
	Duration     time.Duration
	InitDuration time.Duration // cold starts only
	BilledMs     int64
	MemoryMB     int
	MaxMemoryMB  int
	Response     []byte
	Logs         []string // the function's log lines for this request, START..REPORT
}

// LogLine is one line the function wrote, attributed to a request when one
// was running.
type LogLine struct {
	At
	Function  string
	EnvID     string
	RequestID string
	Line      string
}

// EnvStarted is published when an execution environment finished init.
type EnvStarted struct {
	At
	Function     string
	Generation   int
	EnvID        string
	InitDuration time.Duration
	Executor     string // "process" or "docker"
}

// EnvStopped is published when an environment is gone.
type EnvStopped struct {
	At
	Function   string
	Generation int
	EnvID      string
	Reason     string // "idle", "timeout", "crash", "swap", "shutdown", "init-error"
}

// Throttled is published when a synchronous call is refused over the
// concurrency limit, or an async event has to wait in the queue.
type Throttled struct {
	At
	Function  string
	RequestID string
	Trigger   string
	Async     bool // queued rather than refused
	Limit     int
}

// PoolState is a snapshot of a function's environments, published on every
// change so the dashboard can draw concurrency over time.
type PoolState struct {
	At
	Function string
	Busy     int
	Idle     int
	Queued   int
	Limit    int
}

// BuildStarted is published when a function build begins.
type BuildStarted struct {
	At
	Function   string
	Generation int
	Reason     string // the changed file, or "initial"
}

// BuildFinished is published when a build ends; Err is empty on success and
// Output holds the compiler output verbatim on failure.
type BuildFinished struct {
	At
	Function   string
	Generation int
	Duration   time.Duration
	Err        string
	Output     string
}

// Swapped is published when a new generation of a function starts serving.
type Swapped struct {
	At
	Function      string
	OldGeneration int
	NewGeneration int
}

// ChangeDetected is published by the watcher after debouncing.
type ChangeDetected struct {
	At
	Paths     []string
	Functions []string // functions that will be rebuilt
}

// ConfigReloaded is published after slsx.yaml was re-read; Err is set when
// the new file was rejected and the running state kept.
type ConfigReloaded struct {
	At
	Err string
}

// HTTPRequest is published by the API Gateway emulator for every request,
// when its response is complete (Time - Duration is when it arrived).
type HTTPRequest struct {
	At
	API       string
	Method    string
	Path      string
	RouteKey  string
	Function  string
	Status    int
	Duration  time.Duration
	RequestID string
	TraceID   string
}

// SNSPublished is published for every message accepted by a topic.
type SNSPublished struct {
	At
	Topic     string // topic ARN
	MessageID string
	TraceID   string
}

// SNSDelivered is published for every delivery attempt.
type SNSDelivered struct {
	At
	Topic        string
	Subscription string
	Protocol     string
	Endpoint     string
	MessageID    string
	TraceID      string
	Attempt      int
	Err          string
}

// DynamoWrite is published for every item written, updated or deleted.
type DynamoWrite struct {
	At
	Table   string
	Op      string // PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems, TTL, PartiQL
	Keys    string // key attributes as compact JSON
	TraceID string
}

// StreamBatch is published when a batch of stream records is handed to a
// function through an event-source mapping.
type StreamBatch struct {
	At
	Table    string
	Function string
	Records  int
	TraceID  string
	Err      string
}

// Log is slsx's own log line (everything the dashboard shows in its log pane).
type Log struct {
	At
	Level   string
	Message string
}
