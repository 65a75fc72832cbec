package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/slsx/slsx/emulator/lambda/docker"
)

// dockerRuns is the Docker side of the `slsx dev --runtime docker` tests:
// it lists the containers of the slsx processes a test started (by their
// slsx.pid label) and removes whatever they left when the test ends, pass
// or fail.
type dockerRuns struct {
	t      *testing.T
	cli    *client.Client
	bridge string // the address containers reach slsx on

	mu   sync.Mutex
	pids []int
}

// newDockerRuns connects to Docker the way slsx does, or skips the test
// when Docker is unreachable (fails when SLSX_REQUIRE_DOCKER=1). Register
// it before starting slsx: its cleanup then runs after slsx is killed.
func newDockerRuns(t *testing.T) *dockerRuns {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x, err := docker.New(ctx, docker.Options{Instance: "e2e-" + strconv.Itoa(os.Getpid())})
	if err != nil {
		if errors.Is(err, docker.ErrUnavailable) && os.Getenv("SLSX_REQUIRE_DOCKER") != "1" {
			t.Skipf("docker: %v", err)
		}
		t.Fatal(err)
	}
	r := &dockerRuns{t: t, cli: x.Client(), bridge: x.HostIP()}
	t.Cleanup(func() {
		r.mu.Lock()
		pids := r.pids
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, pid := range pids {
			for _, c := range r.list(pid) {
				_ = r.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
			}
		}
		x.Close(ctx)
	})
	return r
}

// track records an slsx process whose containers the test owns.
func (r *dockerRuns) track(pid int) {
	r.mu.Lock()
	r.pids = append(r.pids, pid)
	r.mu.Unlock()
}

// list returns the containers (running or not) the slsx process pid
// started, with more label filters ("slsx.function=hello").
func (r *dockerRuns) list(pid int, labels ...string) []container.Summary {
	r.t.Helper()
	args := filters.NewArgs(filters.Arg("label", docker.LabelManaged+"=true"), filters.Arg("label", docker.LabelPID+"="+strconv.Itoa(pid)))
	for _, l := range labels {
		args.Add("label", l)
	}
	list, err := r.cli.ContainerList(context.Background(), container.ListOptions{All: true, Filters: args})
	if err != nil {
		r.t.Fatal(err)
	}
	return list
}

// functions summarises containers as sorted "function/generation state".
func functions(list []container.Summary) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.Labels[docker.LabelFunction]+"/"+c.Labels["slsx.generation"]+" "+c.State)
	}
	sort.Strings(out)
	return out
}

// startDockerDev starts `slsx dev --runtime docker` on dir and tracks its
// containers.
func startDockerDev(t *testing.T, r *dockerRuns, dir string) *liveDev {
	t.Helper()
	d := startLiveDev(t, dir, "--runtime", "docker")
	r.track(d.cmd.Process.Pid)
	return d
}

// stopClean sends SIGINT to d and checks that it exits cleanly (no forced
// exit) leaving none of its containers behind.
func (r *dockerRuns) stopClean(t *testing.T, d *liveDev) {
	t.Helper()
	stopped := time.Now()
	d.stop(t)
	t.Logf("shutdown took %v", time.Since(stopped))
	if code := d.cmd.ProcessState.ExitCode(); code != 0 || strings.Contains(d.stderr.String(), "forced exit") {
		t.Errorf("exit code %d after SIGINT, want a clean exit:\n%s", code, d.stderr)
	}
	if left := r.list(d.cmd.Process.Pid); len(left) > 0 {
		t.Errorf("containers left after SIGINT: %v", functions(left))
	}
}

// awsURL is the AWS edge URL the dev banner printed.
func (d *liveDev) awsURL(t *testing.T) string {
	t.Helper()
	m := awsURLRe.FindStringSubmatch(d.stdout.String())
	if m == nil {
		t.Fatalf("no AWS URL in the banner:\n%s", d.stdout)
	}
	return m[1]
}

var runtimeAPIRe = regexp.MustCompile(`^AWS_LAMBDA_RUNTIME_API=([^/]+)/`)

