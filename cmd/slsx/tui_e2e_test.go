package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tmuxDev is `slsx dev` with its dashboard, running in a private tmux
// server so the test can type keys and read the screen.
type tmuxDev struct {
	t    *testing.T
	tmux string
	sock string
}

func (m *tmuxDev) run(args ...string) string {
	m.t.Helper()
	out, err := exec.Command(m.tmux, append([]string{"-S", m.sock}, args...)...).CombinedOutput()
	if err != nil {
		m.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (m *tmuxDev) screen() string { return m.run("capture-pane", "-p", "-t", "dev") }

// key types one key. Keys go one per call: bubbletea reads runes that
// arrive together as one key message ("4r"), and Escape followed at once
// by a rune as Alt+rune.
func (m *tmuxDev) key(k string) { m.run("send-keys", "-t", "dev", k) }

// wait polls the screen until every pattern matches; the bound only stops
// a broken run from hanging.
func (m *tmuxDev) wait(what string, patterns ...string) string {
	m.t.Helper()
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		res[i] = regexp.MustCompile(p)
	}
	bound := 30 * time.Second
	if strings.HasPrefix(what, "functions ready") {
		bound = 3 * time.Minute // the initial builds
	}
	deadline := time.Now().Add(bound)
	var s string
	for {
		s = m.screen()
		ok := true
		for _, re := range res {
			ok = ok && re.MatchString(s)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("%s: screen never matched %q:\n%s", what, patterns, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gone polls the screen until pattern no longer matches.
func (m *tmuxDev) gone(what, pattern string) {
	m.t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := m.screen()
		if !re.MatchString(s) {
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("%s: screen still matches %q:\n%s", what, pattern, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// awsCLI runs the AWS CLI v2 against slsx's AWS edge.
func awsCLI(t *testing.T, awsPort string, args ...string) {
	t.Helper()
	cmd := exec.Command("/usr/bin/aws", append(args, "--endpoint-url", "http://127.0.0.1:"+awsPort)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("aws %v: %v\n%s", args, err, out)
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func TestDashboardInTmux(t *testing.T) {
	tmuxBin, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	dir := copyExample(t)
	apiPort, awsPort := freePort(t), freePort(t)
	// A short socket path: unix sockets are limited to ~100 bytes.
	sockDir, err := os.MkdirTemp("", "tmx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	m := &tmuxDev{t: t, tmux: tmuxBin, sock: filepath.Join(sockDir, "s")}
	exitFile := filepath.Join(dir, "exit-status")
	script := shellQuote(slsxBin) + " dev --in-memory --port " + apiPort + " --aws-port " + awsPort +
		" 2>" + shellQuote(filepath.Join(dir, "stderr.txt")) + "; echo $? >" + shellQuote(exitFile)
	m.run("new-session", "-d", "-s", "dev", "-x", "160", "-y", "45", "-c", dir, script)
	t.Cleanup(func() { exec.Command(tmuxBin, "-S", m.sock, "kill-server").Run() })

	api := "http://127.0.0.1:" + apiPort
	m.wait("functions ready",
		`slsx · hello`, `API `+regexp.QuoteMeta(api), `AWS http://127\.0\.0\.1:`+awsPort, `executor process`,
		`(?m)^hello\s+● ready\s+1 `, `(?m)^notify\s+● ready\s+1 `, `(?m)^users\s+● ready\s+1 `)

	// Before any traffic: the topic's subscription (notify) and the empty
	// table come from the services, not from what was seen delivering.
	m.key("4")
	m.wait("resources before traffic", `(?m)^user-events\s+1\s+0\s+0\s+0$`, `(?m)^users\s+0\s+0\s`)
	m.key("1")

	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/hello", "", 200}, {"GET", "/hello/ada", "", 200}, {"PUT", "/users/7", `{"name":"Grace"}`, 200}, {"GET", "/nowhere", "", 404},
	} {
		if status, body := get(t, c.method, api+c.path, c.body); status != c.status {
			t.Errorf("%s %s = %d %s, want %d", c.method, c.path, status, body, c.status)
		}
	}

	// Functions: invocation counts per row (INV ERR THR COLD); notify ran
	// once from the table's stream and once from SNS.
	m.wait("function counters",
		`(?m)^hello\s+● ready\s+1\s+\d+/\d+/10\s+2\s+0\s+0\s+1\s`,
		`(?m)^users\s+● ready\s+1\s+\d+/\d+/10\s+1\s+0\s+0\s+1\s`,
		`(?m)^notify\s+● ready\s+1\s+\d+/\d+/10\s+2\s+0\s+0\s+[12]\s`,
		`inv 5\s+err 0\s+thr 0`)

	m.key("2")
	s := m.wait("invocations",
		`(?m)^\d\d:\d\d:\d\d GET /hello\s+hello\s+ok\s+\S+\s+cold\s+[0-9a-f-]{36}`,
		`(?m)^\d\d:\d\d:\d\d GET /hello/\{name\}\s+hello\s+ok\s+\S+\s+warm`,
		`(?m)^\d\d:\d\d:\d\d PUT /users/\{id\}\s+users\s+ok`,
		`(?m)^\d\d:\d\d:\d\d sns:user-events \(async\)\s+notify\s+ok`,
		`(?m)^\d\d:\d\d:\d\d ddb:users\s+notify\s+ok`)
	if strings.Contains(s, "/nowhere") {
		t.Errorf("a request that matched no route shows as an invocation:\n%s", s)
	}

	// The oldest invocation (GET /hello) is the last row: open it.
	m.key("G")
	m.key("Enter")
	m.wait("invocation detail", `Invocation [0-9a-f-]{36}`, `hello\s+GET /hello\s+ok`, `REPORT`,
		`RequestId: [0-9a-f-]{36}\s+Duration: [\d.]+ ms\s+Billed Duration: \d+ ms\s+Memory Size: 128 MB\s+Max Memory Used: \d+ MB\s+Init Duration:`,
		`"routeKey": "GET /hello"`)

	m.key("Escape")
	m.wait("back to the list", `TIME\s+TRIGGER\s+FUNCTION`)
	m.key("3")
	m.wait("traces", `(?m)^\d\d:\d\d:\d\d API GET /nowhere → 404\s+API\s+1\s`, `(?m)^\d\d:\d\d:\d\d API PUT /users/7 → 200\s+API › λ users › .*λ notify`)
	// Newest first: GET /nowhere, then the PUT.
	m.key("Down")
	m.key("Enter")
	m.wait("trace tree", `λ users ok`, `DynamoDB PutItem users`, `stream users → notify`, `SNS publish user-events`, `SNS deliver lambda notify`)

	m.key("Escape")
	m.wait("back to traces", `STARTED BY`)
	// SUBS is the topic's one subscription (notify), ITEMS the one user.
	m.key("4")
	m.wait("resources", `(?m)^user-events\s+1\s+1\s+1\s+0$`, `(?m)^users\s+1\s+1 Put 1`)

	// A subscription made with the AWS CLI while the screen shows is
	// counted within a clock tick; a table and a topic made with it are
	// listed, marked as not the project's, and a deleted table goes.
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		awsCLI(t, awsPort, "sns", "subscribe", "--topic-arn", "arn:aws:sns:us-east-1:000000000000:user-events",
			"--protocol", "lambda", "--notification-endpoint", "arn:aws:lambda:us-east-1:000000000000:function:hello")
		m.wait("the new subscription", `(?m)^user-events\s+2\s+1\s+1\s+0$`)

		awsCLI(t, awsPort, "dynamodb", "create-table", "--table-name", "audit",
			"--attribute-definitions", "AttributeName=pk,AttributeType=S", "--key-schema", "AttributeName=pk,KeyType=HASH",
			"--billing-mode", "PAY_PER_REQUEST")
		awsCLI(t, awsPort, "sns", "create-topic", "--name", "alerts")
		m.wait("resources made with the AWS CLI", `(?m)^alerts runtime\s+0\s+0\s+0\s+0$`, `(?m)^audit runtime\s+0\s+0\s`,
			`(?m)^user-events\s+2\s+1\s+1\s+0$`, `(?m)^users\s+1\s+1 Put 1`)
		awsCLI(t, awsPort, "dynamodb", "delete-table", "--table-name", "audit")
		m.gone("the deleted table", `(?m)^audit`)
		m.wait("the rest after the delete", `(?m)^alerts runtime\s`, `(?m)^users\s+1\s+1 Put 1`)
	}

	// notify's output, written during its two invocations, tagged with it.
	m.key("6")
	m.wait("function output in the logs", `(?m)^\d\d:\d\d:\d\d notify\s+sns arn:aws:sns:us-east-1:\d+:user-events: `,
		`(?m)^\d\d:\d\d:\d\d notify\s+stream INSERT arn:aws:dynamodb:`)

	m.key("q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(exitFile)
		if strings.TrimSpace(string(b)) == "0" {
			break
		}
		if time.Now().After(deadline) {
			stderr, _ := os.ReadFile(filepath.Join(dir, "stderr.txt"))
			t.Fatalf("slsx dev did not exit 0 within 10s of q (exit file %q):\n%s", b, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if stderr, _ := os.ReadFile(filepath.Join(dir, "stderr.txt")); len(stderr) > 0 {
		t.Errorf("slsx dev wrote to stderr under the dashboard:\n%s", stderr)
	}
	for _, port := range []string{apiPort, awsPort} {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
			c.Close()
			t.Errorf("port %s still listening after q", port)
		}
	}
	if left := processesUnder(t, dir); len(left) > 0 {
		t.Errorf("processes left running after q: %v", left)
	}
}
