// Package sns emulates Amazon SNS: topics, subscriptions, filter policies,
// publishing and delivery to Lambda functions and HTTP/S endpoints, served
// over the AWS query protocol on the AWS edge.
package sns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/sns/filter"
	"github.com/slsx/slsx/emulator/telemetry"
)

// DefaultRetryScale shrinks every delivery retry delay so that AWS's
// schedules (20 s between HTTP retries) play out in a local session's
// time: 20 s becomes 200 ms. The attempt counts stay AWS's.
const DefaultRetryScale = 0.01

// maxRequestBytes bounds a request body: PublishBatch carries up to ten
// 256 KB messages plus attributes, form-encoded (up to 3x).
const maxRequestBytes = 16 << 20

// ExtraPrefix is the path prefix slsx serves on the AWS edge for
// SubscribeURL, UnsubscribeURL and SigningCertURL.
const ExtraPrefix = "/_slsx/sns/"

// Options configures a Service.
type Options struct {
	Identity   awsapi.Identity
	Bus        *telemetry.Bus
	Invoker    lambda.Invoker
	DataDir    string // "" keeps everything in memory
	PublicURL  string // base URL of the AWS edge, e.g. http://127.0.0.1:4566
	HTTPClient *http.Client
	Logger     *slog.Logger
	// RetryScale multiplies delivery retry delays; 0 means DefaultRetryScale.
	RetryScale float64
	// AutoConfirm confirms http/https subscriptions at once instead of
	// sending a SubscriptionConfirmation and waiting.
	AutoConfirm bool
}

// Service is the SNS emulator. All state belongs to the value.
type Service struct {
	opts   Options
	log    *slog.Logger
	client *http.Client
	signer *signer
	store  *store

	mu     sync.Mutex
	topics map[string]*topic        // by ARN
	subs   map[string]*subscription // by ARN

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
}

type topic struct {
	ARN   string            `json:"arn"`
	Name  string            `json:"name"`
	Attrs map[string]string `json:"attributes"` // attributes as set (never the computed ones)
	Tags  map[string]string `json:"tags"`

	fifo      bool
	seq       uint64
	dedup     map[string]dedupEntry
	published atomic.Int64
	delivered atomic.Int64
	failed    atomic.Int64
}

type dedupEntry struct {
	at        time.Time
	messageID string
	seq       string
}

type subscription struct {
	ARN           string            `json:"arn"`
	TopicARN      string            `json:"topicArn"`
	Protocol      string            `json:"protocol"`
	Endpoint      string            `json:"endpoint"`
	Attrs         map[string]string `json:"attributes"`
	Pending       bool              `json:"pending"`
	Authenticated bool              `json:"authenticated"`
	Token         string            `json:"token"`
	Project       bool              `json:"project"` // created from slsx.yaml
	Created       time.Time         `json:"created"`

	policy *filter.Policy
}

