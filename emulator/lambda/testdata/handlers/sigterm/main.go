// sigterm registers for shutdown (lambda.WithEnableSIGTERM) and says so
// when the environment is stopped.
package main

import (
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.StartWithOptions(func() (string, error) { return "ok", nil },
		lambda.WithEnableSIGTERM(func() { fmt.Println("graceful shutdown") }))
}
