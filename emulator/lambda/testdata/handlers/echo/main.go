// echo returns its event. Commands in the event change that:
// {"info":true} returns what the handler sees (environment, context),
// {"error":"msg"} returns an error, {"log":["a","b"]} prints lines first,
// {"sleepMs":N} sleeps first.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type command struct {
	Info    bool     `json:"info"`
	Error   string   `json:"error"`
	Log     []string `json:"log"`
	SleepMs int      `json:"sleepMs"`
}

func handler(ctx context.Context, ev json.RawMessage) (any, error) {
	var cmd command
	_ = json.Unmarshal(ev, &cmd)
	for _, l := range cmd.Log {
		fmt.Println(l)
	}
	if cmd.SleepMs > 0 {
		time.Sleep(time.Duration(cmd.SleepMs) * time.Millisecond)
	}
	if cmd.Error != "" {
		return nil, errors.New(cmd.Error)
	}
	if !cmd.Info {
		return ev, nil
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	lc, _ := lambdacontext.FromContext(ctx)
	dl, _ := ctx.Deadline()
	wd, _ := os.Getwd()
	tr, _ := ctx.Value("x-amzn-trace-id").(string)
	return map[string]any{
		"env":           env,
		"requestId":     lc.AwsRequestID,
		"functionArn":   lc.InvokedFunctionArn,
		"clientContext": lc.ClientContext.Custom,
		"deadlineMs":    dl.UnixMilli(),
		"cwd":           wd,
		"traceEnv":      os.Getenv("_X_AMZN_TRACE_ID"),
		"traceCtx":      tr,
		"pid":           os.Getpid(),
		"functionName":  lambdacontext.FunctionName,
		"memory":        lambdacontext.MemoryLimitInMB,
	}, nil
}

func main() { lambda.Start(handler) }
