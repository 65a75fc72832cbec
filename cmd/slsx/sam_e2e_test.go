package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// These tests run real-world AWS SAM projects (testdata/sam/<name>: a
// template.yaml with Globals, Parameters and intrinsics, Go handlers in
// CodeUri directories, their own go.mod) under `slsx dev` and `slsx invoke`.

// asyncWait bounds how long a test waits for asynchronous work (SNS
// deliveries, stream batches) to show up; it is a deadline, not a timing
// assertion.
const asyncWait = 30 * time.Second

// samAPIURL finds the URL of the API named name in the dev banner (SAM
// APIs are named ServerlessHttpApi, ServerlessRestApi or by logical id,
// not "default").
func samAPIURL(t *testing.T, d *devProcess, name string) string {
	t.Helper()
	re := regexp.MustCompile(`API ` + regexp.QuoteMeta(name) + ` \([^)]*\) (http://\S+)`)
	m := re.FindStringSubmatch(d.output.String())
	if m == nil {
		t.Fatalf("no API %s in the banner:\n%s", name, d.output)
	}
	return m[1]
}

// waitDevOutput waits until the dev output satisfies ok, and fails with the
// output if it never does.
func waitDevOutput(t *testing.T, d *devProcess, what string, ok func(out string) bool) {
	t.Helper()
	deadline := time.Now().Add(asyncWait)
	for time.Now().Before(deadline) {
		if ok(d.output.String()) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("dev output never showed %s:\n%s", what, d.output)
}

// stopClean sends SIGINT and checks that the ports are closed and no
// function process is left running under dir.
func stopClean(t *testing.T, d *devProcess, dir string, urls ...string) {
	t.Helper()
	d.stop(t)
	for _, u := range append(urls, d.aws) {
		addr := strings.TrimPrefix(u, "http://")
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still listening after SIGINT", addr)
		}
	}
	if left := processesUnder(t, dir); len(left) > 0 {
		t.Errorf("processes left running after SIGINT: %v", left)
	}
}

// edgeDynamoDB is an SDK client for the running slsx's AWS edge.
func edgeDynamoDB(d *devProcess) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(d.aws),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
}

// triggerLines counts the invocation lines of each function with the
// given trigger (e.g. "sns:orders-test") that finished ok.
func triggerLines(out, trigger string) map[string]int {
	re := regexp.MustCompile(`(?m)^\S+ ` + regexp.QuoteMeta(trigger) + `\s+(\S+)\s+ok\s`)
	n := map[string]int{}
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		n[m[1]]++
	}
	return n
}

func TestSAMHTTPCrud(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs slsx dev")
	}
	dir := copyFixture(t, "sam/http-crud")
	// Stage's default is dev; the override renames the table (!Sub) and
	// every variable built from it (!Ref, !GetAtt).
	d := startDev(t, dir, "--in-memory", "--parameter-overrides", "Stage=qa")
	api := samAPIURL(t, d, "ServerlessHttpApi")
	if !strings.Contains(d.output.String(), "API ServerlessHttpApi (HTTP API, payload 2.0)") {
		t.Errorf("banner does not show an HTTP API with payload 2.0:\n%s", d.output)
	}

	cases := []struct {
		method, path, body string
		status             int
		want               []string
	}{
		{"GET", "/info", "", 200, []string{`"stage":"qa"`, `"table":"qa-items"`,
			`"tableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/qa-items"`, `"greeting":"hello from us-east-1"`}},
		{"GET", "/items/a1", "", 404, []string{`no item a1`}},
		{"PUT", "/items/a1", `{"name":"tea","price":3.5}`, 200, []string{`{"id":"a1","name":"tea","price":3.5}`}},
		{"GET", "/items/a1", "", 200, []string{`{"id":"a1","name":"tea","price":3.5}`}},
		{"PUT", "/items/a1", `{"name":"green tea","price":4}`, 200, []string{`"name":"green tea"`}},
		{"GET", "/items/a1", "", 200, []string{`{"id":"a1","name":"green tea","price":4}`}},
		{"PUT", "/items/a2", `nope`, 400, []string{`body must be JSON`}},
		{"DELETE", "/items/a1", "", 204, nil},
		{"GET", "/items/a1", "", 404, []string{`no item a1`}},
		{"DELETE", "/items/a1", "", 404, []string{`no item a1`}},
		{"POST", "/items/a1", `{}`, 404, []string{`{"message":"Not Found"}`}},
		{"GET", "/nowhere", "", 404, []string{`{"message":"Not Found"}`}},
	}
	for _, c := range cases {
		status, body := get(t, c.method, api+c.path, c.body)
		if status != c.status {
			t.Errorf("%s %s = %d %s; want %d", c.method, c.path, status, body, c.status)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s %s = %s; want it to contain %s", c.method, c.path, body, w)
			}
		}
	}

	// The handler wrote to the table the template named, through the edge.
	db := edgeDynamoDB(d)
	ctx := context.Background()
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("qa-items"), Item: map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "sdk"}, "name": &types.AttributeValueMemberS{Value: "from the SDK"},
	}}); err != nil {
		t.Fatalf("PutItem qa-items: %v", err)
	}
	if status, body := get(t, "GET", api+"/items/sdk", ""); status != 200 || !strings.Contains(body, `"name":"from the SDK"`) {
		t.Errorf("GET /items/sdk after an SDK PutItem = %d %s", status, body)
	}
	tables, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("ListTables: %v", err)
	}
	if got := strings.Join(tables.TableNames, ","); got != "qa-items" {
		t.Errorf("tables = %s; want qa-items only (the Stage override)", got)
	}
	stopClean(t, d, dir, api)
}

