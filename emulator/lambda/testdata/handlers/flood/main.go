// flood writes {"mb":N} megabytes (default 100) of output, then answers.
package main

import (
	"bufio"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

type in struct {
	MB int `json:"mb"`
}

func handler(ev in) (string, error) {
	mb := ev.MB
	if mb == 0 {
		mb = 100
	}
	line := strings.Repeat("flood ", 170) + "\n" // ~1 KiB
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	for i := 0; i < mb*1024; i++ {
		w.WriteString(line)
	}
	w.Flush()
	return "done", nil
}

func main() { lambda.Start(handler) }
