package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/sns/filter"
	"github.com/slsx/slsx/emulator/telemetry"
)

// timestampLayout is SNS's timestamp format (RFC 3339, milliseconds, Z).
const timestampLayout = "2006-01-02T15:04:05.000Z"

// awsManagedPolicy is SNS's fixed retry schedule for Lambda (and SQS)
// endpoints: 3 immediate, 2 at 1 s, 10 backing off exponentially from 1 s
// to 20 s, then 100,000 at 20 s.
var awsManagedPolicy = retryPolicy{
	MinDelayTarget: 1, MaxDelayTarget: 20, NumNoDelayRetries: 3, NumMinDelayRetries: 2,
	NumMaxDelayRetries: 100000, NumRetries: 3 + 2 + 10 + 100000, BackoffFunction: "exponential",
}

// target is a snapshot of what a delivery needs from a subscription.
type target struct {
	subARN, protocol, endpoint string
	raw                        bool
	topicDP, subDP             string
	sigVersion                 string
}

// fanOut starts one asynchronous delivery per confirmed subscription whose
// filter policy matches. It never blocks on delivery.
func (s *Service) fanOut(t *topic, m *message) {
	type job struct {
		tg   target
		body string
	}
	var jobs []job
	s.mu.Lock()
	sigVersion := t.Attrs["SignatureVersion"]
	topicDP := t.Attrs["DeliveryPolicy"]
	var filterAttrs map[string]filter.Attribute // built for the first filter policy only
	for _, sub := range s.subs {
		if sub.TopicARN != t.ARN || sub.Pending {
			continue
		}
		body := m.bodyFor(sub.Protocol)
		if sub.policy != nil {
			if filterAttrs == nil {
				filterAttrs = m.filterAttrs()
			}
			if !sub.policy.Match(filterAttrs, []byte(body)) {
				continue
			}
		}
		jobs = append(jobs, job{target{
			subARN: sub.ARN, protocol: sub.Protocol, endpoint: sub.Endpoint,
			raw: sub.Attrs["RawMessageDelivery"] == "true", topicDP: topicDP,
			subDP: sub.Attrs["DeliveryPolicy"], sigVersion: sigVersion,
		}, body})
	}
	if s.closed.Load() {
		s.mu.Unlock()
		return
	}
	s.wg.Add(len(jobs))
	s.mu.Unlock()
	for _, j := range jobs {
		go func() {
			defer s.wg.Done()
			s.deliver(t, m, j.tg, j.body)
		}()
	}
}

func (s *Service) deliver(t *topic, m *message, tg target, body string) {
	var err error
	switch tg.protocol {
	case "lambda":
		err = s.deliverLambda(m, tg, body)
	case "http", "https":
		err = s.deliverHTTP(m, tg, body)
	default:
		err = fmt.Errorf("%s delivery is not emulated by slsx", tg.protocol)
		s.delivered(m, tg, 1, err)
	}
	if err != nil {
		t.failed.Add(1)
		s.log.Warn("sns delivery failed", "topic", t.ARN, "subscription", tg.subARN, "err", err)
		return
	}
	t.delivered.Add(1)
}

func (s *Service) delivered(m *message, tg target, attempt int, err error) {
	e := telemetry.SNSDelivered{
		At: telemetry.Now(), Topic: m.TopicARN, Subscription: tg.subARN, Protocol: tg.protocol,
		Endpoint: tg.endpoint, MessageID: m.ID, TraceID: m.TraceID, Attempt: attempt,
	}
	if err != nil {
		e.Err = err.Error()
	}
	s.opts.Bus.Publish(e)
}