func TestSAMSNSFanout(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs slsx dev")
	}
	dir := copyFixture(t, "sam/sns-fanout")
	d := startDev(t, dir, "--in-memory") // Env keeps its default, test
	api := samAPIURL(t, d, "ServerlessHttpApi")

	post := func(body, contentType string, wantSize string) {
		t.Helper()
		req, _ := http.NewRequest("POST", api+"/orders", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		status, b := do(t, req)
		if status != 202 || !strings.Contains(b, `"size":"`+wantSize+`"`) || !strings.Contains(b, `"topic":"orders-test"`) {
			t.Fatalf("POST /orders %s = %d %s; want 202 with size %s on orders-test", body, status, b, wantSize)
		}
	}
	// A small order reaches only the unfiltered subscriber. The form
	// content type (what curl -d sends) arrives base64-encoded, as on AWS.
	post(`{"id":"o-2","total":20}`, "application/x-www-form-urlencoded", "small")
	waitDevOutput(t, d, "the receipt for o-2", func(out string) bool {
		return strings.Contains(out, "receipt got o-2 from arn:aws:sns:us-east-1:000000000000:orders-test")
	})
	// A large one reaches both; big-orders' FilterPolicy (!Ref BigOrderSize) matches it.
	post(`{"id":"o-1","total":250}`, "application/json", "large")
	waitDevOutput(t, d, "o-1 at both subscribers", func(out string) bool {
		return strings.Contains(out, "receipt got o-1") && strings.Contains(out, "big-orders got o-1")
	})

	out := d.output.String()
	if strings.Contains(out, "big-orders got o-2") {
		t.Errorf("the filter policy let the small order through:\n%s", out)
	}
	got := triggerLines(out, "sns:orders-test")
	want := map[string]int{"ReceiptFunction": 2, "big-orders-test": 1}
	if len(got) != len(want) || got["ReceiptFunction"] != 2 || got["big-orders-test"] != 1 {
		t.Errorf("sns:orders-test invocations = %v; want %v\n%s", got, want, out)
	}
	if n := strings.Count(out, "POST /orders           OrdersFunction ok"); n != 2 {
		t.Errorf("OrdersFunction ran %d times over HTTP; want 2\n%s", n, out)
	}
	stopClean(t, d, dir, api)
}

