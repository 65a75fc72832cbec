package lambda

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slsx/slsx/emulator/telemetry"
)

// envState is where an environment is in the Runtime API state machine
// (reference §2.7). Every transition happens under its pool's mutex.
type envState int

const (
	stInit      envState = iota // spawned for an invocation, before its first GET /next
	stAssigned                  // an invocation is handed to it and not yet picked up
	stInvoking                  // the runtime holds the event
	stFinishing                 // result posted; the runtime has not asked for the next event yet
	stIdle                      // waiting in GET /next, in the pool's idle list
	stDead                      // retired: being killed or gone
)

var stateNames = [...]string{"Init", "Ready", "Invoking", "InvocationResponse", "Idle", "Reset"}

func (s envState) String() string { return stateNames[s] }

// env is one execution environment.
type env struct {
	id    string
	s     *Service
	p     *pool
	dep   *deployment
	h     Env // nil until the executor started it
	spawn time.Time

	// Guarded by p.mu.
	state     envState
	cur       *invocation // assigned or running invocation
	first     bool        // the next dispatch is the environment's first (cold)
	initDur   time.Duration
	reason    string // why it was retired
	idleSince time.Time
	idleTimer *time.Timer

	work      chan *invocation // capacity 1: only the assigned invocation is sent
	extension atomic.Bool      // registered for SIGTERM (lambda.WithEnableSIGTERM)

	target  atomic.Pointer[invocation] // whose log lines we are reading
	initLog *logBuf
	lw      lineWriter
}

// invocation is one attempt to run a request on an environment.
type invocation struct {
	id            string
	payload       []byte
	traceID       string
	clientContext string // decoded JSON
	arn           string
	trigger       string
	async         bool
	logTail       bool

	started chan struct{} // closed at dispatch
	done    chan struct{} // closed at completion
	logs    *logBuf

	// Set under the pool mutex.
	dispatched bool
	dispatchAt time.Time
	deadline   time.Time
	cold       bool
	initDur    time.Duration
	completed  bool
	finishAt   time.Time
	resp       []byte
	fnErr      bool
	errType    string
	platform   bool   // the error was produced by slsx (timeout, crash...), not posted by the runtime
	status     string // telemetry status
}

func newInvocation(s *Service, id string) *invocation {
	return &invocation{id: id, started: make(chan struct{}), done: make(chan struct{}), logs: newLogBuf(s.opts.MaxLogBytes)}
}

// completeLocked records the outcome once; it reports whether this call
// was the one that completed the invocation.
func (inv *invocation) completeLocked(resp []byte, fnErr bool, errType, status string, platform bool) bool {
	if inv.completed {
		return false
	}
	inv.completed = true
	inv.finishAt = time.Now()
	inv.resp, inv.fnErr, inv.errType, inv.status, inv.platform = resp, fnErr, errType, status, platform
	close(inv.done)
	return true
}

// pool holds one function's environments and enforces its concurrency.
type pool struct {
	s    *Service
	name string

	mu        sync.Mutex
	dep       *deployment // nil once removed
	idle      []*env      // LIFO: the most recently used environment is reused first
	envs      map[*env]struct{}
	busy      int // live non-idle environments: what counts against the limit
	finishing int // busy environments that already answered
	// finishWaiters are calls waiting for a finishing environment to turn
	// idle; each finishing environment is claimed by at most one.
	finishWaiters int
	queued        int // async events waiting for capacity
	waiters       int
	wake          chan struct{} // closed and replaced when capacity may have appeared
}

func newPool(s *Service, name string) *pool {
	return &pool{s: s, name: name, envs: make(map[*env]struct{}), wake: make(chan struct{})}
}

func (p *pool) notifyLocked() {
	if p.waiters > 0 {
		close(p.wake)
		p.wake = make(chan struct{})
	}
}

