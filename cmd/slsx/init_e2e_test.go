package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// curlForm is the content type `curl -d` sends, as in the templates'
// READMEs; HTTP APIs hand such bodies to the function base64-encoded.
const curlForm = "application/x-www-form-urlencoded"

// initRequest is one HTTP call against a generated project.
type initRequest struct {
	method, path, contentType, body string
	status                          int
	want                            []string
}

// initCase exercises one `slsx init` template end to end.
type initCase struct {
	template string
	requests []initRequest
	// async, when set, waits for the template's SNS or stream work and
	// checks it; it runs after requests.
	async func(t *testing.T, d *devProcess)
}

func TestInitTemplatesEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: generates projects, runs go test and slsx dev")
	}
	cases := []initCase{
		{template: "http-dynamodb", requests: []initRequest{
			{"GET", "/items", "", "", 200, []string{`[]`}},
			{"POST", "/items", curlForm, `{"name":"tea","price":3.5}`, 201, []string{`"name":"tea"`, `"price":3.5`}},
			{"GET", "/items", "", "", 200, []string{`"name":"tea"`}},
			{"PUT", "/items/chai", "application/json", `{"name":"chai","price":4}`, 200, []string{`{"id":"chai","name":"chai","price":4}`}},
			{"PUT", "/items/mate", curlForm, `{"name":"mate"}`, 200, []string{`{"id":"mate","name":"mate"}`}},
			{"GET", "/items/chai", "", "", 200, []string{`{"id":"chai","name":"chai","price":4}`}},
			{"POST", "/items", "application/json", `{"price":1}`, 400, []string{`body must be JSON`}},
			{"DELETE", "/items/chai", "", "", 204, nil},
			{"GET", "/items/chai", "", "", 404, []string{`no item chai`}},
			{"GET", "/nowhere", "", "", 404, []string{`{"message":"Not Found"}`}},
		}},
		{template: "sns-fanout", requests: []initRequest{
			{"POST", "/orders", curlForm, `{"id":"o-1","total":250}`, 202, []string{`"size":"large"`, `"messageId":"`}},
			{"POST", "/orders", curlForm, `{"id":"o-2","total":20}`, 202, []string{`"size":"small"`}},
			{"POST", "/orders", "application/json", `{"total":20}`, 400, []string{`body must be JSON`}},
		}, async: func(t *testing.T, d *devProcess) {
			waitDevOutput(t, d, "both orders delivered", func(out string) bool {
				n := triggerLines(out, "sns:orders")
				return n["receipt"] == 2 && n["big-orders"] == 1
			})
			out := d.output.String()
			for _, w := range []string{"receipt for order o-1: 250.00", "receipt for order o-2: 20.00", "large order o-1 flagged"} {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "large order o-2") {
				t.Errorf("big-orders received the small order:\n%s", out)
			}
		}},
		{template: "stream-processor", requests: []initRequest{
			{"PUT", "/orders/o-1", curlForm, `{"status":"new","total":30}`, 200, []string{`{"id":"o-1","status":"new","total":30}`}},
			{"PUT", "/orders/o-2", "application/json", `{"status":"paid","total":12.5}`, 200, []string{`"status":"paid"`}},
			{"PUT", "/orders/o-1", curlForm, `{"status":"paid","total":30}`, 200, []string{`"status":"paid"`}},
			{"PUT", "/orders/o-3", "application/json", `{"total":1}`, 400, []string{`body must be JSON`}},
		}, async: func(t *testing.T, d *devProcess) {
			// o-1 moved from new to paid: new nets to zero, paid holds both.
			want := map[string]stat{"new": {0, 0}, "paid": {2, 42.5}}
			var got map[string]stat
			deadline := time.Now().Add(asyncWait)
			for time.Now().Before(deadline) {
				got = stats(t, d)
				if equalStats(got, want) {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			if !equalStats(got, want) {
				t.Errorf("GET /stats = %v; want %v\n%s", got, want, d.output)
			}
			if n := triggerLines(d.output.String(), "ddb:orders")["processor"]; n == 0 {
				t.Errorf("no ddb:orders invocation of processor:\n%s", d.output)
			}
		}},
	}

	// Every template is covered: a new one must be added here.
	out, err := exec.Command(slsxBin, "init", "--list").Output()
	if err != nil {
		t.Fatalf("init --list: %v %s", err, stderrOf(err))
	}
	var listed, covered []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		listed = append(listed, strings.Fields(line)[0])
	}
	for _, c := range cases {
		covered = append(covered, c.template)
	}
	sort.Strings(listed)
	sort.Strings(covered)
	if strings.Join(listed, " ") != strings.Join(covered, " ") {
		t.Errorf("init --list = %v; this test covers %v", listed, covered)
	}

	for _, c := range cases {
		t.Run(c.template, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "my-"+c.template)
			cmd := exec.Command(slsxBin, "init", dir, "--template", c.template)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("slsx init: %v\n%s", err, out)
			}

			// The generated project's own tests pass.
			gotest := exec.Command("go", "test", "./...")
			gotest.Dir = dir
			gotest.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false")
			if out, err := gotest.CombinedOutput(); err != nil {
				t.Fatalf("go test ./... in the generated project: %v\n%s", err, out)
			} else if !strings.Contains(string(out), "ok ") {
				t.Errorf("go test ./... ran no tests:\n%s", out)
			}

			d := startDev(t, dir)
			if d.api == "" {
				t.Fatalf("no API default in the banner:\n%s", d.output)
			}
			for _, r := range c.requests {
				req, err := http.NewRequest(r.method, d.api+r.path, strings.NewReader(r.body))
				if err != nil {
					t.Fatal(err)
				}
				if r.contentType != "" {
					req.Header.Set("Content-Type", r.contentType)
				}
				status, body := do(t, req)
				if status != r.status {
					t.Errorf("%s %s (%s) %s = %d %s; want %d", r.method, r.path, r.contentType, r.body, status, body, r.status)
					continue
				}
				for _, w := range r.want {
					if !strings.Contains(body, w) {
						t.Errorf("%s %s = %s; want it to contain %s", r.method, r.path, body, w)
					}
				}
			}
			if c.async != nil {
				c.async(t, d)
			}
			stopClean(t, d, dir, d.api)
		})
	}
}

// stat is one row of the stream-processor template's GET /stats.
type stat struct {
	Count  int     `json:"count"`
	Amount float64 `json:"amount"`
}

func stats(t *testing.T, d *devProcess) map[string]stat {
	t.Helper()
	status, body := get(t, "GET", d.api+"/stats", "")
	if status != 200 {
		t.Fatalf("GET /stats = %d %s", status, body)
	}
	var rows []struct {
		Status string `json:"status"`
		stat
	}
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		t.Fatalf("GET /stats: %v: %s", err, body)
	}
	m := map[string]stat{}
	for _, r := range rows {
		m[r.Status] = r.stat
	}
	return m
}

func equalStats(a, b map[string]stat) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}