func TestSAMStreamProcessing(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs slsx dev")
	}
	dir := copyFixture(t, "sam/stream")
	d := startDev(t, dir, "--in-memory", "--parameter-overrides", "ParameterKey=Prefix,ParameterValue=e2e")
	db := edgeDynamoDB(d)
	ctx := context.Background()
	orders := aws.String("e2e-orders")
	key := func(pk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}
	}
	writes := []struct {
		name string
		do   func() error
	}{
		{"put o-1", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: orders, Item: key("o-1")})
			return err
		}},
		{"update o-1", func() error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: orders, Key: key("o-1"),
				UpdateExpression:          aws.String("SET #s = :s"),
				ExpressionAttributeNames:  map[string]string{"#s": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: "paid"}}})
			return err
		}},
		{"put o-2", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: orders, Item: key("o-2")})
			return err
		}},
		{"delete o-1", func() error {
			_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: orders, Key: key("o-1")})
			return err
		}},
	}
	for _, w := range writes {
		if err := w.do(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
	}

	// The processor counts records per event name in the SimpleTable the
	// template named with !Join.
	want := map[string]string{"INSERT": "2", "MODIFY": "1", "REMOVE": "1"}
	var got map[string]string
	deadline := time.Now().Add(asyncWait)
	for time.Now().Before(deadline) {
		out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("e2e-counters")})
		if err != nil {
			t.Fatalf("Scan e2e-counters: %v", err)
		}
		got = map[string]string{}
		for _, it := range out.Items {
			name, _ := it["name"].(*types.AttributeValueMemberS)
			n, _ := it["n"].(*types.AttributeValueMemberN)
			if name != nil && n != nil {
				got[name.Value] = n.Value
			}
		}
		if len(got) == 3 && got["INSERT"] == "2" && got["MODIFY"] == "1" && got["REMOVE"] == "1" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(got) != 3 || got["INSERT"] != "2" || got["MODIFY"] != "1" || got["REMOVE"] != "1" {
		t.Fatalf("counters = %v; want %v\n%s", got, want, d.output)
	}
	out := d.output.String()
	if n := triggerLines(out, "ddb:e2e-orders")["ProcessorFunction"]; n == 0 {
		t.Errorf("no ddb:e2e-orders invocation of ProcessorFunction in the output:\n%s", out)
	}
	for _, w := range []string{"processed INSERT o-1", "processed MODIFY o-1", "processed INSERT o-2", "processed REMOVE o-1"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}

	// On AWS, !GetAtt Table.StreamArn is the table's LatestStreamArn: the
	// eventSourceARN of its stream records and what DescribeStream takes.
	t.Run("GetAttStreamArnIsTheTableStream", func(t *testing.T) {
		m := regexp.MustCompile(`processed INSERT o-1 from (\S+) \(STREAM=(\S+)\)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no processed line with both ARNs:\n%s", out)
		}
		desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: orders})
		if err != nil {
			t.Fatal(err)
		}
		latest := aws.ToString(desc.Table.LatestStreamArn)
		if m[1] != latest {
			t.Errorf("record eventSourceARN %s; DescribeTable LatestStreamArn %s", m[1], latest)
		}
		if m[2] != latest {
			t.Errorf("!GetAtt OrdersTable.StreamArn = %s; the table's stream is %s", m[2], latest)
		}
	})
	stopClean(t, d, dir)
}

// restEvent adds a REST API route (the implicit ServerlessRestApi) to the
// http-crud template, which then has two APIs.
const restEvent = `        RestGetItem:
          Type: Api
          Properties:
            Path: /items/{id}
            Method: get
`

func TestSAMRestAndHTTPAPIs(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs slsx dev")
	}
	// Two copies at once, as two projects or two test runs would be: with
	// --port 0 every API of each must get a port of its own.
	var devs []*devProcess
	var dirs []string
	for range 2 {
		dir := copyFixture(t, "sam/http-crud")
		appendFile(t, filepath.Join(dir, "template.yaml"), "\n"+restEvent, "      Events:")
		devs = append(devs, startDev(t, dir, "--in-memory"))
		dirs = append(dirs, dir)
	}
	seen := map[string]string{}
	for i, d := range devs {
		rest := samAPIURL(t, d, "ServerlessRestApi")
		httpAPI := samAPIURL(t, d, "ServerlessHttpApi")
		if !strings.HasSuffix(rest, "/Prod") {
			t.Errorf("dev %d: REST API URL %s; want it under the stage, /Prod", i, rest)
		}
		for _, u := range []string{strings.TrimSuffix(rest, "/Prod"), httpAPI} {
			if other, dup := seen[u]; dup {
				t.Errorf("dev %d: %s is also %s", i, u, other)
			}
			seen[u] = fmt.Sprintf("dev %d", i)
		}
		id := fmt.Sprintf("r%d", i)
		if status, body := get(t, "PUT", httpAPI+"/items/"+id, `{"name":"rest"}`); status != 200 {
			t.Errorf("dev %d: PUT %s/items/%s = %d %s", i, httpAPI, id, status, body)
		}
		cases := []struct {
			url    string
			status int
			want   string
		}{
			{rest + "/items/" + id, 200, `{"id":"` + id + `","name":"rest","price":0}`},
			{rest + "/items/none", 404, `{"error":"no item none"}`},
			{strings.TrimSuffix(rest, "/Prod") + "/items/" + id, 403, `{"message":"Missing Authentication Token"}`},
			{httpAPI + "/info", 200, `"table":"dev-items"`},
		}
		for _, c := range cases {
			if status, body := get(t, "GET", c.url, ""); status != c.status || !strings.Contains(body, c.want) {
				t.Errorf("dev %d: GET %s = %d %s; want %d with %s", i, c.url, status, body, c.status, c.want)
			}
		}
	}
	for i, d := range devs {
		stopClean(t, d, dirs[i], samAPIURL(t, d, "ServerlessHttpApi"))
	}
}

func TestSAMInvokeParameterOverrides(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs a function")
	}
	dir := copyFixture(t, "sam/http-crud")
	const event = `{"version":"2.0","rawPath":"/info","requestContext":{"http":{"method":"GET","path":"/info"}}}`
	cases := []struct {
		name      string
		overrides []string
		exit      int
		stdout    []string
		stderr    string
	}{
		{"defaults", nil, 0, []string{`\"stage\":\"dev\"`, `\"table\":\"dev-items\"`, `\"greeting\":\"hello from us-east-1\"`}, ""},
		{"key=value pairs in one flag", []string{"Stage=qa Greeting=hi"}, 0,
			[]string{`\"stage\":\"qa\"`, `\"table\":\"qa-items\"`, `table/qa-items\"`, `\"greeting\":\"hi from us-east-1\"`}, ""},
		{"repeated flag, CloudFormation spelling", []string{"ParameterKey=Stage,ParameterValue=prod", "Greeting=hey"}, 0,
			[]string{`\"table\":\"prod-items\"`, `\"greeting\":\"hey from us-east-1\"`}, ""},
		{"unknown parameter is a warning", []string{"Nope=1"}, 0, []string{`\"table\":\"dev-items\"`},
			"Parameters.Nope: no such parameter in the template"},
		{"value outside AllowedValues", []string{"Stage=bogus"}, 1, nil, `"bogus" is not one of the AllowedValues dev,qa,prod`},
		{"malformed override", []string{"Stage"}, 2, nil, `--parameter-overrides "Stage": use Key=Value`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"invoke", "ItemsFunction", "--event", "-"}
			for _, o := range c.overrides {
				args = append(args, "--parameter-overrides", o)
			}
			cmd := exec.Command(slsxBin, args...)
			cmd.Dir = dir
			cmd.Stdin = strings.NewReader(event)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			exit := 0
			if ee, ok := err.(*exec.ExitError); ok {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != c.exit {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", exit, c.exit, stdout.String(), stderr.String())
			}
			for _, w := range c.stdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %s:\n%s", w, stdout.String())
				}
			}
			if c.exit == 0 && !strings.Contains(stdout.String(), `"statusCode":200`) {
				t.Errorf("stdout = %s; want a 200 response", stdout.String())
			}
			if c.stderr != "" && !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("stderr lacks %s:\n%s", c.stderr, stderr.String())
			}
		})
	}
}