func (p *pool) stateLocked() telemetry.PoolState {
	limit := 0
	if p.dep != nil {
		limit = p.dep.limit
	}
	return telemetry.PoolState{At: telemetry.Now(), Function: p.name, Busy: p.busy, Idle: len(p.idle), Queued: p.queued, Limit: limit}
}

func (s *Service) takeAccountSlot() bool {
	for {
		cur := s.acctBusy.Load()
		if cur >= int64(s.opts.AccountConcurrency) {
			return false
		}
		if s.acctBusy.CompareAndSwap(cur, cur+1) {
			return true
		}
	}
}

// acquire finds an environment for inv: an idle one (warm), else a new one
// (cold) while under the function's limit and the account's. Over a limit
// a synchronous call is throttled, unless an environment is about to turn
// idle; an async one waits in the queue.
func (p *pool) acquire(ctx context.Context, inv *invocation) (e *env, cold bool, err error) {
	queued := false
	var finishDeadline time.Time
	defer func() {
		if queued {
			p.mu.Lock()
			p.queued--
			st := p.stateLocked()
			p.mu.Unlock()
			p.s.bus.Publish(st)
		}
	}()
	for {
		p.mu.Lock()
		dep := p.dep
		if dep == nil {
			p.mu.Unlock()
			return nil, false, errNotFound(p.s.opts.Identity, p.name, "")
		}
		if p.s.isClosing() {
			p.mu.Unlock()
			return nil, false, errService("The Lambda service is shutting down.")
		}
		var reason string
		finishWaiter := false
		switch {
		case len(p.idle) > 0 && p.busy < dep.limit:
			if !p.s.takeAccountSlot() {
				reason = ReasonAccount
				break
			}
			n := len(p.idle)
			e = p.idle[n-1]
			p.idle[n-1] = nil
			p.idle = p.idle[:n-1]
			e.state, e.cur = stAssigned, inv
			p.busy++
			st := p.stateLocked()
			p.mu.Unlock()
			p.s.bus.Publish(st)
			return e, false, nil
		case p.finishing > p.finishWaiters && (finishDeadline.IsZero() || time.Now().Before(finishDeadline)):
			// An environment has answered and is about to ask for its
			// next event: waiting for it beats a cold start (and is what
			// keeps a serial caller on one warm environment).
			finishWaiter = true
			if finishDeadline.IsZero() {
				finishDeadline = time.Now().Add(finishWait)
			}
		case p.busy >= dep.limit:
			reason = ReasonReserved
		case !p.s.takeAccountSlot():
			reason = ReasonAccount
		default:
			e = p.s.newEnv(p, dep)
			e.state, e.cur = stInit, inv
			p.busy++
			p.envs[e] = struct{}{}
			p.s.envWG.Add(1)
			st := p.stateLocked()
			p.mu.Unlock()
			p.s.bus.Publish(st)
			return e, true, nil
		}
		// Over a limit: a synchronous call is throttled, an async event
		// waits in the queue.
		if finishWaiter {
			p.finishWaiters++
		} else if !inv.async || dep.limit == 0 {
			// Reserved concurrency 0 also refuses async events: AWS sends
			// them to the DLQ or on-failure destination without retries.
			p.mu.Unlock()
			p.s.bus.Publish(telemetry.Throttled{At: telemetry.Now(), Function: p.name, RequestID: inv.id, Trigger: inv.trigger, Limit: dep.limit})
			return nil, false, errThrottled(reason)
		} else if !queued {
			queued = true
			p.queued++
			st := p.stateLocked()
			p.s.bus.Publish(telemetry.Throttled{At: telemetry.Now(), Function: p.name, RequestID: inv.id, Trigger: inv.trigger, Async: true, Limit: dep.limit})
			p.s.bus.Publish(st)
		}
		p.waiters++
		wake := p.wake
		p.mu.Unlock()
		// Capacity elsewhere in the account does not wake this pool, so
		// poll for it; within the pool the wake channel is exact.
		poll := time.NewTimer(50 * time.Millisecond)
		select {
		case <-wake:
		case <-poll.C:
		case <-ctx.Done():
		}
		poll.Stop()
		p.mu.Lock()
		p.waiters--
		if finishWaiter {
			p.finishWaiters--
		}
		p.mu.Unlock()
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
	}
}