// New builds a Service, loading persisted state from DataDir when set.
func New(opts Options) (*Service, error) {
	if opts.Identity.Account == "" {
		opts.Identity = awsapi.DefaultIdentity()
	}
	if opts.RetryScale <= 0 {
		opts.RetryScale = DefaultRetryScale
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	if opts.PublicURL == "" {
		opts.PublicURL = "http://127.0.0.1:4566"
	}
	s := &Service{
		opts:   opts,
		log:    opts.Logger,
		client: opts.HTTPClient,
		topics: map[string]*topic{},
		subs:   map[string]*subscription{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.client == nil {
		s.client = &http.Client{
			Timeout: httpDeliveryTimeout,
			// SNS does not follow redirects.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.store = &store{dir: opts.DataDir}
	st, err := s.store.load()
	if err != nil {
		return nil, err
	}
	if st.KeyPEM != "" {
		s.signer, err = loadSigner([]byte(st.KeyPEM), []byte(st.CertPEM))
		if err != nil {
			return nil, fmt.Errorf("load sns signing key: %w", err)
		}
	} else {
		s.signer, err = newSigner()
		if err != nil {
			return nil, err
		}
	}
	for _, t := range st.Topics {
		t.init()
		s.topics[t.ARN] = t
	}
	for _, sub := range st.Subscriptions {
		if _, ok := s.topics[sub.TopicARN]; !ok {
			continue
		}
		sub.policy, _ = parsePolicy(sub.Attrs)
		s.subs[sub.ARN] = sub
	}
	if st.KeyPEM == "" && opts.DataDir != "" {
		if err := s.save(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (t *topic) init() {
	if t.Attrs == nil {
		t.Attrs = map[string]string{}
	}
	if t.Tags == nil {
		t.Tags = map[string]string{}
	}
	t.fifo = t.Attrs["FifoTopic"] == "true"
	t.dedup = map[string]dedupEntry{}
	// Sequence numbers must grow across restarts; start from the clock.
	t.seq = uint64(time.Now().UnixNano())
}

func parsePolicy(attrs map[string]string) (*filter.Policy, error) {
	fp := attrs["FilterPolicy"]
	if fp == "" {
		return nil, nil
	}
	return filter.Parse([]byte(fp), attrs["FilterPolicyScope"])
}

// Close stops deliveries in flight and waits for them.
func (s *Service) Close() error {
	s.mu.Lock()
	already := s.closed.Swap(true)
	s.mu.Unlock()
	if already {
		return nil
	}
	s.cancel()
	s.wg.Wait()
	return nil
}

// request is one decoded API call.
type request struct {
	form    form
	http    *http.Request
	traceID string
	signed  bool
}

type action func(s *Service, r *request) (result, error)

// actions is the dispatch table: one entry per supported SNS action.
var actions = map[string]action{
	"CreateTopic":               (*Service).createTopic,
	"DeleteTopic":               (*Service).deleteTopic,
	"ListTopics":                (*Service).listTopics,
	"GetTopicAttributes":        (*Service).getTopicAttributes,
	"SetTopicAttributes":        (*Service).setTopicAttributes,
	"Subscribe":                 (*Service).subscribe,
	"ConfirmSubscription":       (*Service).confirmSubscription,
	"Unsubscribe":               (*Service).unsubscribe,
	"ListSubscriptions":         (*Service).listSubscriptions,
	"ListSubscriptionsByTopic":  (*Service).listSubscriptionsByTopic,
	"GetSubscriptionAttributes": (*Service).getSubscriptionAttributes,
	"SetSubscriptionAttributes": (*Service).setSubscriptionAttributes,
	"Publish":                   (*Service).publish,
	"PublishBatch":              (*Service).publishBatch,
	"TagResource":               (*Service).tagResource,
	"UntagResource":             (*Service).untagResource,
	"ListTagsForResource":       (*Service).listTagsForResource,
	"AddPermission":             (*Service).addPermission,
	"RemovePermission":          (*Service).removePermission,
	"GetDataProtectionPolicy":   (*Service).getDataProtectionPolicy,
	"PutDataProtectionPolicy":   (*Service).putDataProtectionPolicy,
}

// Handler serves the SNS query protocol (form POST, or GET with a query).
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, nil)
	})
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request, allowed map[string]bool) {
	rid := awsapi.RequestID()
	f, err := readForm(r)
	if err != nil {
		writeError(w, rid, err)
		return
	}
	name := f.get("Action")
	act, ok := actions[name]
	if !ok || (allowed != nil && !allowed[name]) {
		if name == "" {
			writeError(w, rid, awsapi.Errorf(http.StatusBadRequest, "MissingAction", "Missing Action"))
			return
		}
		writeError(w, rid, awsapi.Errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", name))
		return
	}
	req := &request{
		form:    f,
		http:    r,
		traceID: r.Header.Get("X-Amzn-Trace-Id"),
		signed:  strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-"),
	}
	res, err := act(s, req)
	if err != nil {
		var ae *awsapi.Error
		if !errors.As(err, &ae) {
			s.log.Error("sns action", "action", name, "err", err)
		}
		writeError(w, rid, err)
		return
	}
	writeResult(w, name, rid, res)
}

// readForm merges the URL query and a form-encoded body.
func readForm(r *http.Request) (form, error) {
	hasBody := r.Body != nil && r.Method != http.MethodGet
	if r.URL.RawQuery == "" && hasBody {
		// The common case (every SDK): everything is in the body.
		return readBodyForm(r)
	}
	f, err := decodeForm([]byte(r.URL.RawQuery))
	if err != nil {
		return form{}, errInvalidParameter("Invalid parameter: malformed query string")
	}
	if !hasBody {
		return f, nil
	}
	bf, err := readBodyForm(r)
	if err != nil {
		return form{}, err
	}
	for k, v := range bf.v {
		f.v[k] = v
	}
	return f, nil
}

// readBodyForm reads and decodes a form-encoded body.
func readBodyForm(r *http.Request) (form, error) {
	switch ct := r.Header.Get("Content-Type"); ct {
	case "", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8":
		// What the SDKs and the CLI send: no need to parse it.
	default:
		mt, _, err := mime.ParseMediaType(ct)
		if err == nil && mt != "application/x-www-form-urlencoded" {
			return form{}, awsapi.Errorf(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Content-Type %s is not supported", mt)
		}
	}
	var body []byte
	var err error
	if n := r.ContentLength; n > 0 && n <= maxRequestBytes {
		// Exactly sized: no growing and copying as io.ReadAll does.
		body = make([]byte, n)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	}
	if err != nil {
		return form{}, errInvalidParameter("Invalid parameter: request body could not be read")
	}
	if len(body) > maxRequestBytes {
		return form{}, awsapi.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body is larger than %d bytes", maxRequestBytes)
	}
	f, err := decodeForm(body)
	if err != nil {
		return form{}, errInvalidParameter("Invalid parameter: malformed form body")
	}
	return f, nil
}

// ExtraHandlers returns the paths slsx serves on the edge itself: the
// SubscribeURL and UnsubscribeURL links, the signing certificate, and a
// JSON listing of subscriptions with their pending tokens.
func (s *Service) ExtraHandlers() map[string]http.Handler {
	allowed := map[string]bool{"ConfirmSubscription": true, "Unsubscribe": true}
	return map[string]http.Handler{
		ExtraPrefix: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case ExtraPrefix + s.signer.certName:
				w.Header().Set("Content-Type", "application/x-x509-ca-cert")
				_, _ = w.Write(s.signer.certPEM)
			case ExtraPrefix:
				s.serve(w, r, allowed)
			case ExtraPrefix + "subscriptions":
				writeJSON(w, s.Subscriptions())
			default:
				http.NotFound(w, r)
			}
		}),
	}
}