// retry runs try until it succeeds, fails permanently, the policy's
// retries are used up, or the service closes.
func (s *Service) retry(p retryPolicy, m *message, tg target, try func() (retryable bool, err error)) error {
	for attempt := 1; ; attempt++ {
		retryable, err := try()
		s.delivered(m, tg, attempt, err)
		if err == nil || !retryable {
			return err
		}
		d, ok := p.delay(attempt-1, s.opts.RetryScale)
		if !ok {
			return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		select {
		case <-s.ctx.Done():
			return fmt.Errorf("%w (shutdown before retry)", err)
		case <-time.After(d):
		}
	}
}

func (s *Service) urls(subARN string) (certURL, unsubURL string) {
	return s.opts.PublicURL + ExtraPrefix + s.signer.certName,
		s.opts.PublicURL + ExtraPrefix + "?Action=Unsubscribe&SubscriptionArn=" + subARN
}

// notificationFields are the signed fields of a Notification.
func notificationFields(m *message, body string) map[string]string {
	f := map[string]string{
		"Message": body, "MessageId": m.ID, "Timestamp": m.Timestamp.Format(timestampLayout),
		"TopicArn": m.TopicARN, "Type": "Notification",
	}
	if m.HasSubject {
		f["Subject"] = m.Subject
	}
	return f
}

type attrValue struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

func attrMap(attrs []msgAttr) map[string]attrValue {
	out := make(map[string]attrValue, len(attrs))
	for _, a := range attrs {
		out[a.Name] = attrValue{Type: a.Type, Value: a.Value}
	}
	return out
}

// lambdaEvent is events.SNSEvent with AWS's field order and a nullable
// Subject.
type lambdaEvent struct {
	Records []lambdaRecord `json:"Records"`
}

type lambdaRecord struct {
	EventSource          string    `json:"EventSource"`
	EventVersion         string    `json:"EventVersion"`
	EventSubscriptionArn string    `json:"EventSubscriptionArn"`
	Sns                  lambdaSNS `json:"Sns"`
}

type lambdaSNS struct {
	Type              string               `json:"Type"`
	MessageID         string               `json:"MessageId"`
	TopicArn          string               `json:"TopicArn"`
	Subject           *string              `json:"Subject"`
	Message           string               `json:"Message"`
	Timestamp         string               `json:"Timestamp"`
	SignatureVersion  string               `json:"SignatureVersion"`
	Signature         string               `json:"Signature"`
	SigningCertURL    string               `json:"SigningCertUrl"`
	UnsubscribeURL    string               `json:"UnsubscribeUrl"`
	MessageAttributes map[string]attrValue `json:"MessageAttributes"`
}

func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // SNS does not escape <, > and &
	_ = enc.Encode(v)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// lambdaPayload builds the Lambda event. SNS reports SignatureVersion "1"
// in Lambda events whatever the topic setting (observed), so the
// signature is SHA1withRSA to stay verifiable against the reported version.
func (s *Service) lambdaPayload(m *message, subARN, body string) []byte {
	certURL, unsubURL := s.urls(subARN)
	sn := lambdaSNS{
		Type: "Notification", MessageID: m.ID, TopicArn: m.TopicARN, Message: body,
		Timestamp: m.Timestamp.Format(timestampLayout), SignatureVersion: "1",
		Signature:      s.signer.sign("1", notificationFields(m, body)),
		SigningCertURL: certURL, UnsubscribeURL: unsubURL,
		MessageAttributes: attrMap(m.deliveredAttrs()),
	}
	if m.HasSubject {
		sub := m.Subject
		sn.Subject = &sub
	}
	return marshal(lambdaEvent{Records: []lambdaRecord{{
		EventSource: "aws:sns", EventVersion: "1.0", EventSubscriptionArn: subARN, Sns: sn,
	}}})
}

// functionRef splits arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>].
func functionRef(arn string) (name, qualifier string) {
	p := strings.Split(arn, ":")
	if len(p) >= 7 {
		name = p[6]
	}
	if len(p) == 8 {
		qualifier = p[7]
	}
	return name, qualifier
}

func (s *Service) deliverLambda(m *message, tg target, body string) error {
	if s.opts.Invoker == nil {
		err := errors.New("no Lambda service is running")
		s.delivered(m, tg, 1, err)
		return err
	}
	name, qual := functionRef(tg.endpoint)
	payload := s.lambdaPayload(m, tg.subARN, body)
	return s.retry(awsManagedPolicy, m, tg, func() (bool, error) {
		_, err := s.opts.Invoker.Invoke(s.ctx, lambda.Request{
			Function: name, Qualifier: qual, Payload: payload, Type: lambda.Event,
			Trigger: "sns:" + m.TopicName, TraceID: m.TraceID,
		})
		if err == nil {
			return false, nil
		}
		// Throttling and service errors are retried; client errors
		// (function missing, permissions) are not (SNS guide, §9.2).
		var ae *awsapi.Error
		if errors.As(err, &ae) {
			return ae.Status == http.StatusTooManyRequests || ae.Status >= 500, err
		}
		return s.ctx.Err() == nil, err
	})
}

// notification is the HTTP/S (and SQS, email-json) envelope, keys in
// AWS's order.
type notification struct {
	Type              string               `json:"Type"`
	MessageID         string               `json:"MessageId"`
	TopicArn          string               `json:"TopicArn"`
	Subject           string               `json:"Subject,omitempty"`
	Message           string               `json:"Message"`
	Timestamp         string               `json:"Timestamp"`
	SignatureVersion  string               `json:"SignatureVersion"`
	Signature         string               `json:"Signature"`
	SigningCertURL    string               `json:"SigningCertURL"`
	UnsubscribeURL    string               `json:"UnsubscribeURL"`
	MessageAttributes map[string]attrValue `json:"MessageAttributes,omitempty"`
}

// confirmation is a SubscriptionConfirmation or UnsubscribeConfirmation.
type confirmation struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token"`
	TopicArn         string `json:"TopicArn"`
	Message          string `json:"Message"`
	SubscribeURL     string `json:"SubscribeURL"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
}

func sigVersion(v string) string {
	if v == "2" {
		return "2"
	}
	return "1"
}

func (s *Service) deliverHTTP(m *message, tg target, body string) error {
	var payload []byte
	if tg.raw {
		payload = []byte(body)
	} else {
		certURL, unsubURL := s.urls(tg.subARN)
		v := sigVersion(tg.sigVersion)
		n := notification{
			Type: "Notification", MessageID: m.ID, TopicArn: m.TopicARN, Message: body,
			Timestamp: m.Timestamp.Format(timestampLayout), SignatureVersion: v,
			Signature:      s.signer.sign(v, notificationFields(m, body)),
			SigningCertURL: certURL, UnsubscribeURL: unsubURL,
		}
		if m.HasSubject {
			n.Subject = m.Subject
		}
		if attrs := m.deliveredAttrs(); len(attrs) > 0 {
			n.MessageAttributes = attrMap(attrs)
		}
		payload = marshal(n)
	}
	headers := map[string]string{
		"x-amz-sns-message-type":     "Notification",
		"x-amz-sns-message-id":       m.ID,
		"x-amz-sns-topic-arn":        m.TopicARN,
		"x-amz-sns-subscription-arn": tg.subARN,
	}
	if tg.raw {
		headers["x-amz-sns-rawdelivery"] = "true"
	}
	return s.postWithRetry(m, tg, payload, headers)
}

func (s *Service) postWithRetry(m *message, tg target, payload []byte, headers map[string]string) error {
	rp, ct := resolveHTTPPolicy(tg.topicDP, tg.subDP)
	if m.TraceID != "" {
		headers["X-Amzn-Trace-Id"] = m.TraceID
	}
	return s.retry(rp, m, tg, func() (bool, error) {
		ctx, cancel := context.WithTimeout(s.ctx, httpDeliveryTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, tg.endpoint, bytes.NewReader(payload))
		if err != nil {
			return false, err
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
		req.Header.Set("Accept-Encoding", "gzip,deflate")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := s.client.Do(req)
		if err != nil {
			return s.ctx.Err() == nil, err
		}
		resp.Body.Close()
		// 2xx-4xx count as delivered; only 5xx is retried (SNS guide).
		if resp.StatusCode >= 500 {
			return true, fmt.Errorf("endpoint answered %s", resp.Status)
		}
		return false, nil
	})
}

// sendConfirmation POSTs a SubscriptionConfirmation or
// UnsubscribeConfirmation to an http/https subscriber, asynchronously.
func (s *Service) sendConfirmation(t *topic, sub *subscription, kind string) {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return
	}
	v := sigVersion(t.Attrs["SignatureVersion"])
	tg := target{subARN: sub.ARN, protocol: sub.Protocol, endpoint: sub.Endpoint, topicDP: t.Attrs["DeliveryPolicy"], subDP: sub.Attrs["DeliveryPolicy"], sigVersion: v}
	s.wg.Add(1)
	s.mu.Unlock()
	m := &message{ID: uuid.NewString(), TopicARN: t.ARN, TopicName: t.Name, Timestamp: time.Now().UTC()}
	text := "You have chosen to subscribe to the topic " + t.ARN + ".\nTo confirm the subscription, visit the SubscribeURL included in this message."
	if kind == "UnsubscribeConfirmation" {
		text = "You have chosen to deactivate subscription " + sub.ARN + ".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
	}
	c := confirmation{
		Type: kind, MessageID: m.ID, Token: sub.Token, TopicArn: t.ARN, Message: text,
		SubscribeURL:     s.opts.PublicURL + ExtraPrefix + "?Action=ConfirmSubscription&TopicArn=" + t.ARN + "&Token=" + sub.Token,
		Timestamp:        m.Timestamp.Format(timestampLayout),
		SignatureVersion: v, SigningCertURL: s.opts.PublicURL + ExtraPrefix + s.signer.certName,
	}
	c.Signature = s.signer.sign(v, map[string]string{
		"Message": c.Message, "MessageId": c.MessageID, "SubscribeURL": c.SubscribeURL,
		"Timestamp": c.Timestamp, "Token": c.Token, "TopicArn": c.TopicArn, "Type": c.Type,
	})
	headers := map[string]string{
		"x-amz-sns-message-type": kind,
		"x-amz-sns-message-id":   m.ID,
		"x-amz-sns-topic-arn":    t.ARN,
	}
	if kind == "UnsubscribeConfirmation" {
		headers["x-amz-sns-subscription-arn"] = sub.ARN
	}
	payload := marshal(c)
	go func() {
		defer s.wg.Done()
		if err := s.postWithRetry(m, tg, payload, headers); err != nil {
			s.log.Warn("sns confirmation not delivered", "subscription", sub.ARN, "kind", kind, "err", err)
		}
	}()
}
