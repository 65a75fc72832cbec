package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/lambda/docker"
	"github.com/slsx/slsx/watch"
)

// executorSetup is the container executor, when a function runs in docker,
// with the addresses its environments need to reach slsx.
type executorSetup struct {
	executor      lambda.Executor // nil means the Lambda service's default (process)
	runtimeHost   string          // Runtime API listen address; "" = 127.0.0.1:0
	extraEdgeHost string          // also serve the AWS edge here (docker bridge)
	close         func()
}

// executors is the executor map for lambda.Options.Executors: functions
// whose Runtime is "docker" run in containers, the others as processes.
func (e executorSetup) executors() map[string]lambda.Executor {
	if e.executor == nil {
		return nil
	}
	return map[string]lambda.Executor{"docker": e.executor}
}

// checkRuntimeFlag rejects a --runtime other than process or docker.
func checkRuntimeFlag(flag string) error {
	switch flag {
	case "", "process", "docker":
		return nil
	}
	return usageError{fmt.Errorf("--runtime %q: use process or docker", flag)}
}

// resolveRuntimes gives every function of p its effective runtime: the
// --runtime flag when set, else its own, else the project's.
func resolveRuntimes(p *config.Project, flag string) {
	for _, fn := range p.Functions {
		switch {
		case flag != "":
			fn.Runtime = flag
		case fn.Runtime == "":
			fn.Runtime = p.Runtime
		}
		if fn.Runtime == "" {
			fn.Runtime = "process"
		}
	}
}

func usesDocker(p *config.Project) bool {
	for _, fn := range p.Functions {
		if fn.Runtime == "docker" {
			return true
		}
	}
	return false
}

// runtimesLabel names the runtimes p's functions use, for the dashboard.
func runtimesLabel(p *config.Project) string {
	seen := map[string]bool{}
	for _, fn := range p.Functions {
		seen[fn.Runtime] = true
	}
	switch {
	case seen["docker"] && seen["process"]:
		return "process+docker"
	case seen["docker"]:
		return "docker"
	}
	return "process"
}

// buildTarget builds functions that run in containers for Linux on their
// architecture, and the others for this machine.
func buildTarget(fn *config.Function) string {
	if fn.Runtime == "docker" {
		return watch.LambdaTarget(fn)
	}
	return watch.HostTarget(fn)
}

func newExecutor(ctx context.Context, runtime string, log *slog.Logger) (executorSetup, error) {
	switch runtime {
	case "", "process":
		return executorSetup{close: func() {}}, nil
	case "docker":
		instance := "slsx-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().Unix(), 36)
		x, err := docker.New(ctx, docker.Options{Instance: instance, Logger: log})
		if err != nil {
			if errors.Is(err, docker.ErrUnavailable) {
				return executorSetup{}, exitError{code: exitUsage, msg: err.Error()}
			}
			return executorSetup{}, fmt.Errorf("start docker executor: %w", err)
		}
		// At the first Ctrl-C, containers still starting are abandoned:
		// the shutdown then stops environments instead of waiting for the
		// daemon to start containers one after another.
		context.AfterFunc(ctx, x.Interrupt)
		// Containers left by an slsx that was killed are removed now.
		if err := x.Cleanup(ctx, ""); err != nil {
			log.Warn("remove leftover containers", "err", err)
		}
		return executorSetup{
			executor:      x,
			runtimeHost:   net.JoinHostPort(x.HostIP(), "0"),
			extraEdgeHost: x.HostIP(),
			close: func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				x.Close(ctx)
			},
		}, nil
	default:
		return executorSetup{}, usageError{fmt.Errorf("--runtime %q: use process or docker", runtime)}
	}
}
