package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// reloadWait bounds every wait for a reload to become visible. It is a
// correctness bound (the change must arrive at all), not a timing check.
const reloadWait = 60 * time.Second

// The fixture's sources, rewritten by the test. handlerVersion and
// shared.Version end up in the api function's response body.
const reloadHandler = `package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"example.com/reload/shared"
)

// handlerVersion is rewritten by the test on every edit.
const handlerVersion = "%s"

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if d, err := time.ParseDuration(req.QueryStringParameters["sleep"]); err == nil {
		time.Sleep(d) // a slow request, still running when its code is swapped
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: handlerVersion + " " + shared.Version}, nil
}

func main() { lambda.Start(handle) }
`

// reloadBrokenLine is the line of reloadBroken holding the syntax error.
const reloadBrokenLine = 19

const reloadBroken = `package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"example.com/reload/shared"
)

const handlerVersion = "broken"

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if d, err := time.ParseDuration(req.QueryStringParameters["sleep"]); err == nil {
		time.Sleep(d) // a slow request, still running when its code is swapped
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: handlerVersion + " " + shared.Version}, nil)
}

func main() { lambda.Start(handle) }
`

const reloadShared = `// Package shared is imported by the api function only.
package shared

// Version names the shared code's revision.
const Version = "%s"
`

// copyFixture copies testdata/<name> into a temp dir.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	return copyDir(t, filepath.Join("testdata", name))
}

// saveAtomic writes a file the way editors do: a temporary beside it, then
// a rename over it.
func saveAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp"+strconv.Itoa(os.Getpid()))
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is the dev process's output, read while it is being written.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) write(line string) {
	s.mu.Lock()
	s.b.WriteString(line)
	s.b.WriteByte('\n')
	s.mu.Unlock()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

// since returns the output written after offset.
func (s *syncBuffer) since(offset int) string { return s.String()[offset:] }

// liveDev is a running `slsx dev` whose stdout and stderr can be read
// while it runs (startDev's buffer is not safe for that).
type liveDev struct {
	cmd    *exec.Cmd
	api    string
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
}

func startLiveDev(t *testing.T, dir string, args ...string) *liveDev {
	t.Helper()
	cmd := exec.Command(slsxBin, append([]string{"dev", "--no-tui", "--port", "0", "--aws-port", "0", "--in-memory"}, args...)...)
	cmd.Dir = dir
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	cmd.Stdout, cmd.Stderr = outW, errW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &liveDev{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(outR)
		readyClosed := false
		for sc.Scan() {
			line := sc.Text()
			if m := apiURLRe.FindStringSubmatch(line); m != nil {
				d.api = m[1]
			}
			d.stdout.write(line)
			if !readyClosed && awsURLRe.MatchString(line) {
				readyClosed = true
				close(ready)
			}
		}
	}()
	go func() {
		sc := bufio.NewScanner(errR)
		for sc.Scan() {
			d.stderr.write(sc.Text())
		}
	}()
	go func() { cmd.Wait(); outW.Close(); errW.Close(); close(d.done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-d.done })
	select {
	case <-ready:
	case <-d.done:
		t.Fatalf("slsx dev exited early:\n%s\n%s", d.stdout, d.stderr)
	case <-time.After(3 * time.Minute):
		t.Fatalf("slsx dev not ready:\n%s\n%s", d.stdout, d.stderr)
	}
	return d
}

// traffic records every request the test makes while slsx reloads.
type traffic struct {
	client *http.Client
	api    string
	rank   func(body string) (int, bool) // the order of /version bodies

	ok       atomic.Int64
	mu       sync.Mutex
	failures []string // connection errors, non-2xx, unknown or regressed bodies
}

// get makes one request; a connection error is recorded as a failure.
func (tr *traffic) get(path string) (status int, body string, err error) {
	resp, err := tr.client.Get(tr.api + path)
	if err != nil {
		tr.fail("GET %s: connection error: %v", path, err)
		return 0, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		tr.fail("GET %s: reading body: %v", path, err)
		return 0, "", err
	}
	body = string(b)
	return resp.StatusCode, body, nil
}

