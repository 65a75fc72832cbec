package lambda

import (
	"bytes"
	"io"
	"os"
	"strconv"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }

func itoa(i int) string { return strconv.Itoa(i) }
