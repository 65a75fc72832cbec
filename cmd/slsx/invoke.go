package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
	"github.com/slsx/slsx/watch"
)

type invokeOptions struct {
	Overrides []string // SAM template parameter overrides
	Function  string
	Dir       string
	Event     string   // file, "-" for stdin, "" for {}
	Env       []string // KEY=VAL overrides
	JSON      bool
	Endpoint  string // invoke through a running slsx instead
	AWSPort   int    // where AWS_ENDPOINT_URL points inside the function
	Runtime   string // "" (the function's own), process or docker
}

func init() { extraCommands = append(extraCommands, newInvokeCmd) }

func newInvokeCmd(s streams) *cobra.Command {
	opts := invokeOptions{AWSPort: config.DefaultAWSPort}
	cmd := &cobra.Command{
		Use:   "invoke FUNCTION",
		Short: "Run one function once and print its response",
		Long: `Builds the function if its code changed, runs it once in a fresh
environment, prints the response payload on stdout and the function's logs
on stderr. Exits 1 when the function returns an error.

No server is needed. Inside the function AWS_ENDPOINT_URL points at
127.0.0.1:--aws-port, so SDK calls reach a running 'slsx dev' or 'slsx serve'.
With --endpoint the call goes through that running slsx instead.`,
		Example: `  slsx invoke users --event event.json
  slsx events generate apigw-http --path /users/42 | slsx invoke users --event -
  slsx invoke users --json --env TABLE=users-test`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Function = args[0]
			return runInvoke(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Event, "event", "e", "", "event JSON file, or - for stdin (default {})")
	f.StringArrayVar(&opts.Env, "env", nil, "set an environment variable for this call, KEY=VAL (repeatable)")
	f.BoolVar(&opts.JSON, "json", false, "print response, error, logs, duration and cold/warm as one JSON object")
	f.StringVar(&opts.Endpoint, "endpoint", "", "invoke through a running slsx, e.g. http://127.0.0.1:4566")
	f.StringVarP(&opts.Dir, "dir", "d", ".", "project directory (slsx.yaml, or a SAM template.yaml)")
	f.StringArrayVar(&opts.Overrides, "parameter-overrides", nil, "SAM template parameters, Key=Value (repeatable)")
	f.IntVar(&opts.AWSPort, "aws-port", opts.AWSPort, "AWS port the function's SDK calls go to")
	f.StringVar(&opts.Runtime, "runtime", "", "run the function as a process or in docker (default: its runtime in the project, else process)")
	return cmd
}

// invokeOutcome is what --json prints.
type invokeOutcome struct {
	RequestID     string          `json:"requestId"`
	Response      json.RawMessage `json:"response"`
	FunctionError string          `json:"functionError,omitempty"`
	Error         json.RawMessage `json:"error,omitempty"`
	Logs          []string        `json:"logs"`
	DurationMs    float64         `json:"durationMs"`
	InitMs        float64         `json:"initDurationMs,omitempty"`
	Cold          bool            `json:"cold"`
}

func runInvoke(ctx context.Context, s streams, opts invokeOptions) error {
	payload, err := readEvent(s.In, opts.Event)
	if err != nil {
		return usageError{err}
	}
	env, err := parseEnv(opts.Env)
	if err != nil {
		return usageError{err}
	}
	var out invokeOutcome
	if opts.Endpoint != "" {
		if len(env) > 0 {
			return usageError{fmt.Errorf("--env cannot change a function served by a running slsx; drop --env or --endpoint")}
		}
		out, err = invokeRemote(ctx, opts.Endpoint, opts.Function, payload)
	} else {
		out, err = invokeLocal(ctx, s, opts, env, payload)
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		for _, l := range out.Logs {
			fmt.Fprintln(s.Err, l)
		}
		body := out.Response
		if out.FunctionError != "" {
			body = out.Error
		}
		s.Out.Write(body)
		if len(body) > 0 && body[len(body)-1] != '\n' {
			fmt.Fprintln(s.Out)
		}
	}
	if out.FunctionError != "" {
		return exitError{code: exitFailure}
	}
	return nil
}

func readEvent(in io.Reader, name string) ([]byte, error) {
	var data []byte
	var err error
	switch name {
	case "":
		return []byte("{}"), nil
	case "-":
		data, err = io.ReadAll(in)
	default:
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("event %s is not valid JSON", eventName(name))
	}
	return data, nil
}

func eventName(name string) string {
	if name == "-" {
		return "from stdin"
	}
	return name
}

func parseEnv(kvs []string) (map[string]string, error) {
	env := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--env %q: use KEY=VALUE", kv)
		}
		env[k] = v
	}
	return env, nil
}