// check records a response that must be 2xx with a known body; last is
// the rank of the newest /version body this client has seen, which must
// never go back.
func (tr *traffic) check(path string, status int, body string, last *int) {
	if status < 200 || status > 299 {
		tr.fail("GET %s = %d %s", path, status, body)
		return
	}
	if strings.HasPrefix(path, "/version") {
		r, ok := tr.rank(body)
		switch {
		case !ok:
			tr.fail("GET /version = %q, not a version this test wrote", body)
			return
		case r < *last:
			tr.fail("GET /version = %q after a newer version had been served", body)
			return
		}
		*last = r
	}
	tr.ok.Add(1)
}

func (tr *traffic) fail(format string, args ...any) {
	tr.mu.Lock()
	if len(tr.failures) < 50 {
		tr.failures = append(tr.failures, time.Now().Format(logTime)+" "+fmt.Sprintf(format, args...))
	}
	tr.mu.Unlock()
}

func (tr *traffic) failed() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.failures...)
}

// load runs one client goroutine until stop closes: /version, half of
// those slow enough to be in flight during a swap, and every fourth
// request /other.
func (tr *traffic) load(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	last := 0
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		path := "/version"
		switch n % 4 {
		case 1:
			path = "/version?sleep=20ms"
		case 3:
			path = "/other"
		}
		if status, body, err := tr.get(path); err == nil {
			tr.check(path, status, body, &last)
		}
	}
}

// waitServing polls path until it answers want, recording every response
// on the way as the load goroutines do.
func (tr *traffic) waitServing(t *testing.T, d *liveDev, path, want string, last *int) {
	t.Helper()
	tr.wait(t, d, path, want, last, false)
}

// waitRoute polls a route being added until it answers want; the API's 404
// before the project reloads is expected, connection errors are not.
func (tr *traffic) waitRoute(t *testing.T, d *liveDev, path, want string, last *int) {
	t.Helper()
	tr.wait(t, d, path, want, last, true)
}

