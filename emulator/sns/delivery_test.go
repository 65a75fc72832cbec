package sns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	smithymw "github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

func TestLambdaDeliveryEvent(t *testing.T) {
	e := newEnv(t, nil)
	events_ := e.bus.Subscribe(t.Context())
	arn := e.createTopic(t, "orders", nil)
	fn := "arn:aws:lambda:us-east-1:000000000000:function:worker:live"
	sub, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"), Endpoint: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	before := time.Now().UTC().Truncate(time.Millisecond)
	out, err := e.client.Publish(ctx, &awssns.PublishInput{
		TopicArn: aws.String(arn), Message: aws.String(`Hello <&> "SNS"`), Subject: aws.String("Greeting"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"color":  {DataType: aws.String("String"), StringValue: aws.String("red")},
			"price":  {DataType: aws.String("Number"), StringValue: aws.String("99.12")},
			"sizes":  {DataType: aws.String("String.Array"), StringValue: aws.String(`["S","M",3]`)},
			"blob":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
			"custom": {DataType: aws.String("String.custom"), StringValue: aws.String("c")},
		},
	}, func(o *awssns.Options) {
		o.APIOptions = append(o.APIOptions, withHeader("X-Amzn-Trace-Id", trace))
	})
	if err != nil {
		t.Fatal(err)
	}
	req := e.inv.wait(t)
	if req.Function != "worker" || req.Qualifier != "live" || req.Type != lambda.Event || req.Trigger != "sns:orders" || req.TraceID != trace {
		t.Fatalf("request = %+v", req)
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(req.Payload, &ev); err != nil {
		t.Fatalf("payload does not decode as events.SNSEvent: %v\n%s", err, req.Payload)
	}
	if len(ev.Records) != 1 {
		t.Fatalf("records = %d", len(ev.Records))
	}
	r := ev.Records[0]
	if r.EventSource != "aws:sns" || r.EventVersion != "1.0" || r.EventSubscriptionArn != *sub.SubscriptionArn {
		t.Fatalf("record = %+v", r)
	}
	s := r.SNS
	checks := map[string][2]string{
		"Type":             {s.Type, "Notification"},
		"MessageId":        {s.MessageID, *out.MessageId},
		"TopicArn":         {s.TopicArn, arn},
		"Subject":          {s.Subject, "Greeting"},
		"Message":          {s.Message, `Hello <&> "SNS"`},
		"SignatureVersion": {s.SignatureVersion, "1"},
		"SigningCertUrl":   {s.SigningCertURL, e.url + ExtraPrefix + e.svc.signer.certName},
		"UnsubscribeUrl":   {s.UnsubscribeURL, e.url + ExtraPrefix + "?Action=Unsubscribe&SubscriptionArn=" + *sub.SubscriptionArn},
	}
	for k, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", k, v[0], v[1])
		}
	}
	if s.Timestamp.Before(before) || time.Since(s.Timestamp) > time.Minute {
		t.Errorf("Timestamp = %v", s.Timestamp)
	}
	wantAttrs := map[string]any{
		"color":  map[string]any{"Type": "String", "Value": "red"},
		"price":  map[string]any{"Type": "Number", "Value": "99.12"},
		"sizes":  map[string]any{"Type": "String.Array", "Value": `["S","M",3]`},
		"blob":   map[string]any{"Type": "Binary", "Value": base64.StdEncoding.EncodeToString([]byte{0, 1, 2})},
		"custom": map[string]any{"Type": "String.custom", "Value": "c"},
	}
	gotAttrs, _ := json.Marshal(s.MessageAttributes)
	wantJSON, _ := json.Marshal(wantAttrs)
	if string(gotAttrs) != string(wantJSON) {
		t.Errorf("MessageAttributes = %s, want %s", gotAttrs, wantJSON)
	}
	// Raw shape: key order, Url spelling, timestamp format, no HTML escaping.
	raw := string(req.Payload)
	for _, frag := range []string{`{"Records":[{"EventSource":"aws:sns","EventVersion":"1.0","EventSubscriptionArn":`, `"Sns":{"Type":"Notification","MessageId":`,
		`"Message":"Hello <&> \"SNS\""`, `"SigningCertUrl":`, `"UnsubscribeUrl":`} {
		if !strings.Contains(raw, frag) {
			t.Errorf("payload lacks %s:\n%s", frag, raw)
		}
	}
	if ts := stringFields(t, mustSns(t, req.Payload))["Timestamp"]; len(ts) != len("2006-01-02T15:04:05.000Z") || !strings.HasSuffix(ts, "Z") {
		t.Errorf("Timestamp text %q", ts)
	}
	// The signature verifies like an HTTP notification's.
	fields := stringFields(t, mustSns(t, req.Payload))
	fields["SigningCertURL"] = fields["SigningCertUrl"]
	if err := verifySignature(fields); err != nil {
		t.Errorf("lambda event signature: %v", err)
	}
	// Telemetry: one published, one delivered with the trace id.
	var gotPub, gotDel bool
	deadline := time.After(5 * time.Second)
	for !gotPub || !gotDel {
		select {
		case ev := <-events_:
			switch x := ev.(type) {
			case telemetry.SNSPublished:
				gotPub = x.MessageID == *out.MessageId && x.TraceID == trace && x.Topic == arn
			case telemetry.SNSDelivered:
				gotDel = x.MessageID == *out.MessageId && x.Err == "" && x.Attempt == 1 && x.Protocol == "lambda" && x.TraceID == trace
			}
		case <-deadline:
			t.Fatalf("telemetry published=%v delivered=%v", gotPub, gotDel)
		}
	}
}

