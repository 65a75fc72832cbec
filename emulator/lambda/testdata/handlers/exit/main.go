// exit leaves the process in the middle of an invocation.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func handler() (string, error) {
	fmt.Println("about to exit")
	os.Exit(3)
	return "", nil
}

func main() { lambda.Start(handler) }
