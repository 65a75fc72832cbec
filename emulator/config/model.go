// Package config is the project model: functions, APIs and their routes,
// topics and subscriptions, tables and stream triggers. It is loaded from
// slsx.yaml (this package) or, later, from an AWS SAM template; every other
// part of slsx reads only this model.
package config

import (
	"encoding/json"
	"reflect"
	"time"
)

// Defaults applied by the loader when the file leaves a value out.
const (
	DefaultMemoryMB    = 128             // AWS's default MemorySize
	DefaultTimeout     = 3 * time.Second // AWS's default Timeout
	DefaultConcurrency = 10              // local default reserved concurrency
	MaxConcurrency     = 1000            // AWS's default account limit
	// ReservedZero is Function.Concurrency for a reserved concurrency of 0,
	// which AWS uses to switch a function off: every call is throttled.
	ReservedZero   = -1
	DefaultAPIName = "default"
	DefaultAPIPort = 3000
	DefaultAWSPort = 4566
)

// Project is one loaded project.
type Project struct {
	Dir     string // absolute project directory
	File    string // absolute path of the file it was loaded from
	Name    string // project name; defaults to the directory name
	Region  string // default us-east-1
	Runtime string // default executor for functions: "process" (default) or "docker"

	Functions []*Function // sorted by name
	APIs      []*API      // sorted by name; "default" exists whenever a function has an http event
	Topics    []*Topic    // declared topics plus those named by sns events, sorted by name
	Tables    []*Table    // sorted by name

	// Subscriptions are the SNS subscriptions to create at start: one per
	// function sns event plus the project's own subscriptions list.
	Subscriptions []*Subscription
	// StreamTriggers are the DynamoDB stream event-source mappings.
	StreamTriggers []*StreamTrigger
}

// Function is one Lambda function.
type Function struct {
	Name         string
	Handler      string // Go main package, relative to Project.Dir, e.g. "./functions/users"
	MemoryMB     int
	Timeout      time.Duration
	Concurrency  int               // reserved concurrency (the pool's limit); 0 = DefaultConcurrency, ReservedZero = throttle everything
	Environment  map[string]string // user variables
	Architecture string            // "x86_64" (default) or "arm64"
	Runtime      string            // "process" or "docker"; "" means Project.Runtime
	Image        string            // docker image to use instead of slsx's own, optional
	Routes       []*Route          // its http events
}

// API is one API Gateway API.
type API struct {
	Name    string
	Type    string // "http" (default) or "rest"
	Payload string // "2.0" (default for http) or "1.0" (always for rest)
	Port    int    // 0: shares the main API port, mounted at BasePath
	// PortOffset, with Port 0, gives the API a port of its own at the main
	// API port plus PortOffset, or a free one when the main port is chosen
	// freely (--port 0). A SAM template's second and later APIs use it.
	PortOffset     int
	BasePath       string // "" or "/prefix"
	Stage          string // "$default" for http, "dev" by default for rest
	StageVariables map[string]string
	CORS           *CORS
	Authorizers    map[string]*Authorizer
	Routes         []*Route // sorted by path then method
}

// Route is one http event: METHOD /path on an API, integrated with Function.
type Route struct {
	API        string
	Method     string // upper case, or "ANY"; "$default" route has Method "" and Path "$default"
	Path       string // "/users/{id}", "/files/{proxy+}", or "$default"
	Function   string
	Authorizer string // name in API.Authorizers, or ""
}

// Key returns the route key as AWS writes it: "GET /users/{id}" or "$default".
func (r *Route) Key() string {
	if r.Path == "$default" {
		return "$default"
	}
	return r.Method + " " + r.Path
}

// CORS is an HTTP API cors configuration.
type CORS struct {
	AllowOrigins     []string
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	MaxAge           int // seconds
	AllowCredentials bool
}

// Authorizer is a Lambda REQUEST authorizer.
type Authorizer struct {
	Name            string
	Function        string
	IdentitySource  []string // "$request.header.Authorization" (v2) or "method.request.header.Authorization" (rest)
	TTL             time.Duration
	SimpleResponses bool   // HTTP API only: isAuthorized/context responses
	PayloadVersion  string // "2.0" or "1.0" for HTTP APIs
}

// Topic is one SNS topic.
type Topic struct {
	Name                      string
	Fifo                      bool
	ContentBasedDeduplication bool
	Attributes                map[string]string
}

// Subscription is one SNS subscription declared by the project.
type Subscription struct {
	Topic              string
	Protocol           string // "lambda", "http", "https"
	Endpoint           string // function name for lambda, URL otherwise
	FilterPolicy       json.RawMessage
	FilterPolicyScope  string // "MessageAttributes" (default) or "MessageBody"
	RawMessageDelivery bool
}

// Table is one DynamoDB table.
type Table struct {
	Name       string
	HashKey    KeyAttr
	RangeKey   *KeyAttr
	GSIs       []*Index
	LSIs       []*Index
	StreamView string // "", "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"
	// StreamLabel, when set, is the label of the table's stream, so that a
	// stream ARN the project computed ahead (SAM's !GetAtt T.StreamArn) is
	// the real one. Empty: the label is the stream's creation time.
	StreamLabel  string
	TTLAttribute string
	BillingMode  string // "PAY_PER_REQUEST" (default) or "PROVISIONED"
	Seed         string // JSON file, relative to Project.Dir: an array of items in DynamoDB JSON or plain JSON
}

// KeyAttr is a key attribute and its scalar type.
type KeyAttr struct {
	Name string
	Type string // "S", "N" or "B"
}

// Index is a secondary index.
type Index struct {
	Name             string
	HashKey          KeyAttr
	RangeKey         *KeyAttr
	Projection       string // "ALL" (default), "KEYS_ONLY", "INCLUDE"
	NonKeyAttributes []string
}

// StreamTrigger maps a table's stream to a function.
type StreamTrigger struct {
	Table                      string
	Function                   string
	BatchSize                  int           // default 100
	StartingPosition           string        // "LATEST" (default) or "TRIM_HORIZON"
	BatchingWindow             time.Duration // default 0
	MaximumRetryAttempts       int           // -1 (default) = until the record expires
	BisectBatchOnFunctionError bool
	ReportBatchItemFailures    bool // FunctionResponseTypes: ReportBatchItemFailures
	Enabled                    bool
	// Filters are FilterCriteria patterns (JSON objects, already checked):
	// a record reaches the function when it matches any of them; the others
	// are skipped as processed. None delivers every record.
	Filters []string
	// MaximumRecordAge discards records older than this instead of
	// invoking or retrying them; 0 (AWS's -1) keeps them until they expire.
	MaximumRecordAge time.Duration
	// OnFailureTopic names the standard SNS topic that gets a record of
	// each discarded batch (DestinationConfig.OnFailure); "" for none.
	OnFailureTopic string
	// TumblingWindow, when set, groups records into windows of this length
	// and carries the function's state from one invocation to the next
	// within a window (TumblingWindowInSeconds, up to 900 s).
	TumblingWindow time.Duration
}

// Equal reports whether two triggers are configured alike (a nil and an
// empty Filters are alike).
func (t StreamTrigger) Equal(o StreamTrigger) bool {
	if len(t.Filters) == 0 && len(o.Filters) == 0 {
		t.Filters, o.Filters = nil, nil
	}
	return reflect.DeepEqual(t, o)
}

// Function returns the named function, or nil.
func (p *Project) Function(name string) *Function {
	for _, f := range p.Functions {
		if f.Name == name {
			return f
		}
	}
	return nil
}