func mustSns(t *testing.T, payload []byte) []byte {
	var ev struct {
		Records []struct{ Sns json.RawMessage }
	}
	if err := json.Unmarshal(payload, &ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("payload %s: %v", payload, err)
	}
	return ev.Records[0].Sns
}

func TestLambdaEventNullSubjectAndStructure(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "plain", nil)
	_, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"), Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	req := e.inv.wait(t)
	if !strings.Contains(string(req.Payload), `"Subject":null`) || !strings.Contains(string(req.Payload), `"MessageAttributes":{}`) {
		t.Fatalf("payload %s", req.Payload)
	}
	_, err = e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), MessageStructure: aws.String("json"),
		Message:           aws.String(`{"default":"dflt","lambda":"for lambda","http":"for http"}`),
		MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	req = e.inv.wait(t)
	var ev events.SNSEvent
	_ = json.Unmarshal(req.Payload, &ev)
	if ev.Records[0].SNS.Message != "for lambda" || len(ev.Records[0].SNS.MessageAttributes) != 0 {
		t.Fatalf("structured delivery = %+v", ev.Records[0].SNS)
	}
}

func TestLambdaRetriesThrottlingNotClientErrors(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RetryScale = 0.0001 })
	arn := e.createTopic(t, "retry", nil)
	_, _ = e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"), Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")})
	e.inv.err = func(n int) error {
		switch n {
		case 1, 2:
			return awsapi.Errorf(http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
		case 4:
			return awsapi.Errorf(http.StatusNotFound, "ResourceNotFoundException", "Function not found")
		}
		return nil
	}
	_, _ = e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("one")})
	e.inv.wait(t)
	if n := e.inv.calls(); n != 3 {
		t.Fatalf("throttled delivery took %d calls, want 3", n)
	}
	_, _ = e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("two")})
	e.waitTopic(t, "retry", func(ti TopicInfo) bool { return ti.Failed == 1 })
	if n := e.inv.calls(); n != 4 {
		t.Fatalf("client error was retried: %d calls", n)
	}
	ti := e.svc.Topics()
	if len(ti) != 1 || ti[0].Published != 2 || ti[0].Delivered != 1 || ti[0].Failed != 1 || ti[0].Subscriptions != 1 {
		t.Fatalf("Topics() = %+v", ti)
	}
}

// subscriber is an HTTP endpoint that records what SNS sends.
type subscriber struct {
	srv  *httptest.Server
	mu   sync.Mutex
	fail int // answer 500 to this many requests first
	got  chan received
}

type received struct {
	header http.Header
	body   []byte
}

func newSubscriber(t *testing.T) *subscriber {
	s := &subscriber{got: make(chan received, 100)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		fail := s.fail > 0
		if fail {
			s.fail--
		}
		s.mu.Unlock()
		s.got <- received{r.Header.Clone(), b}
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *subscriber) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-s.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("subscriber received nothing")
	}
	return received{}
}

