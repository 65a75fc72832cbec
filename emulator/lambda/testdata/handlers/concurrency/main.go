// concurrency sleeps {"ms":N} and reports which environment served it.
package main

import (
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type in struct {
	Ms int `json:"ms"`
}

type out struct {
	Pid    int    `json:"pid"`
	Stream string `json:"stream"`
}

func handler(ev in) (out, error) {
	time.Sleep(time.Duration(ev.Ms) * time.Millisecond)
	return out{Pid: os.Getpid(), Stream: os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME")}, nil
}

func main() { lambda.Start(handler) }