// TestDevDockerEndToEnd runs the example project with every function in a
// container: API routes, handlers calling DynamoDB and SNS from inside
// their containers through the edge on the bridge, the stream and SNS
// triggers, a hot reload that replaces the containers, and a SIGINT that
// removes them all and frees every port.
func TestDevDockerEndToEnd(t *testing.T) {
	r := newDockerRuns(t)
	dir := copyExample(t)
	d := startDockerDev(t, r, dir)
	pid := d.cmd.Process.Pid
	awsURL := d.awsURL(t)

	cases := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/hello", "", 200, `"hello, world"`},
		{"GET", "/hello/ada", "", 200, `"hello, ada"`},
		// users writes the table and publishes to the topic with the AWS
		// SDK, from inside its container.
		{"PUT", "/users/7", `{"name":"Grace"}`, 200, `{"id":"7","name":"Grace"}`},
		{"GET", "/users/7", "", 200, `"name":"Grace"`},
		{"GET", "/users/8", "", 404, `no user 8`},
		{"GET", "/users", "", 200, `"id":"7"`},
		{"PUT", "/users/9", `not json`, 400, `body must be JSON`},
	}
	for _, c := range cases {
		status, body := get(t, c.method, d.api+c.path, c.body)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s %s = %d %s; want %d containing %s", c.method, c.path, status, body, c.status, c.want)
		}
	}
	// The PUT published to SNS and wrote to a streamed table: notify runs
	// for both, in its own containers.
	waitOutput(t, d, 0, regexp.MustCompile(`(?s)sns:user-events\s+notify\s+ok.*user saved \{"id":"7","name":"Grace"\}`))
	waitOutput(t, d, 0, regexp.MustCompile(`(?s)ddb:users\s+notify\s+ok.*stream INSERT .*keys=map\[id:7\]`))

	// Every environment is a container of this slsx, reaching the edge
	// through the host alias at the edge's port.
	list := r.list(pid)
	seen := map[string]bool{}
	runtimeAddrs := map[string]bool{}
	for _, c := range list {
		seen[c.Labels[docker.LabelFunction]] = true
		ins, err := r.cli.ContainerInspect(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(awsURL)
		want := "AWS_ENDPOINT_URL=http://" + docker.DefaultHostAlias + ":" + u.Port()
		if !containsString(ins.Config.Env, want) {
			t.Errorf("container %.12s (%s) env lacks %s: %q", c.ID, c.Labels[docker.LabelFunction], want, ins.Config.Env)
		}
		for _, kv := range ins.Config.Env {
			if m := runtimeAPIRe.FindStringSubmatch(kv); m != nil {
				runtimeAddrs[m[1]] = true
			}
		}
	}
	for _, fn := range []string{"hello", "users", "notify"} {
		if !seen[fn] {
			t.Errorf("no container for %s: %v", fn, functions(list))
		}
	}

	// Edit the hello handler (an editor's atomic save): new containers
	// serve the new code, generation 1's containers are removed.
	src := filepath.Join(dir, "functions", "hello", "main.go")
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	saveAtomic(t, src, strings.Replace(string(code), `"hello, " + name`, `"howdy, " + name`, 1))
	deadline := time.Now().Add(reloadWait)
	for {
		status, body := get(t, "GET", d.api+"/hello/ada", "")
		if status == 200 && strings.Contains(body, `"howdy, ada"`) {
			break
		}
		if status != 200 || !strings.Contains(body, `"hello, ada"`) {
			t.Fatalf("during the reload: %d %s", status, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edit never served:\n%s\nstderr:\n%s", d.stdout, d.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitFor(t, "generation 1 hello containers to be removed", func() bool {
		return len(r.list(pid, docker.LabelFunction+"=hello", "slsx.generation=1")) == 0
	})
	if got := functions(r.list(pid, docker.LabelFunction+"=hello")); len(got) != 1 || got[0] != "hello/2 running" {
		t.Errorf("hello containers after the edit: %v, want [hello/2 running]", got)
	}
	// The other functions' containers were not touched.
	if got := r.list(pid, docker.LabelFunction+"=users", "slsx.generation=1"); len(got) == 0 {
		t.Error("users lost its container on an edit of hello")
	}

	// SIGINT: every container goes, every port closes.
	if left := r.list(pid); len(left) == 0 {
		t.Fatal("no containers before SIGINT")
	}
	r.stopClean(t, d)
	u, _ := url.Parse(awsURL)
	addrs := []string{strings.TrimPrefix(d.api, "http://"), u.Host, net.JoinHostPort(r.bridge, u.Port())}
	for a := range runtimeAddrs {
		addrs = append(addrs, a)
	}
	if len(runtimeAddrs) == 0 {
		t.Error("no AWS_LAMBDA_RUNTIME_API in the containers' environment")
	}
	for _, addr := range addrs {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still listening after SIGINT", addr)
		}
	}
}

