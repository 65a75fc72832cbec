package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/telemetry"
)

var _ Invoker = (*Service)(nil)

var emptyEvent = []byte("{}")

// Invoke runs one request: RequestResponse waits for the result, Event
// queues it (202) and retries failures in the background, DryRun only
// validates (204). Platform errors come back as *awsapi.Error.
func (s *Service) Invoke(ctx context.Context, req Request) (Result, error) {
	return s.invoke(ctx, req, awsapi.RequestID())
}

func (s *Service) invoke(ctx context.Context, req Request, requestID string) (Result, error) {
	if s.runtimeAddr == "" {
		return Result{}, errService("The Lambda service has not been started.")
	}
	ref, aerr := parseFunctionName(req.Function)
	if aerr != nil {
		return Result{}, aerr
	}
	qual, aerr := resolveQualifier(ref.Qualifier, req.Qualifier)
	if aerr != nil {
		return Result{}, aerr
	}
	typ := req.Type
	if typ == "" {
		typ = RequestResponse
	}
	if typ != RequestResponse && typ != Event && typ != DryRun {
		return Result{}, errInvalidParam("Unsupported invocation type %s", typ)
	}
	p := s.pool(ref.Name)
	if p == nil || (qual != "" && qual != "$LATEST") {
		return Result{}, errNotFound(s.opts.Identity, ref.Name, qual)
	}
	payload := req.Payload
	switch {
	case typ == Event && len(payload) > MaxAsyncPayload:
		return Result{}, errAsyncTooLarge(len(payload))
	case len(payload) > MaxSyncPayload:
		return Result{}, errSyncTooLarge()
	case len(payload) == 0:
		payload = emptyEvent
	case !json.Valid(payload):
		var v any
		err := json.Unmarshal(payload, &v)
		return Result{}, errInvalidContent("Could not parse request body into json: Could not parse payload into json: %v", err)
	}
	var clientContext string
	if req.ClientContext != "" && typ == RequestResponse {
		cc, err := base64.StdEncoding.DecodeString(req.ClientContext)
		var obj map[string]any
		if err != nil || len(req.ClientContext) > maxClientContext || json.Unmarshal(cc, &obj) != nil {
			return Result{}, errInvalidContent("Client context must be a valid Base64-encoded JSON object.")
		}
		clientContext = string(cc)
	}
	traceID := req.TraceID
	if traceID == "" {
		traceID = newTraceID(time.Now())
	}
	trigger := req.Trigger
	if trigger == "" {
		trigger = "invoke"
	}
	arn := s.functionARN(ref.Name, qual)

	switch typ {
	case DryRun:
		p.mu.Lock()
		live := p.dep != nil
		p.mu.Unlock()
		if !live {
			return Result{}, errNotFound(s.opts.Identity, ref.Name, qual)
		}
		return Result{StatusCode: http.StatusNoContent, RequestID: requestID}, nil
	case Event:
		// Under mu so that Close cannot miss the Add below.
		s.mu.RLock()
		if s.closing.Load() {
			s.mu.RUnlock()
			return Result{}, errService("The Lambda service is shutting down.")
		}
		s.asyncWG.Add(1)
		s.mu.RUnlock()
		a := asyncEvent{name: ref.Name, id: requestID, payload: payload, traceID: traceID, arn: arn, trigger: trigger}
		go s.runAsync(a)
		return Result{StatusCode: http.StatusAccepted, RequestID: requestID, ExecutedVersion: "$LATEST"}, nil
	}
	inv := newInvocation(s, requestID)
	inv.payload, inv.traceID, inv.clientContext, inv.arn, inv.trigger, inv.logTail = payload, traceID, clientContext, arn, trigger, req.LogTail
	return s.run(ctx, p, inv)
}

// run takes an environment for inv, hands the event over and waits for
// the outcome under the function's timeout.
func (s *Service) run(ctx context.Context, p *pool, inv *invocation) (Result, error) {
	e, cold, err := p.acquire(ctx, inv)
	if err != nil {
		return Result{}, err
	}
	if cold {
		e.start(ctx)
	}
	e.work <- inv

	if cold {
		t := time.NewTimer(s.opts.InitTimeout)
		select {
		case <-inv.started:
		case <-inv.done:
		case <-t.C:
			s.expire(e, inv, s.opts.InitTimeout)
		}
		t.Stop()
	} else {
		select {
		case <-inv.started:
		case <-inv.done:
		}
	}
	select {
	case <-inv.done:
	default:
		// The deadline was fixed at dispatch, under the pool lock that
		// closed started.
		p.mu.Lock()
		deadline := inv.deadline
		p.mu.Unlock()
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-inv.done:
		case <-t.C:
			s.expire(e, inv, e.dep.timeout)
		}
		t.Stop()
	}
	return s.finish(e, inv), nil
}