func TestHTTPSubscriberConfirmsAndVerifies(t *testing.T) {
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion"+version, func(t *testing.T) {
			e := newEnv(t, nil)
			arn := e.createTopic(t, "web", map[string]string{"SignatureVersion": version})
			sub := newSubscriber(t)
			endpoint := sub.srv.URL + "/hook?x=1"
			out, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("http"), Endpoint: aws.String(endpoint)})
			if err != nil || *out.SubscriptionArn != "pending confirmation" {
				t.Fatalf("Subscribe = %v, %v", aws.ToString(out.SubscriptionArn), err)
			}
			// Nothing is delivered while pending.
			if _, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("early")}); err != nil {
				t.Fatal(err)
			}
			conf := sub.next(t)
			if conf.header.Get("x-amz-sns-message-type") != "SubscriptionConfirmation" || conf.header.Get("x-amz-sns-topic-arn") != arn ||
				conf.header.Get("x-amz-sns-subscription-arn") != "" || conf.header.Get("User-Agent") != "Amazon Simple Notification Service Agent" ||
				conf.header.Get("Content-Type") != "text/plain; charset=UTF-8" || conf.header.Get("x-amz-sns-message-id") == "" {
				t.Fatalf("confirmation headers %v", conf.header)
			}
			wantOrder(t, conf.body, "Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL")
			cf := stringFields(t, conf.body)
			if cf["SignatureVersion"] != version {
				t.Fatalf("SignatureVersion %s", cf["SignatureVersion"])
			}
			if err := verifySignature(cf); err != nil {
				t.Fatalf("confirmation signature: %v", err)
			}
			resp, err := http.Get(cf["SubscribeURL"])
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), "<ConfirmSubscriptionResult><SubscriptionArn>"+arn+":") {
				t.Fatalf("SubscribeURL answered %d %s", resp.StatusCode, body)
			}

			pub, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("hello"), Subject: aws.String("subj"),
				MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("5")}}})
			if err != nil {
				t.Fatal(err)
			}
			n := sub.next(t)
			nf := stringFields(t, n.body)
			if nf["MessageId"] != *pub.MessageId || nf["Message"] != "hello" || nf["Subject"] != "subj" || nf["Type"] != "Notification" {
				t.Fatalf("notification %s", n.body)
			}
			wantOrder(t, n.body, "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes")
			if !strings.Contains(string(n.body), `"MessageAttributes":{"n":{"Type":"Number","Value":"5"}}`) {
				t.Errorf("attributes in %s", n.body)
			}
			if n.header.Get("x-amz-sns-message-type") != "Notification" || n.header.Get("x-amz-sns-message-id") != *pub.MessageId ||
				!strings.HasPrefix(n.header.Get("x-amz-sns-subscription-arn"), arn+":") || n.header.Get("x-amz-sns-rawdelivery") != "" {
				t.Fatalf("notification headers %v", n.header)
			}
			if err := verifySignature(nf); err != nil {
				t.Fatalf("notification signature: %v", err)
			}
			nf["Message"] = "tampered"
			if verifySignature(nf) == nil {
				t.Fatal("verifier accepted a tampered message")
			}

			// UnsubscribeURL removes the subscription and sends an UnsubscribeConfirmation.
			resp, err = http.Get(nf["UnsubscribeURL"])
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("UnsubscribeURL answered %d", resp.StatusCode)
			}
			u := sub.next(t)
			uf := stringFields(t, u.body)
			if uf["Type"] != "UnsubscribeConfirmation" || !strings.HasPrefix(uf["Message"], "You have chosen to deactivate subscription "+arn+":") ||
				u.header.Get("x-amz-sns-subscription-arn") == "" {
				t.Fatalf("unsubscribe confirmation %s", u.body)
			}
			if err := verifySignature(uf); err != nil {
				t.Fatalf("unsubscribe confirmation signature: %v", err)
			}
			if subs := e.svc.Subscriptions(); len(subs) != 0 {
				t.Fatalf("still subscribed: %+v", subs)
			}
		})
	}
}

// wantOrder checks that the JSON object's top-level keys are exactly keys, in order.
func wantOrder(t *testing.T, body []byte, keys ...string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", body)
	}
	var got []string
	for dec.More() {
		k, _ := dec.Token()
		got = append(got, k.(string))
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("keys %v, want %v", got, keys)
	}
}

