package lambda

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slsx/slsx/emulator/config"
)

// manualExecutor starts no process: the test plays the runtime over real
// HTTP. It also shows the Executor contract works without processes.
type manualExecutor struct{ specs chan EnvSpec }

func (m *manualExecutor) Name() string { return "manual" }
func (m *manualExecutor) Start(ctx context.Context, spec EnvSpec) (Env, error) {
	m.specs <- spec
	return &manualEnv{done: make(chan struct{})}, nil
}

type manualEnv struct {
	once sync.Once
	done chan struct{}
}

func (e *manualEnv) Done() <-chan struct{} { return e.done }
func (e *manualEnv) Err() error            { return errors.New("signal: killed") }
func (e *manualEnv) Kill() error           { e.once.Do(func() { close(e.done) }); return nil }
func (e *manualEnv) Terminate() error      { return e.Kill() }
func (e *manualEnv) MaxMemoryMB() int      { return 0 }
func (e *manualEnv) SyncOutput()           {}

type runtimeClient struct {
	t    *testing.T
	base string
}

func (c runtimeClient) do(method, path string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestRuntimeAPI(t *testing.T) {
	m := &manualExecutor{specs: make(chan EnvSpec, 1)}
	h := newHarness(t, Options{Executor: m})
	h.deploy("manual", "echo", func(f *config.Function) { f.Timeout = 5 * time.Second })

	type result struct {
		res Result
		err error
	}
	invoke := func(payload, cc string) chan result {
		ch := make(chan result, 1)
		go func() {
			r, err := h.s.Invoke(context.Background(), Request{Function: "manual", Qualifier: "$LATEST", Payload: []byte(payload), ClientContext: cc})
			ch <- result{r, err}
		}()
		return ch
	}
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"a":"b"}}`))
	first := invoke(`{"n":1}`, cc)
	spec := <-m.specs
	rt := runtimeClient{t: t, base: "http://" + spec.RuntimeAPI + "/2018-06-01/runtime/"}

	// Init is over at the first /next, which delivers the event.
	before := time.Now()
	resp, body := rt.do(http.MethodGet, "invocation/next", nil, nil)
	if resp.StatusCode != 200 || body != `{"n":1}` {
		t.Fatalf("next: %d %q", resp.StatusCode, body)
	}
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	dl, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if err != nil || time.UnixMilli(dl).Before(before.Add(5*time.Second-time.Millisecond)) || time.UnixMilli(dl).After(time.Now().Add(5*time.Second)) {
		t.Errorf("deadline header %q", resp.Header.Get("Lambda-Runtime-Deadline-Ms"))
	}
	for k, want := range map[string]string{
		"Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:000000000000:function:manual:$LATEST",
		"Lambda-Runtime-Client-Context":       `{"custom":{"a":"b"}}`,
		"Content-Type":                        "application/json",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.HasPrefix(resp.Header.Get("Lambda-Runtime-Trace-Id"), "Root=1-") {
		t.Errorf("trace header %q", resp.Header.Get("Lambda-Runtime-Trace-Id"))
	}

	// /next again while the invocation is open is a state error.
	resp, body = rt.do(http.MethodGet, "invocation/next", nil, nil)
	if resp.StatusCode != 403 || !strings.Contains(body, `"errorType":"InvalidStateTransition"`) {
		t.Errorf("second next: %d %s", resp.StatusCode, body)
	}
	// Init errors are only valid before the first /next.
	resp, body = rt.do(http.MethodPost, "init/error", strings.NewReader(`{}`), nil)
	if resp.StatusCode != 403 || !strings.Contains(body, "InvalidStateTransition") {
		t.Errorf("late init error: %d %s", resp.StatusCode, body)
	}
	// A response for another request id.
	resp, body = rt.do(http.MethodPost, "invocation/00000000-0000-4000-8000-000000000000/response", strings.NewReader(`1`), nil)
	if resp.StatusCode != 400 || body != `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}` {
		t.Errorf("wrong id: %d %s", resp.StatusCode, body)
	}
	resp, body = rt.do(http.MethodPost, "invocation/"+id+"/response", strings.NewReader(`{"ok":true}`), nil)
	if resp.StatusCode != 202 || body != `{"status":"OK"}`+"\n" {
		t.Errorf("response: %d %q", resp.StatusCode, body)
	}
	r := <-first
	if r.err != nil || string(r.res.Payload) != `{"ok":true}` || r.res.FunctionError != "" || !r.res.Cold || r.res.RequestID != id {
		t.Fatalf("first result %+v %v", r.res, r.err)
	}
	// Answering twice is a state error.
	resp, _ = rt.do(http.MethodPost, "invocation/"+id+"/response", strings.NewReader(`2`), nil)
	if resp.StatusCode != 403 {
		t.Errorf("second response: %d", resp.StatusCode)
	}

	// Warm: the runtime waits in /next before the call arrives.
	next := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Get(rt.base + "invocation/next")
		if err != nil {
			t.Error(err)
			return
		}
		next <- resp
	}()
	h.waitFor("the runtime to be idle", func() bool { f := h.s.Functions(); return len(f) == 1 && f[0].Idle == 1 })
	second := invoke(`{"n":2}`, "")
	resp = <-next
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id2 := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	if string(b) != `{"n":2}` || id2 == id || resp.Header.Get("Lambda-Runtime-Client-Context") != "" {
		t.Fatalf("second event %q id %s cc %q", b, id2, resp.Header.Get("Lambda-Runtime-Client-Context"))
	}
	// An error reported in trailers after a partial body (a failing
	// io.Reader in aws-lambda-go) is a function error.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, rt.base+"invocation/"+id2+"/response", pr)
	req.Trailer = http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}
	go func() {
		pw.Write([]byte(`partial`))
		req.Trailer.Set("Lambda-Runtime-Function-Error-Type", "ReadError")
		req.Trailer.Set("Lambda-Runtime-Function-Error-Body", base64.StdEncoding.EncodeToString([]byte(`{"errorMessage":"disk gone","errorType":"ReadError"}`)))
		pw.Close()
	}()
	tresp, err := http.DefaultClient.Do(req)
	if err != nil || tresp.StatusCode != 202 {
		t.Fatalf("trailer response: %v %v", err, tresp)
	}
	tresp.Body.Close()
	r = <-second
	if r.res.FunctionError != "Unhandled" || string(r.res.Payload) != `{"errorMessage":"disk gone","errorType":"ReadError"}` || r.res.Cold {
		t.Fatalf("trailer result %+v", r.res)
	}

	// /error with the error type in the header.
	third := invoke(`{"n":3}`, "")
	resp, body = rt.do(http.MethodGet, "invocation/next", nil, nil)
	id3 := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	if resp.StatusCode != 200 || body != `{"n":3}` {
		t.Fatalf("third next: %d %s", resp.StatusCode, body)
	}
	resp, _ = rt.do(http.MethodPost, "invocation/"+id3+"/error", strings.NewReader(`{"errorMessage":"bad","errorType":"Custom"}`), map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.Custom"})
	if resp.StatusCode != 202 {
		t.Fatalf("error post: %d", resp.StatusCode)
	}
	r = <-third
	if r.res.FunctionError != "Unhandled" || string(r.res.Payload) != `{"errorMessage":"bad","errorType":"Custom"}` {
		t.Fatalf("error result %+v", r.res)
	}

	// Extension registration (lambda.WithEnableSIGTERM) answers 200 with an id.
	ext := runtimeClient{t: t, base: "http://" + spec.RuntimeAPI + "/2020-01-01/extension/"}
	resp, _ = ext.do(http.MethodPost, "register", strings.NewReader(`{"events":[]}`), map[string]string{"Lambda-Extension-Name": "GoLangEnableSIGTERM"})
	if resp.StatusCode != 200 || resp.Header.Get("Lambda-Extension-Identifier") == "" {
		t.Errorf("extension register: %d", resp.StatusCode)
	}
	// Unknown paths and environments.
	resp, _ = rt.do(http.MethodGet, "nope", nil, nil)
	if resp.StatusCode != 404 {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
	resp, _ = runtimeClient{t: t, base: "http://" + h.s.RuntimeAddr() + "/env-999999/"}.do(http.MethodGet, "2018-06-01/runtime/invocation/next", nil, nil)
	if resp.StatusCode != 404 {
		t.Errorf("unknown env: %d", resp.StatusCode)
	}
}
