package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/slsx/slsx/emulator/config"
)

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(o *Options) { o.DataDir = dir })
	arn := e.createTopic(t, "kept", map[string]string{"DisplayName": "Kept"})
	out, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"),
		Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f"), Attributes: map[string]string{"FilterPolicy": `{"a":["b"]}`}})
	if err != nil {
		t.Fatal(err)
	}
	cert := e.svc.signer.certName
	_ = e.svc.Close()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != stateFile {
		t.Fatalf("data dir holds %v", entries)
	}

	e2 := newEnv(t, func(o *Options) { o.DataDir = dir })
	if e2.svc.signer.certName != cert {
		t.Fatal("signing certificate changed across restart")
	}
	got, err := e2.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil || got.Attributes["DisplayName"] != "Kept" || got.Attributes["SubscriptionsConfirmed"] != "1" {
		t.Fatalf("after restart: %v, %v", got, err)
	}
	sa, err := e2.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
	if err != nil || sa.Attributes["FilterPolicy"] != `{"a":["b"]}` {
		t.Fatalf("subscription after restart: %v, %v", sa, err)
	}
	// The restored filter policy is live.
	_, _ = e2.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("no attrs")})
	_ = e2.svc.Close()
	if e2.inv.calls() != 0 {
		t.Fatal("restored filter policy did not filter")
	}

	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte("{broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "parse sns state") {
		t.Fatalf("corrupt state: %v", err)
	}
}

func TestProjectTopicsAndSubscriptions(t *testing.T) {
	e := newEnv(t, nil)
	arn, err := e.svc.EnsureTopic(&config.Topic{Name: "orders", Attributes: map[string]string{"DisplayName": "Orders"}})
	if err != nil || arn != "arn:aws:sns:us-east-1:000000000000:orders" {
		t.Fatalf("EnsureTopic = %s, %v", arn, err)
	}
	if _, err := e.svc.EnsureTopic(&config.Topic{Name: "orders", Attributes: map[string]string{"DisplayName": "Changed"}}); err != nil {
		t.Fatalf("EnsureTopic with new attributes: %v", err)
	}
	fifo, err := e.svc.EnsureTopic(&config.Topic{Name: "jobs", Fifo: true, ContentBasedDeduplication: true})
	if err != nil || !strings.HasSuffix(fifo, ":jobs.fifo") {
		t.Fatalf("fifo EnsureTopic = %s, %v", fifo, err)
	}
	// An API-created subscription must survive project reloads.
	api, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"), Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:manual")})
	if err != nil {
		t.Fatal(err)
	}
	subs := []*config.Subscription{
		{Topic: "orders", Protocol: "lambda", Endpoint: "billing", FilterPolicy: json.RawMessage(`{"kind":["paid"]}`)},
		{Topic: "orders", Protocol: "lambda", Endpoint: "audit"},
	}
	if err := e.svc.SetProjectSubscriptions(subs); err != nil {
		t.Fatal(err)
	}
	first := projectARNs(e.svc)
	if len(first) != 2 {
		t.Fatalf("project subs %v", first)
	}
	if err := e.svc.SetProjectSubscriptions(subs); err != nil {
		t.Fatal(err)
	}
	if again := projectARNs(e.svc); again["billing"] != first["billing"] || again["audit"] != first["audit"] {
		t.Fatal("SetProjectSubscriptions is not idempotent")
	}
	subs[0].FilterPolicy = json.RawMessage(`{"kind":["refund"]}`)
	if err := e.svc.SetProjectSubscriptions(subs[:1]); err != nil {
		t.Fatal(err)
	}
	now := projectARNs(e.svc)
	if len(now) != 1 || now["billing"] != first["billing"] {
		t.Fatalf("after reload %v", now)
	}
	for _, s := range e.svc.Subscriptions() {
		if s.ARN == now["billing"] && s.FilterPolicy != `{"kind":["refund"]}` {
			t.Fatalf("filter not updated: %s", s.FilterPolicy)
		}
	}
	if _, err := e.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: api.SubscriptionArn}); err != nil {
		t.Fatalf("API subscription removed by reload: %v", err)
	}
	err = e.svc.SetProjectSubscriptions([]*config.Subscription{{Topic: "nope", Protocol: "lambda", Endpoint: "f"}, {Topic: "orders", Protocol: "lambda", Endpoint: "g", FilterPolicy: json.RawMessage(`{"a":"b"}`)}})
	if err == nil || !strings.Contains(err.Error(), `topic "nope" is not declared`) || !strings.Contains(err.Error(), `"a" must be an object or an array`) {
		t.Fatalf("bad project subscriptions: %v", err)
	}
}

func projectARNs(s *Service) map[string]string {
	out := map[string]string{}
	for _, si := range s.Subscriptions() {
		if si.Project {
			out[si.Endpoint[strings.LastIndexByte(si.Endpoint, ':')+1:]] = si.ARN
		}
	}
	return out
}

