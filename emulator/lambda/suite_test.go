package lambda_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/lambda/lambdatest"
)

// processTarget is the process executor under the lambdatest harness.
var processTarget = lambdatest.Target{
	Name: "process",
	Setup: func(tb testing.TB, opts *lambda.Options) []net.Listener {
		opts.Executor = lambda.ProcessExecutor{}
		return nil
	},
	HandlerDir:       lambda.HandlerDir,
	Resources:        processes,
	MissingBootstrap: `fork/exec .*/does-not-exist/bootstrap: no such file or directory`,
}

// TestSuite runs the executor behaviour table on the process executor;
// emulator/lambda/docker runs the same table on containers.
func TestSuite(t *testing.T) {
	lambdatest.Run(t, processTarget)
}

// processes counts the live processes of fn's environments in h.
func processes(tb testing.TB, h *lambdatest.Harness, fn string) int {
	return len(environmentPids(tb, h, fn))
}

// environmentPids lists the live processes of fn's environments in h:
// those whose environment names fn and h's Runtime API (children a
// handler spawned inherit it, and count too).
func environmentPids(tb testing.TB, h *lambdatest.Harness, fn string) []int {
	name := []byte("\x00AWS_LAMBDA_FUNCTION_NAME=" + fn + "\x00")
	api := []byte("\x00AWS_LAMBDA_RUNTIME_API=" + h.S.RuntimeAddr() + "/")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // not a process
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue // gone
		}
		env = append(append([]byte{0}, env...), 0)
		if bytes.Contains(env, name) && bytes.Contains(env, api) {
			pids = append(pids, pid)
		}
	}
	return pids
}
