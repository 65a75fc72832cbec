// sleep never finishes within any reasonable timeout.
package main

import (
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func handler() (string, error) {
	fmt.Println("sleeping")
	time.Sleep(time.Hour)
	return "", nil
}

func main() { lambda.Start(handler) }
