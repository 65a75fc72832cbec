// Package lambda emulates AWS Lambda: functions and their generations, the
// Invoke API on the AWS edge, the Runtime API the handlers poll, a pool of
// execution environments per function (the scaling model), and the
// executors that run environments as processes or containers.
package lambda

import (
	"context"
	"time"
)

// InvocationType is the Invoke API's X-Amz-Invocation-Type.
type InvocationType string

// The three invocation types of the Invoke API.
const (
	RequestResponse InvocationType = "RequestResponse"
	Event           InvocationType = "Event"
	DryRun          InvocationType = "DryRun"
)

// Request is one invocation as every caller (Invoke API, API Gateway, SNS,
// DynamoDB streams, slsx invoke) hands it to the Lambda service.
type Request struct {
	Function      string // function name (or ARN; the service resolves it)
	Qualifier     string // "", "$LATEST", a version or alias
	Payload       []byte // JSON event
	Type          InvocationType
	Trigger       string // shown in logs and the dashboard: "GET /users/{id}", "sns:orders", "ddb:users", "invoke"
	TraceID       string // X-Amzn-Trace-Id value ("Root=1-...;Parent=...;Sampled=0"); generated when empty
	ClientContext string // base64 JSON, passed through as Lambda-Runtime-Client-Context
	LogTail       bool   // LogType: Tail: return the last 4 KB of log in Result.LogTail
}

// Result is the outcome of an invocation that reached the function (or was
// accepted for async delivery). Platform errors that AWS returns as non-200
// (function not found, throttled, payload too large, ...) are returned as a
// *awsapi.Error instead.
type Result struct {
	StatusCode      int    // 200 for RequestResponse, 202 for Event, 204 for DryRun
	RequestID       string // the invocation's request id
	Payload         []byte // the response, or the error document when FunctionError is set
	FunctionError   string // "" or "Unhandled" (X-Amz-Function-Error)
	LogTail         string // base64 of the last 4 KB of log lines, when LogTail was asked
	ExecutedVersion string // "$LATEST"
	Cold            bool
	Duration        time.Duration
	InitDuration    time.Duration
}

// Invoker is what API Gateway, SNS, DynamoDB streams and the CLI use to run
// a function. *Service implements it.
type Invoker interface {
	Invoke(ctx context.Context, req Request) (Result, error)
}
