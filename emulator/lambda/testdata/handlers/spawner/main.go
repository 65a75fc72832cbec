// spawner starts a long-lived child process and returns its pid, to show
// that stopping an environment takes the whole process group.
package main

import (
	"os/exec"

	"github.com/aws/aws-lambda-go/lambda"
)

func handler() (int, error) {
	cmd := exec.Command("sleep", "3600")
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	return cmd.Process.Pid, nil
}

func main() { lambda.Start(handler) }