// expire ends inv with Sandbox.Timedout and resets its environment.
func (s *Service) expire(e *env, inv *invocation, after time.Duration) {
	p := e.p
	p.mu.Lock()
	if inv.completed {
		p.mu.Unlock()
		return
	}
	if !inv.dispatched {
		inv.cold = true
		inv.initDur = time.Since(e.spawn)
	}
	inv.completeLocked(platformError(errTimedOut, "RequestId: "+inv.id+" Error: Task timed out after "+seconds(after)+" seconds"),
		true, errTimedOut, telemetry.StatusTimeout, true)
	p.retireLocked(e, "timeout")
	p.mu.Unlock()
	e.kill(false)
}

// finish assembles the log and the Result of a completed invocation and
// publishes InvocationFinished.
func (s *Service) finish(e *env, inv *invocation) Result {
	p := e.p
	p.mu.Lock()
	h := e.h
	p.mu.Unlock()
	maxMem := 0
	if h != nil {
		h.SyncOutput()
		maxMem = h.MaxMemoryMB()
	}
	if maxMem == 0 {
		maxMem = e.dep.memoryMB
	}
	var lines []string
	var duration time.Duration
	if inv.dispatched {
		lines = inv.logs.seal()
		duration = inv.finishAt.Sub(inv.dispatchAt)
	} else {
		// Never reached the handler: Init output, then the platform's
		// account of the failure.
		lines = append(e.initLog.seal(), startLine(inv.id))
	}
	report := reportFields{id: inv.id, duration: duration, memoryMB: e.dep.memoryMB, maxMemoryMB: maxMem}
	if inv.cold {
		report.init = inv.initDur
		if report.init <= 0 {
			report.init = time.Microsecond
		}
	}
	switch {
	case inv.status == telemetry.StatusTimeout:
		lines = append(lines, timeoutLine(inv.finishAt, inv.id, e.dep.timeout))
		report.status = "timeout"
	case inv.platform:
		var doc struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(inv.resp, &doc)
		lines = append(lines, doc.ErrorMessage, inv.errType)
		report.status, report.errorType = "error", inv.errType
	}
	lines = append(lines, endLine(inv.id), report.line())

	res := Result{
		StatusCode:      http.StatusOK,
		RequestID:       inv.id,
		Payload:         inv.resp,
		ExecutedVersion: "$LATEST",
		Cold:            inv.cold,
		Duration:        duration,
		InitDuration:    report.init,
	}
	if !inv.cold {
		res.InitDuration = 0
	}
	if inv.fnErr {
		res.FunctionError = FunctionErrorUnhandled
	}
	if inv.logTail {
		res.LogTail = logTail(lines)
	}
	errType := ""
	if inv.fnErr {
		errType = inv.errType
	}
	s.bus.Publish(telemetry.InvocationFinished{
		At: telemetry.At{Time: inv.finishAt}, Function: p.name, Generation: e.dep.gen, RequestID: inv.id, TraceID: inv.traceID,
		Trigger: inv.trigger, Async: inv.async, Cold: inv.cold, EnvID: e.id, Status: inv.status, ErrorType: errType,
		Duration: duration, InitDuration: res.InitDuration, BilledMs: billedMs(duration), MemoryMB: e.dep.memoryMB,
		MaxMemoryMB: maxMem, Response: inv.resp, Logs: lines,
	})
	return res
}

type asyncEvent struct {
	name, id, traceID, arn, trigger string
	payload                         []byte
}

// runAsync delivers one queued event: it waits for capacity (throttles
// never fail an async event) and retries function errors, timeouts and
// crashes after each AsyncRetryBackoff wait, reusing the request id.
func (s *Service) runAsync(a asyncEvent) {
	defer s.asyncWG.Done()
	ctx := s.asyncCtx
	for attempt := 0; ; attempt++ {
		p := s.pool(a.name)
		if p == nil {
			s.log.Warn("dropping async event: function no longer exists", "function", a.name, "requestId", a.id)
			return
		}
		inv := newInvocation(s, a.id)
		inv.payload, inv.traceID, inv.arn, inv.trigger, inv.async = a.payload, a.traceID, a.arn, a.trigger, true
		res, err := s.run(ctx, p, inv)
		if err != nil {
			s.log.Warn("dropping async event", "function", a.name, "requestId", a.id, "err", err)
			return
		}
		if res.FunctionError == "" {
			return
		}
		if attempt >= len(s.opts.AsyncRetryBackoff) {
			s.log.Warn("async event failed after all retries", "function", a.name, "requestId", a.id, "attempts", attempt+1)
			return
		}
		t := time.NewTimer(s.opts.AsyncRetryBackoff[attempt])
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			s.log.Warn("dropping async event at shutdown", "function", a.name, "requestId", a.id)
			return
		}
	}
}
