package docker

import (
	"testing"

	"github.com/slsx/slsx/emulator/lambda/lambdatest"
)

// TestSuite runs the executor behaviour table of emulator/lambda (the same
// cases the process executor passes) on containers.
func TestSuite(t *testing.T) {
	lambdatest.Run(t, dockerTarget())
}
