package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// slsxBin is the binary under test, built once by TestMain.
var slsxBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "slsx-e2e")
	if err != nil {
		panic(err)
	}
	slsxBin = filepath.Join(dir, "slsx")
	out, err := exec.Command("go", "build", "-o", slsxBin, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// copyExample copies examples/hello into a temp dir so builds and data stay
// out of the repository.
func copyExample(t *testing.T) string {
	t.Helper()
	return copyDir(t, "../../examples/hello")
}

func TestVersionCommand(t *testing.T) {
	out, err := exec.Command(slsxBin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("version --json: %v: %s", err, out)
	}
	if v["go"] == "" || v["version"] == "" {
		t.Fatalf("version --json lacks fields: %s", out)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"invoke"}, {"dev", "extra-arg"}, {"serve", "--parameter-overrides", "Stage=qa"}, {"dev", "--runtime", "lxc"}, {"invoke", "hello", "--runtime", "lxc"}} {
		cmd := exec.Command(slsxBin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errorsAs(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("slsx %v: exit %v, want 2; stderr %s", args, err, stderr.String())
		}
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

func TestInvokeEndToEnd(t *testing.T) {
	dir := copyExample(t)
	cmd := exec.Command(slsxBin, "invoke", "hello", "--event", "-", "--json")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(`{"pathParameters":{"name":"e2e"}}`)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, stderrOf(err))
	}
	var res struct {
		RequestID string `json:"requestId"`
		Response  struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		} `json:"response"`
		Logs []string `json:"logs"`
		Cold bool     `json:"cold"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("invoke --json output: %v\n%s", err, out)
	}
	if res.Response.StatusCode != 200 || !strings.Contains(res.Response.Body, "hello, e2e") {
		t.Errorf("response = %+v", res.Response)
	}
	if !res.Cold || len(res.Logs) < 3 || !strings.HasPrefix(res.Logs[len(res.Logs)-1], "REPORT RequestId: "+res.RequestID) {
		t.Errorf("cold=%v logs=%q", res.Cold, res.Logs)
	}

	// A function error exits 1 and prints AWS's error document.
	if err := os.MkdirAll(filepath.Join(dir, "functions", "fail"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "functions", "fail", "main.go"), `package main

import (
	"errors"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() { lambda.Start(func() error { return errors.New("boom") }) }
`)
	appendFile(t, filepath.Join(dir, "slsx.yaml"), "\n  fail:\n    handler: ./functions/fail\n", "functions:")
	cmd = exec.Command(slsxBin, "invoke", "fail")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errorsAs(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("invoke fail: err %v, want exit 1; stderr %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"errorMessage":"boom"`) {
		t.Errorf("stdout = %s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "START RequestId:") {
		t.Errorf("stderr lacks the function log: %s", stderr.String())
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendFile inserts text right after the first line equal to after.
func appendFile(t *testing.T, path, text, after string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), after+"\n", after+text, 1)
	writeFile(t, path, s)
}

// devProcess is a running `slsx dev --no-tui` with its discovered URLs.
type devProcess struct {
	cmd    *exec.Cmd
	api    string
	aws    string
	output *lockedBuffer
	done   chan struct{}
}

// lockedBuffer is written by the output scanner while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	apiURLRe = regexp.MustCompile(`API default \([^)]*\) (http://\S+)`)
	awsURLRe = regexp.MustCompile(`AWS APIs \(DynamoDB, SNS, Lambda\): (http://\S+)`)
)

func startDev(t *testing.T, dir string, args ...string) *devProcess {
	t.Helper()
	cmd := exec.Command(slsxBin, append([]string{"dev", "--no-tui", "--port", "0", "--aws-port", "0"}, args...)...)
	cmd.Dir = dir
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &devProcess{cmd: cmd, output: &lockedBuffer{}, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			d.output.WriteString(line + "\n")
			if m := apiURLRe.FindStringSubmatch(line); m != nil {
				d.api = m[1]
			}
			if m := awsURLRe.FindStringSubmatch(line); m != nil {
				d.aws = m[1]
				close(ready)
			}
		}
	}()
	go func() { cmd.Wait(); pw.Close(); close(d.done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-d.done })
	select {
	case <-ready:
	case <-d.done:
		t.Fatalf("slsx dev exited early:\n%s\n%s", d.output, stderr)
	case <-time.After(3 * time.Minute):
		t.Fatalf("slsx dev not ready:\n%s\n%s", d.output, stderr)
	}
	return d
}

// stop sends SIGINT and waits for a clean exit.
func (d *devProcess) stop(t *testing.T) {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("slsx dev did not exit within 10s of SIGINT")
	}
}

func get(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDevEndToEnd(t *testing.T) {
	dir := copyExample(t)
	d := startDev(t, dir, "--in-memory")

	cases := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/hello", "", 200, `"hello, world"`},
		{"GET", "/hello/ada", "", 200, `"hello, ada"`},
		{"PUT", "/users/7", `{"name":"Grace"}`, 200, `"name":"Grace"`},
		{"GET", "/users/7", "", 200, `"name":"Grace"`},
		{"GET", "/users/8", "", 404, `no user 8`},
		{"GET", "/users", "", 200, `"id":"7"`},
		{"PUT", "/users/9", `not json`, 400, `body must be JSON`},
		{"GET", "/nowhere", "", 404, `{"message":"Not Found"}`},
	}
	for _, c := range cases {
		status, body := get(t, c.method, d.api+c.path, c.body)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s %s = %d %s; want %d containing %s", c.method, c.path, status, body, c.status, c.want)
		}
	}
	// The PUT published to SNS and wrote to a streamed table: notify runs twice.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && (!strings.Contains(d.output.String(), "sns:user-events") || !strings.Contains(d.output.String(), "ddb:users")) {
		time.Sleep(100 * time.Millisecond)
	}
	if out := d.output.String(); !strings.Contains(out, "sns:user-events") || !strings.Contains(out, "ddb:users") {
		t.Errorf("notify was not invoked by SNS and the stream:\n%s", out)
	}

	apiAddr := strings.TrimPrefix(d.api, "http://")
	awsAddr := strings.TrimPrefix(d.aws, "http://")
	d.stop(t)
	for _, addr := range []string{apiAddr, awsAddr} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still listening after SIGINT", addr)
		}
	}
	if left := processesUnder(t, dir); len(left) > 0 {
		t.Errorf("processes left running after SIGINT: %v", left)
	}
}

// processesUnder lists running processes whose executable lives under dir
// (the function environments slsx started).
func processesUnder(t *testing.T, dir string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var left []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if ctx.Err() != nil {
			break
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.HasPrefix(exe, dir) {
			left = append(left, e.Name()+" "+exe)
		}
	}
	return left
}
