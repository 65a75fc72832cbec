// Package events builds sample Lambda events (API Gateway HTTP and REST,
// SNS, DynamoDB Streams) for `slsx events generate`. Each is an
// aws-lambda-go events type filled in the way AWS fills it, then
// marshalled, so the JSON is exactly what a handler receives.
package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
)

// Kinds are the event kinds Generate knows, in the order shown to users.
var Kinds = []string{"apigw-http", "apigw-rest", "sns", "dynamodb-stream"}

// Identity of the emulated account, as slsx uses everywhere.
const (
	account = "000000000000"
	region  = "us-east-1"
)

// Options set the parts of an event; empty fields get sensible defaults.
type Options struct {
	// API Gateway
	Method  string   // default GET
	Path    string   // default /
	Route   string   // route template, e.g. "/users/{id}" or "GET /users/{id}": sets pathParameters and the route key
	Body    string   // request body
	Headers []string // "Name: value"
	Query   string   // "a=1&b=2"
	Stage   string   // REST stage, default Prod

	// SNS
	Topic      string   // name or ARN, default "topic"
	Message    string   // default {}
	Subject    string   // optional
	Attributes []string // "name=value" String message attributes

	// DynamoDB Streams
	Table     string // default "table"
	Keys      string // JSON object, plain or DynamoDB JSON
	NewImage  string
	OldImage  string
	EventName string // INSERT, MODIFY or REMOVE; default from the images given
	View      string // stream view type, default NEW_AND_OLD_IMAGES

	Now time.Time // default time.Now()
}

// Generate returns the event of the given kind as indented JSON.
func Generate(kind string, o Options) ([]byte, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	var v any
	var err error
	switch kind {
	case "apigw-http":
		v, err = httpEvent(o)
	case "apigw-rest":
		v, err = restEvent(o)
	case "sns":
		v, err = snsEvent(o)
	case "dynamodb-stream":
		v, err = streamEvent(o)
	default:
		return nil, fmt.Errorf("no event kind %q; use one of %s", kind, strings.Join(Kinds, ", "))
	}
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(v, "", "  ")
}

// request is what both API Gateway payloads are built from.
type request struct {
	method, path, route string
	headers             map[string][]string // canonical (as given) name -> values
	names               []string            // header names in order given
	query               url.Values
	rawQuery            string
	params              map[string]string
}

func parseRequest(o Options) (*request, error) {
	r := &request{method: strings.ToUpper(o.Method), path: o.Path, headers: map[string][]string{}}
	if r.method == "" {
		r.method = "GET"
	}
	if r.path == "" {
		r.path = "/"
	}
	if !strings.HasPrefix(r.path, "/") {
		return nil, fmt.Errorf("--path %q must start with '/'", o.Path)
	}
	if p, q, ok := strings.Cut(r.path, "?"); ok {
		r.path = p
		if o.Query == "" {
			o.Query = q
		}
	}
	for _, h := range o.Headers {
		k, v, ok := strings.Cut(h, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("header %q: use 'Name: value'", h)
		}
		if _, seen := r.headers[k]; !seen {
			r.names = append(r.names, k)
		}
		r.headers[k] = append(r.headers[k], strings.TrimSpace(v))
	}
	if o.Body != "" && !r.has("content-type") {
		r.add("content-type", "application/json")
	}
	if !r.has("host") {
		r.add("host", "localhost:3000")
	}
	if !r.has("user-agent") {
		r.add("user-agent", "slsx")
	}
	q, err := url.ParseQuery(o.Query)
	if err != nil {
		return nil, fmt.Errorf("--query %q: %w", o.Query, err)
	}
	r.query, r.rawQuery = q, o.Query
	r.route = r.path
	if o.Route != "" {
		route := o.Route
		if m, p, ok := strings.Cut(route, " "); ok {
			if o.Method == "" {
				r.method = strings.ToUpper(m)
			}
			route = p
		}
		params, ok := matchRoute(route, r.path)
		if !ok {
			return nil, fmt.Errorf("--path %s does not match --route %s", r.path, route)
		}
		r.route, r.params = route, params
	}
	return r, nil
}