func (tr *traffic) wait(t *testing.T, d *liveDev, path, want string, last *int, notFoundOK bool) {
	t.Helper()
	deadline := time.Now().Add(reloadWait)
	for {
		status, body, err := tr.get(path)
		if err == nil {
			if !notFoundOK || status != http.StatusNotFound || body != `{"message":"Not Found"}` {
				tr.check(path, status, body, last)
			}
			if status == 200 && body == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s still %d %q after %s, want %q\nslsx output:\n%s\nstderr:\n%s", path, status, body, reloadWait, want, d.stdout, d.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitOutput waits until the dev output after offset matches re.
func waitOutput(t *testing.T, d *liveDev, offset int, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(reloadWait)
	for {
		out := d.stdout.since(offset)
		if re.MatchString(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("slsx output never matched %q:\n%s\nstderr:\n%s", re, out, d.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	buildStartRe = regexp.MustCompile(`(?m)^\S+ build\s+\S+ \(generation \d+\)`)
	buildEndRe   = regexp.MustCompile(`(?m)^\S+ build\s+\S+ (ok in|FAILED)`)
)

// waitBuildsIdle waits until every build the dev output shows started has
// finished, and none started for a while: a save that arrives while a
// build runs is built again after it, so without this barrier the next
// edit's build may be the leftover one (reason "change").
func waitBuildsIdle(t *testing.T, d *liveDev) {
	t.Helper()
	deadline := time.Now().Add(reloadWait)
	stable := 0
	for stable < 10 {
		out := d.stdout.String()
		if len(buildStartRe.FindAllStringIndex(out, -1)) == len(buildEndRe.FindAllStringIndex(out, -1)) {
			stable++
		} else {
			stable = 0
		}
		if time.Now().After(deadline) {
			t.Fatalf("builds still running after %s:\n%s", reloadWait, out)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// TestDevHotReloadUnderLoad edits a running project in every way a user
// does (handler, broken handler, shared package, slsx.yaml) while four
// clients keep requesting, and requires that not one request fails.
func TestDevHotReloadUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go project a dozen times")
	}
	dir := copyFixture(t, "reload")
	handlerPath := filepath.Join(dir, "functions", "api", "main.go")
	sharedPath := filepath.Join(dir, "shared", "version.go")
	yamlPath := filepath.Join(dir, "slsx.yaml")
	origYAML, err := os.ReadFile(yamlPath)
	if err != nil {
		t.Fatal(err)
	}

	// Every body /version may answer, in the order the edits make them:
	// handler versions h0..h14 with shared s0, then h14 with s1.
	const edits, burst = 10, 3
	fixed := edits + burst + 1
	ranks := map[string]int{}
	for i := 0; i <= fixed; i++ {
		ranks[fmt.Sprintf("h%d s0", i)] = i
	}
	ranks[fmt.Sprintf("h%d s1", fixed)] = fixed + 1
	version := func(h int, s string) string { return fmt.Sprintf("h%d %s", h, s) }
	handler := func(h int) string { return fmt.Sprintf(reloadHandler, fmt.Sprintf("h%d", h)) }

	if src, err := os.ReadFile(handlerPath); err != nil || string(src) != handler(0) {
		t.Fatalf("testdata/reload/functions/api/main.go differs from reloadHandler with h0 (%v)", err)
	}

	d := startLiveDev(t, dir)
	tr := &traffic{
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
		api:    d.api,
		rank:   func(b string) (int, bool) { r, ok := ranks[b]; return r, ok },
	}
	last := 0
	tr.waitServing(t, d, "/version", "h0 s0", &last)
	startOffset := d.stdout.Len()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go tr.load(stop, &wg)
	}
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoad()

	// 1. Ten handler edits, each served once it built.
	for i := 1; i <= edits; i++ {
		saveAtomic(t, handlerPath, handler(i))
		tr.waitServing(t, d, "/version", version(i, "s0"), &last)
	}
	t.Logf("%d handler edits served; %d requests so far", edits, tr.ok.Load())

	// 2. A burst of saves, each while the previous one builds: the last
	// one wins, and no older version is served after a newer one.
	for i := edits + 1; i <= edits+burst; i++ {
		saveAtomic(t, handlerPath, handler(i))
		time.Sleep(150 * time.Millisecond)
	}
	tr.waitServing(t, d, "/version", version(edits+burst, "s0"), &last)

	// 3. A syntax error: the compiler's file:line shows, the old code
	// keeps serving; then a fix recovers.
	serving := version(edits+burst, "s0")
	waitBuildsIdle(t, d) // the burst's leftover build must not take the broken save
	off := d.stdout.Len()
	saveAtomic(t, handlerPath, reloadBroken)
	out := waitOutput(t, d, off, regexp.MustCompile(`build\s+api FAILED`))
	errLine := regexp.MustCompile(`functions/api/main\.go:` + strconv.Itoa(reloadBrokenLine) + `:\d+: syntax error`)
	if !errLine.MatchString(out) {
		t.Errorf("the failed build's output lacks main.go:%d: syntax error:\n%s", reloadBrokenLine, out)
	}
	before := tr.ok.Load()
	for tr.ok.Load() < before+100 && len(tr.failed()) == 0 {
		status, body, err := tr.get("/version")
		if err != nil {
			continue
		}
		tr.check("/version", status, body, &last)
		if body != serving {
			t.Errorf("after a failed build GET /version = %d %q, want the previous code's %q", status, body, serving)
			break
		}
	}
	if out := d.stdout.since(off); strings.Contains(out, "swap    api") {
		t.Errorf("a failed build was swapped in:\n%s", out)
	}
	saveAtomic(t, handlerPath, handler(fixed))
	tr.waitServing(t, d, "/version", version(fixed, "s0"), &last)

	// 4. An edit of the shared package rebuilds api, which imports it,
	// and not other.
	waitBuildsIdle(t, d)
	off = d.stdout.Len()
	saveAtomic(t, sharedPath, fmt.Sprintf(reloadShared, "s1"))
	tr.waitServing(t, d, "/version", version(fixed, "s1"), &last)
	out = waitOutput(t, d, off, regexp.MustCompile(`swap\s+api generation`))
	if !regexp.MustCompile(`build\s+api \(generation \d+\): shared/version\.go`).MatchString(out) {
		t.Errorf("no build of api for the shared package's change:\n%s", out)
	}

	// 5. A route added to slsx.yaml appears without a restart.
	if status, body, err := tr.get("/other/extra"); err != nil || status != 404 {
		t.Fatalf("GET /other/extra before it was declared = %d %s %v, want 404", status, body, err)
	}
	off = d.stdout.Len()
	withRoute := strings.Replace(string(origYAML), "      - http: GET /other\n", "      - http: GET /other\n      - http: GET /other/extra\n", 1)
	if withRoute == string(origYAML) {
		t.Fatal("fixture slsx.yaml has no GET /other route to extend")
	}
	saveAtomic(t, yamlPath, withRoute)
	tr.waitRoute(t, d, "/other/extra", "other", &last)
	waitOutput(t, d, off, regexp.MustCompile(`project reloaded`))

	// 6. An invalid slsx.yaml is reported and changes nothing.
	off = d.stdout.Len()
	saveAtomic(t, yamlPath, withRoute+"\n  broken: [unclosed\n")
	notReloaded := regexp.MustCompile(`project not reloaded; still serving the previous version:\n\s+(\S.*)`)
	out = waitOutput(t, d, off, notReloaded)
	t.Logf("invalid slsx.yaml reported as: %s", notReloaded.FindStringSubmatch(out)[1])
	for _, path := range []string{"/other/extra", "/other"} {
		if status, body, err := tr.get(path); err == nil {
			tr.check(path, status, body, &last)
			if body != "other" {
				t.Errorf("with an invalid slsx.yaml GET %s = %d %q, want the previous project's answer", path, status, body)
			}
		}
	}
	tr.waitServing(t, d, "/version", version(fixed, "s1"), &last)
	off = d.stdout.Len()
	saveAtomic(t, yamlPath, withRoute)
	waitOutput(t, d, off, regexp.MustCompile(`project reloaded`))
	tr.waitServing(t, d, "/other/extra", "other", &last)

	stopLoad()
	total := tr.ok.Load()
	if f := tr.failed(); len(f) > 0 {
		t.Errorf("%d requests succeeded, but these failed:\n%s\nslsx output:\n%s\nstderr:\n%s", total, strings.Join(f, "\n"), d.stdout, d.stderr)
	}
	if total < 200 {
		t.Errorf("only %d requests made during the reloads: the load did not run", total)
	}
	// other imports nothing that changed: it was built once, at start-up.
	if m := regexp.MustCompile(`build\s+other .*`).FindAllString(d.stdout.since(startOffset), -1); len(m) > 0 {
		t.Errorf("other was rebuilt though none of its packages changed: %q", m)
	}
	var timeline []string
	for _, l := range strings.Split(d.stdout.since(startOffset), "\n") {
		if f := strings.Fields(l); len(f) > 1 && (f[1] == "build" || f[1] == "swap" || f[1] == "change" || f[1] == "project") {
			timeline = append(timeline, l)
		}
	}
	t.Logf("reload timeline:\n%s", strings.Join(timeline, "\n"))
	t.Logf("%d requests succeeded across %d handler edits, a broken build, a shared-package edit and three slsx.yaml saves", total, fixed)
	d.stop(t)
}

// stop sends SIGINT and waits for a clean exit.
func (d *liveDev) stop(t *testing.T) {
	t.Helper()
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("slsx dev did not exit within 10s of SIGINT")
	}
}
