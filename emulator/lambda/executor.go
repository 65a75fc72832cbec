package lambda

import (
	"context"
	"io"
)

// Executor runs execution environments. The pool drives every executor the
// same way: Start one environment per cold start, watch Done, read output
// through EnvSpec.Output, Kill on timeout, idle reclaim, swap or shutdown.
// An executor knows nothing about invocations; the environment talks to the
// Runtime API at EnvSpec.RuntimeAPI on its own.
//
// A Docker executor implements this by running one container per
// environment with EnvSpec.Dir mounted read-only at /var/task, EnvSpec.Environ
// as its environment (rewriting AWS_LAMBDA_RUNTIME_API to an address the
// container can reach), a memory limit of EnvSpec.MemoryMB, and the
// container's stdout and stderr copied to EnvSpec.Output.
type Executor interface {
	// Name is shown in the dashboard: "process", "docker".
	Name() string
	// Start launches an environment and returns once it is running (not
	// once it has initialised: the pool learns that from the first
	// GET /next). ctx bounds the start itself, not the environment's life.
	Start(ctx context.Context, spec EnvSpec) (Env, error)
}

// EnvSpec is everything an executor needs to run one environment.
type EnvSpec struct {
	Function   string
	EnvID      string
	Generation int
	// Dir is the artifact directory holding the bootstrap executable; it is
	// the working directory and LAMBDA_TASK_ROOT in process mode.
	Dir string
	// Environ is the complete environment as KEY=VALUE, including
	// AWS_LAMBDA_RUNTIME_API.
	Environ  []string
	MemoryMB int
	// RuntimeAPI is host:port/prefix of this environment's Runtime API.
	RuntimeAPI string
	// Image is the container image for container executors; "" = default.
	Image string
	// Output receives the environment's stdout and stderr, in the order
	// they were written. The executor calls Write from one goroutine at a
	// time.
	Output io.Writer
}

// Env is one running execution environment.
type Env interface {
	// Done is closed when the environment has exited.
	Done() <-chan struct{}
	// Err reports how it exited once Done is closed, in Go's ProcessState
	// words: "exit status 3", "signal: killed". nil means a clean exit.
	Err() error
	// Kill stops the environment at once (SIGKILL to the process group).
	Kill() error
	// Terminate asks the environment to stop (SIGTERM); used before Kill for
	// runtimes that registered for shutdown events.
	Terminate() error
	// MaxMemoryMB is the environment's peak resident memory so far, 0 when
	// unknown.
	MaxMemoryMB() int
	// SyncOutput returns once everything the environment wrote before the
	// call has been handed to EnvSpec.Output, so that an invocation's log
	// is complete when the invocation is reported.
	SyncOutput()
}