func (r *request) has(name string) bool {
	for _, n := range r.names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

func (r *request) add(name, value string) {
	r.names = append(r.names, name)
	r.headers[name] = []string{value}
}

// matchRoute matches path against an API Gateway route template and
// returns its path parameters.
func matchRoute(route, path string) (map[string]string, bool) {
	rs := strings.Split(strings.Trim(route, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	for i, seg := range rs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "+}") {
			if i >= len(ps) {
				return nil, false
			}
			params[seg[1:len(seg)-2]] = strings.Join(ps[i:], "/")
			return params, true
		}
		if i >= len(ps) {
			return nil, false
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			v, err := url.PathUnescape(ps[i])
			if err != nil {
				v = ps[i]
			}
			params[seg[1:len(seg)-1]] = v
		} else if seg != ps[i] {
			return nil, false
		}
	}
	return params, len(rs) == len(ps)
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func httpEvent(o Options) (*events.APIGatewayV2HTTPRequest, error) {
	r, err := parseRequest(o)
	if err != nil {
		return nil, err
	}
	e := &events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: r.path, RawQueryString: r.rawQuery,
		Headers: map[string]string{}, PathParameters: nilIfEmpty(r.params), Body: o.Body,
	}
	if o.Route != "" {
		e.RouteKey = r.method + " " + r.route
	}
	// HTTP APIs lower-case header names and join repeated ones with commas;
	// cookies move to their own field.
	for _, n := range r.names {
		k := strings.ToLower(n)
		if k == "cookie" {
			for _, v := range r.headers[n] {
				for _, c := range strings.Split(v, ";") {
					e.Cookies = append(e.Cookies, strings.TrimSpace(c))
				}
			}
			continue
		}
		if prev, ok := e.Headers[k]; ok {
			e.Headers[k] = prev + "," + strings.Join(r.headers[n], ",")
		} else {
			e.Headers[k] = strings.Join(r.headers[n], ",")
		}
	}
	if len(r.query) > 0 {
		e.QueryStringParameters = map[string]string{}
		for k, vs := range r.query {
			e.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	e.RequestContext = events.APIGatewayV2HTTPRequestContext{
		RouteKey: e.RouteKey, AccountID: account, Stage: "$default", RequestID: uuid.NewString(),
		APIID: "local", DomainName: "localhost", DomainPrefix: "localhost",
		Time: o.Now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: o.Now.UnixMilli(),
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
			Method: r.method, Path: r.path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: e.Headers["user-agent"],
		},
	}
	return e, nil
}

func restEvent(o Options) (*events.APIGatewayProxyRequest, error) {
	r, err := parseRequest(o)
	if err != nil {
		return nil, err
	}
	stage := o.Stage
	if stage == "" {
		stage = "Prod"
	}
	e := &events.APIGatewayProxyRequest{
		Resource: r.route, Path: r.path, HTTPMethod: r.method, Body: o.Body,
		Headers: map[string]string{}, MultiValueHeaders: map[string][]string{},
		PathParameters: nilIfEmpty(r.params),
	}
	// REST keeps header names as sent; the single-value map has the last value.
	for _, n := range r.names {
		vs := r.headers[n]
		e.Headers[n] = vs[len(vs)-1]
		e.MultiValueHeaders[n] = vs
	}
	if len(r.query) > 0 {
		e.QueryStringParameters = map[string]string{}
		e.MultiValueQueryStringParameters = map[string][]string{}
		for k, vs := range r.query {
			e.QueryStringParameters[k] = vs[len(vs)-1]
			e.MultiValueQueryStringParameters[k] = vs
		}
	}
	e.RequestContext = events.APIGatewayProxyRequestContext{
		AccountID: account, ResourceID: "local", Stage: stage, RequestID: uuid.NewString(),
		ResourcePath: r.route, HTTPMethod: r.method, APIID: "local", Path: "/" + stage + r.path,
		RequestTime: o.Now.Format("02/Jan/2006:15:04:05 -0700"), RequestTimeEpoch: o.Now.UnixMilli(),
		DomainName: "localhost", Protocol: "HTTP/1.1",
		Identity: events.APIGatewayRequestIdentity{SourceIP: "127.0.0.1", UserAgent: e.Headers["user-agent"]},
	}
	return e, nil
}

func snsEvent(o Options) (*events.SNSEvent, error) {
	topic := o.Topic
	if topic == "" {
		topic = "topic"
	}
	if !strings.HasPrefix(topic, "arn:") {
		topic = "arn:aws:sns:" + region + ":" + account + ":" + topic
	}
	msg := o.Message
	if msg == "" {
		msg = "{}"
	}
	attrs := map[string]any{}
	for _, a := range o.Attributes {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("attribute %q: use name=value", a)
		}
		attrs[k] = map[string]any{"Type": "String", "Value": v}
	}
	id := uuid.NewString()
	return &events.SNSEvent{Records: []events.SNSEventRecord{{
		EventVersion: "1.0", EventSource: "aws:sns",
		EventSubscriptionArn: topic + ":" + uuid.NewString(),
		SNS: events.SNSEntity{
			Type: "Notification", MessageID: id, TopicArn: topic, Subject: o.Subject, Message: msg,
			Timestamp: o.Now.Truncate(time.Millisecond), SignatureVersion: "1", Signature: "EXAMPLE",
			SigningCertURL:    "https://sns." + region + ".amazonaws.com/SimpleNotificationService-local.pem",
			UnsubscribeURL:    "https://sns." + region + ".amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + topic,
			MessageAttributes: attrs,
		},
	}}}, nil
}

func streamEvent(o Options) (*events.DynamoDBEvent, error) {
	table := o.Table
	if table == "" {
		table = "table"
	}
	if o.Keys == "" {
		return nil, fmt.Errorf("--keys is required, e.g. --keys '{\"id\":\"42\"}'")
	}
	keys, err := image(o.Keys, "--keys")
	if err != nil {
		return nil, err
	}
	newImg, err := image(o.NewImage, "--new-image")
	if err != nil {
		return nil, err
	}
	oldImg, err := image(o.OldImage, "--old-image")
	if err != nil {
		return nil, err
	}
	name := strings.ToUpper(o.EventName)
	switch {
	case name == "" && newImg != nil && oldImg != nil:
		name = "MODIFY"
	case name == "" && oldImg != nil:
		name = "REMOVE"
	case name == "":
		name = "INSERT"
	case name != "INSERT" && name != "MODIFY" && name != "REMOVE":
		return nil, fmt.Errorf("--event-name %q: use INSERT, MODIFY or REMOVE", o.EventName)
	}
	view := o.View
	if view == "" {
		view = "NEW_AND_OLD_IMAGES"
	}
	switch view {
	case "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES":
	default:
		return nil, fmt.Errorf("--view %q: use KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES", o.View)
	}
	seq := strconv.FormatInt(o.Now.UnixNano(), 10)
	size := len(o.Keys) + len(o.NewImage) + len(o.OldImage)
	return &events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
		AWSRegion: region, EventID: strings.ReplaceAll(uuid.NewString(), "-", ""), EventName: name,
		EventSource: "aws:dynamodb", EventVersion: "1.1",
		EventSourceArn: "arn:aws:dynamodb:" + region + ":" + account + ":table/" + table + "/stream/" + o.Now.Format("2006-01-02T15:04:05.000"),
		Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: o.Now.Truncate(time.Second)},
			Keys:                        keys, NewImage: newImg, OldImage: oldImg,
			SequenceNumber: seq, SizeBytes: int64(size), StreamViewType: view,
		},
	}}}, nil
}

