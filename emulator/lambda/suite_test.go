package lambda_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/lambda/lambdatest"
)

// TestSuite runs the executor behaviour table on the process executor;
// emulator/lambda/docker runs the same table on containers.
func TestSuite(t *testing.T) {
	lambdatest.Run(t, lambdatest.Target{
		Name: "process",
		Setup: func(tb testing.TB, opts *lambda.Options) []net.Listener {
			opts.Executor = lambda.ProcessExecutor{}
			return nil
		},
		HandlerDir:       lambda.HandlerDir,
		Resources:        processes,
		MissingBootstrap: `fork/exec .*/does-not-exist/bootstrap: no such file or directory`,
	})
}

// processes counts the live processes of fn's environments in h: those
// whose environment names fn and h's Runtime API.
func processes(tb testing.TB, h *lambdatest.Harness, fn string) int {
	name := []byte("\x00AWS_LAMBDA_FUNCTION_NAME=" + fn + "\x00")
	api := []byte("\x00AWS_LAMBDA_RUNTIME_API=" + h.S.RuntimeAddr() + "/")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	n := 0
	for _, e := range entries {
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue // not a process, or gone
		}
		env = append(append([]byte{0}, env...), 0)
		if bytes.Contains(env, name) && bytes.Contains(env, api) {
			n++
		}
	}
	return n
}
