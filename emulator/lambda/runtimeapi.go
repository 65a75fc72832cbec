package lambda

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/telemetry"
)

// The Runtime API (reference §2). Every environment has its own base path,
// AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT/<envID>, so the first path segment
// says who is asking.

const (
	hdrRequestID     = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline      = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionARN   = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID       = "Lambda-Runtime-Trace-Id"
	hdrClientContext = "Lambda-Runtime-Client-Context"
	hdrErrorType     = "Lambda-Runtime-Function-Error-Type"
	hdrErrorBody     = "Lambda-Runtime-Function-Error-Body"
)

var (
	jsonCT     = []string{"application/json"}
	acceptedOK = []byte(`{"status":"OK"}` + "\n")
)

func (s *Service) serveRuntime(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	envID, rest, _ := strings.Cut(path, "/")
	s.envMu.RLock()
	e := s.envs[envID]
	s.envMu.RUnlock()
	if e == nil {
		runtimeError(w, http.StatusNotFound, "UnknownEnvironment", "no execution environment "+envID)
		return
	}
	switch {
	case rest == "2018-06-01/runtime/invocation/next" && r.Method == http.MethodGet:
		s.handleNext(w, r, e)
	case strings.HasPrefix(rest, "2018-06-01/runtime/invocation/") && r.Method == http.MethodPost:
		id, kind, _ := strings.Cut(strings.TrimPrefix(rest, "2018-06-01/runtime/invocation/"), "/")
		switch kind {
		case "response":
			s.handleResult(w, r, e, id, false)
		case "error":
			s.handleResult(w, r, e, id, true)
		default:
			runtimeError(w, http.StatusNotFound, "InvalidURL", "unknown Runtime API path "+r.URL.Path)
		}
	case rest == "2018-06-01/runtime/init/error" && r.Method == http.MethodPost:
		s.handleInitError(w, r, e)
	case rest == "2020-01-01/extension/register" && r.Method == http.MethodPost:
		e.extension.Store(true)
		w.Header().Set("Lambda-Extension-Identifier", awsapi.RequestID())
		w.Header()["Content-Type"] = jsonCT
		_ = json.NewEncoder(w).Encode(map[string]string{"functionName": e.p.name, "functionVersion": "$LATEST", "handler": "bootstrap"})
	case rest == "2020-01-01/extension/event/next" && r.Method == http.MethodGet:
		// No events were subscribed: block until the environment goes.
		<-r.Context().Done()
	default:
		runtimeError(w, http.StatusNotFound, "InvalidURL", "unknown Runtime API path "+r.URL.Path)
	}
}

func runtimeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header()["Content-Type"] = jsonCT
	w.WriteHeader(status)
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, errType})
	_, _ = w.Write(b)
}

func stateTransitionError(w http.ResponseWriter, from envState, to string) {
	runtimeError(w, http.StatusForbidden, "InvalidStateTransition",
		"State transition from "+from.String()+" to "+to+" failed for runtime. Error: State transition is not allowed")
}

// handleNext is GET /next: it marks the end of Init or of the previous
// invocation, then long-polls for the environment's next event.
func (s *Service) handleNext(w http.ResponseWriter, r *http.Request, e *env) {
	p := e.p
	now := time.Now()
	p.mu.Lock()
	initDone := false
	var released *telemetry.PoolState
	switch e.state {
	case stInit:
		e.initDur = now.Sub(e.spawn)
		e.state = stAssigned
		initDone = true
	case stFinishing:
		if p.releaseLocked(e) {
			p.mu.Unlock()
			e.kill(true)
			// Shutdown: /next is never answered; the runtime is killed
			// (after SIGTERM and a grace period when it asked for one).
			<-r.Context().Done()
			return
		}
		st := p.stateLocked()
		released = &st
	case stDead:
		p.mu.Unlock()
		<-r.Context().Done()
		return
	default:
		// A second poller, or /next with an invocation unanswered.
		from := e.state
		p.mu.Unlock()
		stateTransitionError(w, from, "Ready")
		return
	}
	p.mu.Unlock()
	if released != nil {
		s.bus.Publish(*released)
	}
	if initDone {
		s.bus.Publish(telemetry.EnvStarted{At: telemetry.Now(), Function: p.name, Generation: e.dep.gen, EnvID: e.id, InitDuration: e.initDur, Executor: s.executorFor(&e.dep.fn).Name()})
	}

	var inv *invocation
	select {
	case inv = <-e.work:
	case <-r.Context().Done():
		// The environment is gone (or, when retired, being killed: its
		// /next stays unanswered, as in Lambda's Shutdown phase).
		return
	}

	p.mu.Lock()
	if e.state != stAssigned || e.cur != inv || inv.completed {
		p.mu.Unlock()
		runtimeError(w, http.StatusInternalServerError, "InternalServerError", "invocation was withdrawn")
		return
	}
	e.state = stInvoking
	inv.dispatched = true
	inv.dispatchAt = time.Now()
	inv.deadline = inv.dispatchAt.Add(e.dep.timeout)
	if e.first {
		e.first = false
		inv.cold = true
		inv.initDur = e.initDur
		for _, l := range e.initLog.seal() {
			inv.logs.add(l)
		}
	}
	inv.logs.add(startLine(inv.id))
	e.target.Store(inv)
	close(inv.started)
	deadline := inv.deadline
	cold := inv.cold
	p.mu.Unlock()

	s.bus.Publish(telemetry.InvocationStarted{At: telemetry.At{Time: inv.dispatchAt}, Function: p.name, Generation: e.dep.gen, RequestID: inv.id,
		TraceID: inv.traceID, Trigger: inv.trigger, Async: inv.async, Cold: cold, EnvID: e.id, Event: inv.payload})

	h := w.Header()
	h[hdrRequestID] = []string{inv.id}
	h[hdrDeadline] = []string{deadlineHeader(deadline)}
	h[hdrFunctionARN] = []string{inv.arn}
	h[hdrTraceID] = []string{inv.traceID}
	if inv.clientContext != "" {
		h[hdrClientContext] = []string{inv.clientContext}
	}
	h["Content-Type"] = jsonCT
	_, _ = w.Write(inv.payload)
}