// image reads an item written as plain JSON ({"id":"42","n":3}) or as
// DynamoDB JSON ({"id":{"S":"42"}}).
func image(s, flag string) (map[string]events.DynamoDBAttributeValue, error) {
	if s == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var plain map[string]any
	if err := dec.Decode(&plain); err != nil || plain == nil {
		return nil, fmt.Errorf("%s must be a JSON object", flag)
	}
	ddb := plain
	if !isDynamoJSON(plain) {
		ddb = map[string]any{}
		for k, v := range plain {
			ddb[k] = toDynamo(v)
		}
	}
	b, _ := json.Marshal(ddb)
	var out map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return out, nil
}

var typeKeys = map[string]bool{"S": true, "N": true, "B": true, "BOOL": true, "NULL": true, "M": true, "L": true, "SS": true, "NS": true, "BS": true}

func isDynamoJSON(m map[string]any) bool {
	for _, v := range m {
		av, ok := v.(map[string]any)
		if !ok || len(av) != 1 {
			return false
		}
		for k := range av {
			if !typeKeys[k] {
				return false
			}
		}
	}
	return len(m) > 0
}

func toDynamo(v any) any {
	switch t := v.(type) {
	case nil:
		return map[string]any{"NULL": true}
	case bool:
		return map[string]any{"BOOL": t}
	case json.Number:
		return map[string]any{"N": t.String()}
	case string:
		return map[string]any{"S": t}
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = toDynamo(x)
		}
		return map[string]any{"L": l}
	case map[string]any:
		m := map[string]any{}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			m[k] = toDynamo(t[k])
		}
		return map[string]any{"M": m}
	}
	var b bytes.Buffer
	fmt.Fprint(&b, v)
	return map[string]any{"S": b.String()}
}