// TestAWSCLI drives the service with the AWS CLI v2 (skipped when absent).
func TestAWSCLI(t *testing.T) {
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Skip("AWS CLI v2 not installed at /usr/bin/aws")
	}
	e := newEnv(t, nil)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"sns", "--endpoint-url", e.url, "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	var ct struct{ TopicArn string }
	if err := json.Unmarshal([]byte(run("create-topic", "--name", "cli", "--attributes", "DisplayName=CLI", "--tags", "Key=env,Value=dev")), &ct); err != nil || !strings.HasSuffix(ct.TopicArn, ":cli") {
		t.Fatalf("create-topic: %+v %v", ct, err)
	}
	if out := run("list-topics"); !strings.Contains(out, ct.TopicArn) {
		t.Fatalf("list-topics: %s", out)
	}
	if out := run("get-topic-attributes", "--topic-arn", ct.TopicArn); !strings.Contains(out, `"DisplayName": "CLI"`) {
		t.Fatalf("get-topic-attributes: %s", out)
	}
	run("subscribe", "--topic-arn", ct.TopicArn, "--protocol", "lambda", "--notification-endpoint", "arn:aws:lambda:us-east-1:000000000000:function:cli",
		"--attributes", `{"FilterPolicy":"{\"k\":[\"v\"]}"}`)
	if out := run("list-subscriptions-by-topic", "--topic-arn", ct.TopicArn); !strings.Contains(out, "function:cli") {
		t.Fatalf("list-subscriptions-by-topic: %s", out)
	}
	if out := run("publish", "--topic-arn", ct.TopicArn, "--message", "hi & bye", "--message-attributes", `{"k":{"DataType":"String","StringValue":"v"}}`); !strings.Contains(out, "MessageId") {
		t.Fatalf("publish: %s", out)
	}
	req := e.inv.wait(t)
	if !strings.Contains(string(req.Payload), `"Message":"hi & bye"`) {
		t.Fatalf("payload %s", req.Payload)
	}
	if out := run("publish-batch", "--topic-arn", ct.TopicArn, "--publish-batch-request-entries", "Id=a,Message=one", "Id=b,Message=two"); !strings.Contains(out, `"Failed": []`) {
		t.Fatalf("publish-batch: %s", out)
	}
	run("untag-resource", "--resource-arn", ct.TopicArn, "--tag-keys", "env")
	if out := run("list-tags-for-resource", "--resource-arn", ct.TopicArn); strings.Contains(out, "env") {
		t.Fatalf("list-tags-for-resource: %s", out)
	}
	run("delete-topic", "--topic-arn", ct.TopicArn)

	cmd := exec.Command(cli, "sns", "--endpoint-url", e.url, "get-topic-attributes", "--topic-arn", ct.TopicArn)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "NotFound") || !strings.Contains(string(out), "Topic does not exist") {
		t.Fatalf("missing topic via CLI: %v %s", err, out)
	}
}

// FuzzDecodeForm feeds arbitrary form bodies through the decoder and then
// through every action of a live Service: nothing may panic, and every
// answer must be a well-formed response.
func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{
		"Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Message=hi&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=v",
		"Action=CreateTopic&Name=t&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=x&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Action=PublishBatch&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=m&PublishBatchRequestEntries.member.3.MessageAttributes.entry.2.Name=z",
		"Action=Subscribe&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Protocol=http&Endpoint=http%3A%2F%2F127.0.0.1%3A1%2F",
		"Action=UntagResource&TagKeys=&TagKeys.member.99999999999999999999=x&a=%zz",
	} {
		f.Add([]byte(s))
	}
	// Deliveries must never leave the machine: refuse every dial.
	noNet := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("fuzz: network disabled")
	}}}
	svc, err := New(Options{HTTPClient: noNet, RetryScale: 1e-6})
	if err != nil {
		f.Fatal(err)
	}
	_, _ = svc.create("t", map[string]string{}, nil, false)
	h := svc.Handler()
	f.Cleanup(func() { _ = svc.Close() })
	f.Fuzz(func(t *testing.T, body []byte) {
		if fm, err := decodeForm(body); err == nil {
			fm.stringMap("Attributes")
			fm.stringList("TagKeys")
			fm.tags("Tags")
			_, _, _ = validateAttrs(fm.messageAttributes("MessageAttributes"))
			for _, n := range fm.indexes("PublishBatchRequestEntries.member") {
				inputFrom(fm.sub("PublishBatchRequestEntries.member." + strconv.Itoa(n)))
			}
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Header().Get("x-amzn-RequestId") == "" || !strings.HasPrefix(rec.Body.String(), "<") {
			t.Fatalf("malformed answer %d %q", rec.Code, rec.Body.String())
		}
	})
}