// retireLocked takes e out of service; it reports whether e was live (the
// caller then kills it, outside the lock).
func (p *pool) retireLocked(e *env, reason string) bool {
	switch e.state {
	case stDead:
		return false
	case stIdle:
		for i, x := range p.idle {
			if x == e {
				copy(p.idle[i:], p.idle[i+1:])
				p.idle[len(p.idle)-1] = nil
				p.idle = p.idle[:len(p.idle)-1]
				break
			}
		}
	case stFinishing:
		p.finishing--
		fallthrough
	default:
		p.busy--
		p.s.acctBusy.Add(-1)
	}
	e.state = stDead
	e.reason = reason
	if e.idleTimer != nil {
		e.idleTimer.Stop()
	}
	p.notifyLocked()
	return true
}

func (p *pool) retireIdleLocked(reason string) []*env {
	stopped := append([]*env(nil), p.idle...)
	for _, e := range stopped {
		p.retireLocked(e, reason)
	}
	return stopped
}

// releaseLocked is called when a finishing environment asks for its next
// event: it becomes idle, or retires when its deployment is no longer
// current. It reports whether e was retired.
func (p *pool) releaseLocked(e *env) bool {
	if p.dep != e.dep || p.s.isClosing() {
		reason := "swap"
		switch {
		case p.s.isClosing():
			reason = "shutdown"
		case p.dep == nil:
			reason = "removed"
		}
		p.retireLocked(e, reason)
		return true
	}
	p.finishing--
	p.busy--
	p.s.acctBusy.Add(-1)
	e.state = stIdle
	e.cur = nil
	e.idleSince = time.Now()
	p.idle = append(p.idle, e)
	if e.idleTimer == nil {
		e.idleTimer = time.AfterFunc(p.s.opts.IdleTimeout, func() { p.idleExpired(e) })
	} else {
		e.idleTimer.Reset(p.s.opts.IdleTimeout)
	}
	p.notifyLocked()
	return false
}

func (p *pool) idleExpired(e *env) {
	p.mu.Lock()
	if e.state != stIdle || time.Since(e.idleSince) < p.s.opts.IdleTimeout {
		p.mu.Unlock()
		return
	}
	p.retireLocked(e, "idle")
	st := p.stateLocked()
	p.mu.Unlock()
	e.kill(true)
	p.s.bus.Publish(st)
}

func (s *Service) newEnv(p *pool, dep *deployment) *env {
	id := "env-" + strconv.FormatUint(s.envSeq.Add(1), 10)
	e := &env{
		id: id, s: s, p: p, dep: dep, first: true,
		work:    make(chan *invocation, 1),
		initLog: newLogBuf(maxInitLogBytes),
	}
	e.lw.emit = e.emit
	return e
}

// emit attributes one output line to the invocation being read, or to
// Init when there is none yet.
func (e *env) emit(line string) {
	inv := e.target.Load()
	reqID := ""
	if inv != nil {
		if !inv.logs.add(line) {
			return // over the limit: counted, not published
		}
		reqID = inv.id
	} else if !e.initLog.add(line) {
		return
	}
	e.s.bus.Publish(telemetry.LogLine{At: telemetry.Now(), Function: e.p.name, EnvID: e.id, RequestID: reqID, Line: line})
}