// invokeLocal builds (if needed) and runs the function in a private Lambda
// service with no ports but its Runtime API.
func invokeLocal(ctx context.Context, s streams, opts invokeOptions, env map[string]string, payload []byte) (invokeOutcome, error) {
	if err := checkRuntimeFlag(opts.Runtime); err != nil {
		return invokeOutcome{}, err
	}
	p, err := loadProject(opts.Dir, opts.Overrides, s.Err)
	if err != nil {
		return invokeOutcome{}, err
	}
	fn := p.Function(opts.Function)
	if fn == nil {
		return invokeOutcome{}, usageError{fmt.Errorf("no function %q in %s; functions: %s", opts.Function, p.File, functionNames(p))}
	}
	resolveRuntimes(p, opts.Runtime)
	ex, err := newExecutor(ctx, fn.Runtime, slog.New(slog.DiscardHandler))
	if err != nil {
		return invokeOutcome{}, err
	}
	defer ex.close()
	if len(env) > 0 {
		c := *fn
		c.Environment = map[string]string{}
		for k, v := range fn.Environment {
			c.Environment[k] = v
		}
		for k, v := range env {
			c.Environment[k] = v
		}
		fn = &c
	}
	b := watch.NewBuilder(p.Dir, watch.BuildOptions{Target: buildTarget})
	res := b.Ensure(ctx, []*config.Function{fn}, "invoke")[0]
	if res.Err != nil {
		if res.Output != "" {
			fmt.Fprint(s.Err, res.Output)
		}
		return invokeOutcome{}, fmt.Errorf("build %s: %w", fn.Name, res.Err)
	}

	bus := telemetry.New()
	subCtx, cancelSub := context.WithCancel(ctx)
	defer cancelSub()
	events := bus.Subscribe(subCtx)
	id := awsapi.DefaultIdentity()
	if p.Region != "" {
		id.Region = p.Region
	}
	svc := lambda.New(lambda.Options{
		Identity:          id,
		Bus:               bus,
		Executors:         ex.executors(),
		RuntimeHost:       ex.runtimeHost,
		EdgeURL:           fmt.Sprintf("http://127.0.0.1:%d", opts.AWSPort),
		AsyncRetryBackoff: []time.Duration{},
	})
	if err := svc.Start(ctx); err != nil {
		return invokeOutcome{}, fmt.Errorf("start lambda runtime api: %w", err)
	}
	defer svc.Close(context.Background())
	if err := svc.Deploy(fn, res.Dir, res.Generation); err != nil {
		return invokeOutcome{}, err
	}
	r, err := svc.Invoke(ctx, lambda.Request{Function: fn.Name, Payload: payload, Type: lambda.RequestResponse, Trigger: "invoke"})
	if err != nil {
		return invokeOutcome{}, err
	}
	out := invokeOutcome{RequestID: r.RequestID, FunctionError: r.FunctionError, Cold: r.Cold,
		DurationMs: ms(r.Duration), InitMs: ms(r.InitDuration)}
	setBody(&out, r.Payload)
	out.Logs = logsFor(events, r.RequestID)
	return out, nil
}

// logsFor waits briefly for the invocation's finished event, which carries
// its log lines from START to REPORT.
func logsFor(events <-chan telemetry.Event, requestID string) []string {
	timeout := time.After(2 * time.Second)
	for {
		select {
		case e := <-events:
			if f, ok := e.(telemetry.InvocationFinished); ok && f.RequestID == requestID {
				return f.Logs
			}
		case <-timeout:
			return nil
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func setBody(out *invokeOutcome, payload []byte) {
	body := json.RawMessage(payload)
	if !json.Valid(body) {
		// Keep --json valid whatever the function returned.
		b, _ := json.Marshal(string(payload))
		body = b
	}
	if out.FunctionError != "" {
		out.Error = body
	} else {
		out.Response = body
	}
}

func functionNames(p *config.Project) string {
	names := make([]string, len(p.Functions))
	for i, f := range p.Functions {
		names[i] = f.Name
	}
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

// invokeRemote calls the Invoke API of a running slsx with LogType Tail.
func invokeRemote(ctx context.Context, endpoint, function string, payload []byte) (invokeOutcome, error) {
	url := strings.TrimRight(endpoint, "/") + "/2015-03-31/functions/" + function + "/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return invokeOutcome{}, usageError{fmt.Errorf("--endpoint %q: %w", endpoint, err)}
	}
	req.Header.Set("X-Amz-Log-Type", "Tail")
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return invokeOutcome{}, fmt.Errorf("invoke through %s: %w (is slsx dev running?)", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return invokeOutcome{}, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message  string `json:"message"`
			Message2 string `json:"Message"`
		}
		_ = json.Unmarshal(body, &e)
		msg := e.Message + e.Message2
		if msg == "" {
			msg = strings.TrimSpace(string(body))
		}
		return invokeOutcome{}, fmt.Errorf("%s: %s", resp.Header.Get("x-amzn-ErrorType"), msg)
	}
	out := invokeOutcome{RequestID: resp.Header.Get("x-amzn-RequestId"), FunctionError: resp.Header.Get("X-Amz-Function-Error"), DurationMs: ms(time.Since(start))}
	setBody(&out, body)
	if tail, err := base64.StdEncoding.DecodeString(resp.Header.Get("X-Amz-Log-Result")); err == nil && len(tail) > 0 {
		out.Logs = strings.Split(strings.TrimRight(string(tail), "\n"), "\n")
	}
	return out, nil
}