func TestHTTPConfirmSubscriptionActionAndRawRetries(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RetryScale = 0.0001 })
	arn := e.createTopic(t, "raw", nil)
	sub := newSubscriber(t)
	out, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("http"), Endpoint: aws.String(sub.srv.URL),
		Attributes: map[string]string{"RawMessageDelivery": "true",
			"DeliveryPolicy": `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":2},"requestPolicy":{"headerContentType":"application/json"}}`},
		ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	conf := stringFields(t, sub.next(t).body)
	c, err := e.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: aws.String(arn), Token: aws.String(conf["Token"])})
	if err != nil || *c.SubscriptionArn != *out.SubscriptionArn {
		t.Fatalf("ConfirmSubscription = %v, %v", aws.ToString(c.SubscriptionArn), err)
	}
	attrs, _ := e.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
	if attrs.Attributes["PendingConfirmation"] != "false" || attrs.Attributes["ConfirmationWasAuthenticated"] != "true" {
		t.Fatalf("after confirm: %v", attrs.Attributes)
	}
	sub.mu.Lock()
	sub.fail = 2
	sub.mu.Unlock()
	pub, _ := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(`{"raw":true}`)})
	for i := 0; i < 3; i++ {
		r := sub.next(t)
		if string(r.body) != `{"raw":true}` || r.header.Get("x-amz-sns-rawdelivery") != "true" || r.header.Get("Content-Type") != "application/json" ||
			r.header.Get("x-amz-sns-message-id") != *pub.MessageId {
			t.Fatalf("attempt %d: %v %s", i+1, r.header, r.body)
		}
	}
	e.waitTopic(t, "raw", func(ti TopicInfo) bool { return ti.Delivered == 1 && ti.Failed == 0 })
	_ = e.svc.Close()
	select {
	case r := <-sub.got:
		t.Fatalf("unexpected extra request %s", r.body)
	default:
	}

	// Retries exhausted: numRetries 2 means three attempts, then failure.
	e2 := newEnv(t, func(o *Options) { o.RetryScale = 0.0001; o.AutoConfirm = true })
	arn2 := e2.createTopic(t, "down", nil)
	sub2 := newSubscriber(t)
	sub2.fail = 1000
	_, err = e2.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn2), Protocol: aws.String("http"), Endpoint: aws.String(sub2.srv.URL),
		Attributes: map[string]string{"DeliveryPolicy": `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":2}}`}})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = e2.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn2), Message: aws.String("x")})
	e2.waitTopic(t, "down", func(ti TopicInfo) bool { return ti.Failed == 1 })
	if n := len(sub2.got); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
}

func TestFilterPoliciesRoute(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "routed", nil)
	fnA := "arn:aws:lambda:us-east-1:000000000000:function:reds"
	fnB := "arn:aws:lambda:us-east-1:000000000000:function:big"
	mustSub := func(fn string, attrs map[string]string) {
		if _, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"), Endpoint: aws.String(fn), Attributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
	mustSub(fnA, map[string]string{"FilterPolicy": `{"color":["red"]}`})
	mustSub(fnB, map[string]string{"FilterPolicy": `{"order":{"total":[{"numeric":[">",100]}]}}`, "FilterPolicyScope": "MessageBody"})
	pub := func(msg string, color string) {
		in := &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(msg)}
		if color != "" {
			in.MessageAttributes = map[string]types.MessageAttributeValue{"color": {DataType: aws.String("String"), StringValue: aws.String(color)}}
		}
		if _, err := e.client.Publish(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	pub(`{"order":{"total":5}}`, "red")    // A only
	pub(`{"order":{"total":500}}`, "blue") // B only
	pub(`{"order":{"total":1}}`, "green")  // nobody
	pub(`{"order":{"total":101}}`, "red")  // both
	e.waitTopic(t, "routed", func(ti TopicInfo) bool { return ti.Delivered == 4 })
	_ = e.svc.Close()
	got := map[string][]string{}
	for _, r := range e.inv.reqs {
		var ev events.SNSEvent
		_ = json.Unmarshal(r.Payload, &ev)
		got[r.Function] = append(got[r.Function], ev.Records[0].SNS.Message)
	}
	if len(got["reds"]) != 2 || len(got["big"]) != 2 || len(e.inv.reqs) != 4 {
		t.Fatalf("deliveries %v", got)
	}
	for _, m := range got["big"] {
		if m == `{"order":{"total":5}}` || m == `{"order":{"total":1}}` {
			t.Fatalf("body filter let %s through", m)
		}
	}
}

func TestAutoConfirm(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AutoConfirm = true })
	arn := e.createTopic(t, "auto", nil)
	sub := newSubscriber(t)
	out, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("http"), Endpoint: aws.String(sub.srv.URL)})
	if err != nil || strings.Contains(*out.SubscriptionArn, "pending") {
		t.Fatalf("Subscribe = %v, %v", aws.ToString(out.SubscriptionArn), err)
	}
	_, _ = e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")})
	if r := sub.next(t); r.header.Get("x-amz-sns-message-type") != "Notification" {
		t.Fatalf("first request %v", r.header)
	}
}

func TestPublishDoesNotWaitForDelivery(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "slow", nil)
	release := make(chan struct{})
	e.inv.err = func(int) error { <-release; return nil }
	_, _ = e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"), Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")})
	done := make(chan error, 1)
	go func() {
		_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a delivery that had not finished")
	}
	close(release)
}

func withHeader(k, v string) func(*smithymw.Stack) error {
	return func(st *smithymw.Stack) error {
		return st.Build.Add(smithymw.BuildMiddlewareFunc("slsxTestHeader", func(ctx context.Context, in smithymw.BuildInput, next smithymw.BuildHandler) (smithymw.BuildOutput, smithymw.Metadata, error) {
			if r, ok := in.Request.(*smithyhttp.Request); ok {
				r.Header.Set(k, v)
			}
			return next.HandleBuild(ctx, in)
		}), smithymw.After)
	}
}