// start runs the environment through the executor. On failure the
// invocation it was started for completes with Runtime.InvalidEntrypoint.
func (e *env) start(ctx context.Context) {
	s := e.s
	s.envMu.Lock()
	s.envs[e.id] = e
	s.envMu.Unlock()
	e.spawn = time.Now()
	env := make([]string, 0, len(e.dep.environ)+2)
	env = append(env, e.dep.environ...)
	api := s.runtimeAddr + "/" + e.id
	env = append(env, "AWS_LAMBDA_RUNTIME_API="+api, "AWS_LAMBDA_LOG_STREAM_NAME="+logStreamName(e.spawn))
	h, err := s.executorFor(&e.dep.fn).Start(ctx, EnvSpec{
		Function: e.p.name, EnvID: e.id, Generation: e.dep.gen, Dir: e.dep.dir, Environ: env,
		MemoryMB: e.dep.memoryMB, RuntimeAPI: api, Image: e.dep.fn.Image, Output: &e.lw,
	})
	p := e.p
	p.mu.Lock()
	if err != nil {
		inv := e.cur
		p.retireLocked(e, "init-error")
		if inv != nil {
			inv.initDur = time.Since(e.spawn)
			inv.cold = true
			inv.completeLocked(platformError(errEntrypoint, "RequestId: "+inv.id+" Error: "+err.Error()), true, errEntrypoint, telemetry.StatusCrash, true)
		}
		delete(p.envs, e)
		st := p.stateLocked()
		p.mu.Unlock()
		s.forgetEnv(e)
		s.log.Warn("environment did not start", "function", p.name, "env", e.id, "err", err)
		s.bus.Publish(telemetry.EnvStopped{At: telemetry.Now(), Function: p.name, Generation: e.dep.gen, EnvID: e.id, Reason: "init-error"})
		s.bus.Publish(st)
		s.envWG.Done()
		return
	}
	e.h = h
	dead := e.state == stDead
	p.mu.Unlock()
	go e.watch()
	if dead {
		_ = h.Kill()
	}
}

func (s *Service) forgetEnv(e *env) {
	s.envMu.Lock()
	delete(s.envs, e.id)
	s.envMu.Unlock()
}

// watch waits for the environment to exit and cleans up after it. An exit
// the pool did not ask for fails the invocation in hand with
// Runtime.ExitError.
func (e *env) watch() {
	<-e.h.Done()
	s, p := e.s, e.p
	p.mu.Lock()
	if e.state != stDead {
		reason := "crash"
		if e.state == stInit {
			reason = "init-error"
		}
		p.retireLocked(e, reason)
	}
	// An invocation still in hand (an unexpected exit, or a shutdown)
	// fails with the exit status.
	if inv := e.cur; inv != nil && !inv.completed {
		msg := "Runtime exited without providing a reason"
		if err := e.h.Err(); err != nil {
			msg = "Runtime exited with error: " + err.Error()
		}
		if !inv.dispatched {
			inv.cold = true
			inv.initDur = time.Since(e.spawn)
		}
		inv.completeLocked(platformError(errExit, "RequestId: "+inv.id+" Error: "+msg), true, errExit, telemetry.StatusCrash, true)
	}
	delete(p.envs, e)
	reason := e.reason
	st := p.stateLocked()
	p.mu.Unlock()
	s.forgetEnv(e)
	s.bus.Publish(telemetry.EnvStopped{At: telemetry.Now(), Function: p.name, Generation: e.dep.gen, EnvID: e.id, Reason: reason})
	s.bus.Publish(st)
	s.envWG.Done()
}

// kill stops a retired environment. graceful sends SIGTERM first to a
// runtime that registered for shutdown, as Lambda does, and SIGKILL after
// shutdownGrace.
func (e *env) kill(graceful bool) {
	p := e.p
	p.mu.Lock()
	h := e.h
	p.mu.Unlock()
	if h == nil {
		return // start will kill it once the executor returns
	}
	if graceful && e.extension.Load() {
		_ = h.Terminate()
		t := time.AfterFunc(shutdownGrace, func() { _ = h.Kill() })
		go func() { <-h.Done(); t.Stop() }()
		return
	}
	_ = h.Kill()
}

// shutdownGrace is the wait between SIGTERM and SIGKILL for runtimes with
// an internal extension (Lambda allows internal extensions 500 ms).
const shutdownGrace = 500 * time.Millisecond