// do sends req and returns the status and body.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, string(b)
}

func TestSAMServeProject(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs slsx serve")
	}
	dir := copyFixture(t, "sam/http-crud")
	cmd := exec.Command(slsxBin, "serve", "--project", dir, "--port", "0", "--aws-port", "0", "--in-memory", "--parameter-overrides", "Stage=prod")
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); pw.Close(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	apiLine := regexp.MustCompile(`API ServerlessHttpApi: (http://\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := apiLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	var api string
	select {
	case api = <-found:
	case <-done:
		t.Fatalf("slsx serve exited early: %s", stderr.String())
	case <-time.After(3 * time.Minute):
		t.Fatalf("slsx serve did not print the API URL: %s", stderr.String())
	}
	for _, c := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"PUT", "/items/s1", `{"name":"served"}`, 200, `"name":"served"`},
		{"GET", "/items/s1", "", 200, `{"id":"s1","name":"served","price":0}`},
		{"GET", "/info", "", 200, `"table":"prod-items"`},
	} {
		if status, body := get(t, c.method, api+c.path, c.body); status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s %s = %d %s; want %d with %s", c.method, c.path, status, body, c.status, c.want)
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("slsx serve did not exit within 10s of SIGINT")
	}
	if left := processesUnder(t, dir); len(left) > 0 {
		t.Errorf("processes left running after SIGINT: %v", left)
	}
}