// handleResult is POST /invocation/{id}/response and /error.
func (s *Service) handleResult(w http.ResponseWriter, r *http.Request, e *env, id string, isError bool) {
	body, tooBig, err := readLimited(r.Body, MaxResponsePayload)
	if err != nil {
		runtimeError(w, http.StatusBadRequest, "TruncatedHTTPRequest", "reading the request body: "+err.Error())
		return
	}
	errType := ""
	if isError {
		errType = r.Header.Get(hdrErrorType)
		if errType == "" {
			var doc struct {
				ErrorType string `json:"errorType"`
			}
			_ = json.Unmarshal(body, &doc)
			errType = doc.ErrorType
		}
	} else if t := r.Trailer.Get(hdrErrorType); t != "" && !tooBig {
		// The handler's io.Reader failed mid-stream: ALG reports it in
		// trailers after a partial body.
		isError, errType = true, t
		if b, err := base64.StdEncoding.DecodeString(r.Trailer.Get(hdrErrorBody)); err == nil && len(b) > 0 {
			body = b
		} else {
			body = platformError(t, "")
		}
	}
	p := e.p
	p.mu.Lock()
	inv := e.cur
	if inv == nil || inv.id != id {
		p.mu.Unlock()
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	if e.state != stInvoking || inv.completed {
		from := e.state
		p.mu.Unlock()
		to := "InvocationResponse"
		if isError {
			to = "InvocationErrorResponse"
		}
		stateTransitionError(w, from, to)
		return
	}
	if tooBig {
		msg := "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
		inv.completeLocked(platformError(errResponseTooBig, msg), true, errResponseTooBig, telemetry.StatusError, true)
		p.retireLocked(e, "crash")
		p.mu.Unlock()
		runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Exceeded maximum allowed payload size (6291556 bytes).")
		e.kill(false)
		return
	}
	e.state = stFinishing
	p.finishing++
	status := telemetry.StatusOK
	if isError {
		status = telemetry.StatusError
	}
	inv.completeLocked(body, isError, errType, status, false)
	p.mu.Unlock()
	w.Header()["Content-Type"] = jsonCT
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(acceptedOK)
}

// handleInitError is POST /runtime/init/error: the invocation that caused
// the cold start fails with the posted error and the environment goes.
func (s *Service) handleInitError(w http.ResponseWriter, r *http.Request, e *env) {
	body, _, _ := readLimited(r.Body, MaxResponsePayload)
	p := e.p
	p.mu.Lock()
	if e.state != stInit {
		from := e.state
		p.mu.Unlock()
		stateTransitionError(w, from, "InitError")
		return
	}
	inv := e.cur
	errType := r.Header.Get(hdrErrorType)
	if errType == "" {
		var doc struct {
			ErrorType string `json:"errorType"`
		}
		_ = json.Unmarshal(body, &doc)
		errType = doc.ErrorType
	}
	p.retireLocked(e, "init-error")
	if inv != nil {
		inv.cold = true
		inv.initDur = time.Since(e.spawn)
		inv.completeLocked(body, true, errType, telemetry.StatusError, false)
	}
	p.mu.Unlock()
	w.Header()["Content-Type"] = jsonCT
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(acceptedOK)
	// Give the runtime its 202, then reset the environment.
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	e.kill(false)
}

// readLimited reads at most max bytes; tooBig reports that there was more.
func readLimited(r io.Reader, max int) (body []byte, tooBig bool, err error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, false, err
	}
	if n > int64(max) {
		return nil, true, nil
	}
	return buf.Bytes(), false, nil
}