// TestDevDockerRemovesLeftovers: an slsx killed with SIGKILL leaves its
// containers; the next slsx dev removes them as it starts.
func TestDevDockerRemovesLeftovers(t *testing.T) {
	r := newDockerRuns(t)
	// Another slsx dev, alive throughout: its containers are not leftovers.
	live := startDockerDev(t, r, copyExample(t))
	if status, body := get(t, "GET", live.api+"/hello", ""); status != 200 {
		t.Fatalf("live run GET /hello: %d %s", status, body)
	}
	liveIDs := r.list(live.cmd.Process.Pid)

	dir := copyExample(t)
	d := startDockerDev(t, r, dir)
	for _, path := range []string{"/hello", "/users"} {
		if status, body := get(t, "GET", d.api+path, ""); status != 200 {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
	}
	killed := d.cmd.Process.Pid
	before := r.list(killed)
	if len(before) < 2 {
		t.Fatalf("containers before the kill: %v", functions(before))
	}
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-d.done
	if after := r.list(killed); len(after) != len(before) {
		t.Fatalf("containers after SIGKILL: %v, want the %d left behind", functions(after), len(before))
	}

	// The banner is printed after the executor's start-up cleanup.
	d2 := startDockerDev(t, r, dir)
	if left := r.list(killed); len(left) > 0 {
		t.Errorf("the killed run's containers are still there: %v", functions(left))
	}
	for _, c := range before {
		if _, err := r.cli.ContainerInspect(context.Background(), c.ID); !client.IsErrNotFound(err) {
			t.Errorf("container %.12s: inspect err %v, want not found", c.ID, err)
		}
	}
	// The live run's containers are still there, and it still serves.
	for _, c := range liveIDs {
		if _, err := r.cli.ContainerInspect(context.Background(), c.ID); err != nil {
			t.Errorf("the live run's container %.12s: %v", c.ID, err)
		}
	}
	if len(liveIDs) == 0 {
		t.Error("the live run has no container")
	}
	if status, body := get(t, "GET", live.api+"/hello", ""); status != 200 {
		t.Errorf("live run GET /hello after the restart: %d %s", status, body)
	}
	live.stop(t)
	// The new run works and cleans up after itself.
	if status, body := get(t, "GET", d2.api+"/hello", ""); status != 200 {
		t.Errorf("second run GET /hello: %d %s", status, body)
	}
	d2.stop(t)
	if code := d2.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGINT:\n%s", code, d2.stderr)
	}
	if left := r.list(d2.cmd.Process.Pid); len(left) > 0 {
		t.Errorf("containers left after SIGINT: %v", functions(left))
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// waitFor polls cond; the bound is a hang guard, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(reloadWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDevDockerInterruptDuringColdStarts: a SIGINT while requests wait on
// containers that are still starting exits cleanly, within the shutdown
// budget, and leaves no container behind.
func TestDevDockerInterruptDuringColdStarts(t *testing.T) {
	r := newDockerRuns(t)
	dir := copyExample(t)
	d := startDockerDev(t, r, dir)
	pid := d.cmd.Process.Pid
	// users calls DynamoDB through the edge: requests in flight at the
	// SIGINT stay in flight while the servers stop. 12 is over users'
	// concurrency (10), so the daemon has the most starts queued.
	const n = 12
	client := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := client.Get(d.api + "/users"); err == nil {
				resp.Body.Close()
			}
		}()
	}
	defer wg.Wait()
	waitFor(t, "the first containers", func() bool { return len(r.list(pid)) >= 2 })
	r.stopClean(t, d)
}

// TestDevPerFunctionRuntime: a function with `runtime: docker` in
// slsx.yaml runs in containers while the others stay processes, in one
// slsx dev without --runtime; `slsx invoke --runtime docker` runs a
// function in a container too.
func TestDevPerFunctionRuntime(t *testing.T) {
	r := newDockerRuns(t)
	dir := copyExample(t)
	yml := filepath.Join(dir, "slsx.yaml")
	raw, err := os.ReadFile(yml)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(raw), "    handler: ./functions/hello\n", "    handler: ./functions/hello\n    runtime: docker\n", 1)
	if edited == string(raw) {
		t.Fatal("the example's slsx.yaml no longer has the hello handler line this test edits")
	}
	if err := os.WriteFile(yml, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startLiveDev(t, dir)
	pid := d.cmd.Process.Pid
	r.track(pid)
	for _, c := range []struct{ method, path, body, want string }{
		{"GET", "/hello/ada", "", `"hello, ada"`},
		{"PUT", "/users/7", `{"name":"Grace"}`, `{"id":"7","name":"Grace"}`},
	} {
		if status, body := get(t, c.method, d.api+c.path, c.body); status != 200 || !strings.Contains(body, c.want) {
			t.Errorf("%s %s = %d %s; want 200 containing %s", c.method, c.path, status, body, c.want)
		}
	}
	got := map[string]bool{}
	for _, c := range r.list(pid) {
		got[c.Labels[docker.LabelFunction]] = true
	}
	if !got["hello"] || got["users"] || got["notify"] {
		t.Errorf("functions with containers: %v; want hello only (users and notify are processes)", got)
	}
	d.stop(t)

	cmd := exec.Command(slsxBin, "invoke", "users", "--runtime", "docker", "--event", "-", "--json")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(`{"requestContext":{"http":{"method":"GET"}},"rawPath":"/users/none","pathParameters":{"id":"none"}}`)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("invoke --runtime docker: %v\n%s%s", err, out, stderrOf(err))
	}
	if !strings.Contains(string(out), `"cold": true`) || !strings.Contains(string(out), "START RequestId") {
		t.Errorf("invoke --runtime docker output:\n%s", out)
	}
	// It is Docker that ran it: with no daemon, the same call fails with
	// Docker's error (exit 2), and hello, docker in slsx.yaml, as well.
	for _, args := range [][]string{{"invoke", "users", "--runtime", "docker"}, {"invoke", "hello"}} {
		cmd = exec.Command(slsxBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+filepath.Join(t.TempDir(), "none.sock"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err = cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "docker is not available") {
			t.Errorf("slsx %v without a daemon: %v, stderr %s; want exit 2 naming docker", args, err, stderr.String())
		}
	}
}
