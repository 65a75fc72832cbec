package sns

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/sns/filter"
)

// protocols SNS accepts in Subscribe.
var protocols = map[string]bool{
	"http": true, "https": true, "email": true, "email-json": true, "sms": true,
	"sqs": true, "application": true, "lambda": true, "firehose": true,
}

// subAttrs are the settable subscription attributes.
var subAttrs = map[string]bool{
	"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true,
	"RedrivePolicy": true, "SubscriptionRoleArn": true, "ReplayPolicy": true,
}

// rawProtocols may use RawMessageDelivery.
var rawProtocols = map[string]bool{"http": true, "https": true, "sqs": true, "firehose": true}

func newToken() string {
	var b [64]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validateEndpoint checks the endpoint for the protocol.
func (s *Service) validateEndpoint(t *topic, protocol, endpoint string) error {
	if !protocols[protocol] {
		return errInvalidParameter("Invalid parameter: Amazon SNS does not support this protocol string: %s", protocol)
	}
	if t.fifo && protocol != "sqs" {
		return errInvalidParameter("Invalid parameter: Invalid protocol type: %s", protocol)
	}
	switch protocol {
	case "http", "https":
		if !strings.HasPrefix(strings.ToLower(endpoint), protocol+"://") || len(endpoint) <= len(protocol)+3 {
			return errInvalidParameter("Invalid parameter: Endpoint must match the specified protocol")
		}
	case "lambda":
		p := strings.Split(endpoint, ":")
		if len(p) < 7 || len(p) > 8 || p[0] != "arn" || p[2] != "lambda" || p[5] != "function" || p[6] == "" {
			return errInvalidParameter("Invalid parameter: Lambda endpoint ARN")
		}
	case "sqs":
		p := strings.Split(endpoint, ":")
		if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" || p[5] == "" {
			return errInvalidParameter("Invalid parameter: SQS endpoint ARN")
		}
		if !t.fifo && strings.HasSuffix(endpoint, ".fifo") {
			return errInvalidParameter("Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
		}
	default:
		if endpoint == "" {
			return errMissing("Endpoint")
		}
	}
	return nil
}

// validateSubAttr checks one subscription attribute. prefix is
// "Attributes Reason: " in Subscribe and "" in SetSubscriptionAttributes.
// It returns the parsed filter policy when name is FilterPolicy or scope.
func validateSubAttr(protocol, name, value, prefix string, attrs map[string]string) error {
	switch name {
	case "RawMessageDelivery":
		if value != "true" && value != "false" {
			return errInvalidParameter("Invalid parameter: %sRawMessageDelivery: Invalid value [%s]. Must be true or false.", prefix, value)
		}
		if value == "true" && !rawProtocols[protocol] {
			return errInvalidParameter("Invalid parameter: %sDelivery protocol [%s] does not support raw message delivery.", prefix, protocol)
		}
	case "FilterPolicy", "FilterPolicyScope":
		if name == "FilterPolicyScope" && value != filter.ScopeAttributes && value != filter.ScopeBody {
			return errInvalidParameter("Invalid parameter: %sFilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", prefix, value)
		}
		fp, scope := attrs["FilterPolicy"], attrs["FilterPolicyScope"]
		if name == "FilterPolicy" {
			fp = value
		} else {
			scope = value
		}
		if fp == "" {
			return nil
		}
		if _, err := filter.Parse([]byte(fp), scope); err != nil {
			return errInvalidParameter("Invalid parameter: %sFilterPolicy: %s", prefix, err)
		}
	case "RedrivePolicy":
		if value == "" {
			return nil
		}
		var rp struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		}
		if err := json.Unmarshal([]byte(value), &rp); err != nil {
			return errInvalidParameter("Invalid parameter: %sRedrivePolicy: failed to parse JSON. %s", prefix, err)
		}
		p := strings.Split(rp.DeadLetterTargetArn, ":")
		if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" || p[5] == "" {
			return errInvalidParameter("Invalid parameter: %sRedrivePolicy: deadLetterTargetArn is an invalid arn", prefix)
		}
	case "DeliveryPolicy":
		if value == "" {
			return nil
		}
		if _, err := parseDeliveryPolicy(value, false); err != nil {
			return errInvalidParameter("Invalid parameter: %sDeliveryPolicy: %s", prefix, err)
		}
	case "ReplayPolicy":
		if value != "" && !json.Valid([]byte(value)) {
			return errInvalidParameter("Invalid parameter: %sReplayPolicy: failed to parse JSON.", prefix)
		}
	}
	return nil
}

func (s *Service) subscribe(r *request) (result, error) {
	t, err := s.topicFor(r, "TopicArn")
	if err != nil {
		return nil, err
	}
	protocol := r.form.get("Protocol")
	if protocol == "" {
		return nil, errMissing("Protocol")
	}
	endpoint := r.form.get("Endpoint")
	attrs := r.form.stringMap("Attributes")
	sub, err := s.addSubscription(t, protocol, endpoint, attrs, false)
	if err != nil {
		return nil, err
	}
	arn := sub.ARN
	if sub.Pending && r.form.get("ReturnSubscriptionArn") != "true" {
		arn = "pending confirmation"
	}
	var w xw
	w.elem("SubscriptionArn", arn)
	return &w, nil
}

// addSubscription validates and creates a subscription, or returns the
// existing one for the same (topic, protocol, endpoint).
func (s *Service) addSubscription(t *topic, protocol, endpoint string, attrs map[string]string, project bool) (*subscription, error) {
	if err := s.validateEndpoint(t, protocol, endpoint); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !subAttrs[k] {
			return nil, errInvalidParameter("Invalid parameter: Attributes Reason: Invalid attribute name: %s", k)
		}
		if err := validateSubAttr(protocol, k, attrs[k], "Attributes Reason: ", attrs); err != nil {
			return nil, err
		}
	}
	if attrs["FilterPolicy"] == "" {
		delete(attrs, "FilterPolicy")
	}
	policy, _ := parsePolicy(attrs)

	s.mu.Lock()
	for _, sub := range s.subs {
		if sub.TopicARN == t.ARN && sub.Protocol == protocol && sub.Endpoint == endpoint {
			defer s.mu.Unlock()
			if project && sub.Project {
				sub.Attrs, sub.policy = attrs, policy
				return sub, nil
			}
			for k, v := range attrs {
				if sub.Attrs[k] != v {
					return nil, errInvalidParameter("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
				}
			}
			return sub, nil
		}
	}
	sub := &subscription{
		ARN:      t.ARN + ":" + uuid.NewString(),
		TopicARN: t.ARN, Protocol: protocol, Endpoint: endpoint,
		Attrs: attrs, Project: project, Created: time.Now(), policy: policy,
	}
	needsConfirm := protocol == "http" || protocol == "https" || protocol == "email" || protocol == "email-json"
	if needsConfirm && !s.opts.AutoConfirm {
		sub.Pending = true
		sub.Token = newToken()
	}
	s.subs[sub.ARN] = sub
	s.mu.Unlock()
	s.persist()
	if sub.Pending && (protocol == "http" || protocol == "https") {
		s.sendConfirmation(t, sub, "SubscriptionConfirmation")
	}
	return sub, nil
}

func (s *Service) confirmSubscription(r *request) (result, error) {
	t, err := s.topicFor(r, "TopicArn")
	if err != nil {
		return nil, err
	}
	token := r.form.get("Token")
	if token == "" {
		return nil, errMissing("Token")
	}
	s.mu.Lock()
	var found *subscription
	for _, sub := range s.subs {
		if sub.Token == token {
			found = sub
			break
		}
	}
	if found == nil {
		s.mu.Unlock()
		return nil, errInvalidParameter("Invalid parameter: Token")
	}
	if found.TopicARN != t.ARN {
		s.mu.Unlock()
		return nil, errInvalidParameter("Invalid parameter: Topic")
	}
	changed := found.Pending
	found.Pending = false
	if r.signed || r.form.get("AuthenticateOnUnsubscribe") == "true" {
		changed = changed || !found.Authenticated
		found.Authenticated = true
	}
	arn := found.ARN
	s.mu.Unlock()
	if changed {
		s.persist()
	}
	var w xw
	w.elem("SubscriptionArn", arn)
	return &w, nil
}

// parseSubARN checks the shape <topicArn>:<id>.
func parseSubARN(arn string) bool {
	p := strings.Split(arn, ":")
	return len(p) == 7 && p[0] == "arn" && p[2] == "sns" && p[5] != "" && p[6] != ""
}

func (s *Service) unsubscribe(r *request) (result, error) {
	arn := r.form.get("SubscriptionArn")
	if arn == "" {
		return nil, errMissing("SubscriptionArn")
	}
	if !parseSubARN(arn) {
		return nil, errInvalidParameter("Invalid parameter: SubscriptionId")
	}
	s.mu.Lock()
	sub := s.subs[arn]
	delete(s.subs, arn)
	t := s.topics[arnTopic(arn)]
	s.mu.Unlock()
	if sub == nil {
		return nil, nil
	}
	s.persist()
	if t != nil && (sub.Protocol == "http" || sub.Protocol == "https") {
		if sub.Token == "" {
			sub.Token = newToken()
		}
		s.sendConfirmation(t, sub, "UnsubscribeConfirmation")
	}
	return nil, nil
}

func arnTopic(subARN string) string {
	if i := strings.LastIndexByte(subARN, ':'); i > 0 {
		return subARN[:i]
	}
	return ""
}

func (s *Service) listSubscriptions(r *request) (result, error) {
	return s.listSubs(r, "")
}

func (s *Service) listSubscriptionsByTopic(r *request) (result, error) {
	t, err := s.topicFor(r, "TopicArn")
	if err != nil {
		return nil, err
	}
	return s.listSubs(r, t.ARN)
}

func (s *Service) listSubs(r *request, topicARN string) (result, error) {
	s.mu.Lock()
	byARN := map[string]subscription{}
	keys := make([]string, 0, len(s.subs))
	for a, sub := range s.subs {
		if topicARN != "" && sub.TopicARN != topicARN {
			continue
		}
		byARN[a] = *sub
		keys = append(keys, a)
	}
	s.mu.Unlock()
	sort.Strings(keys)
	page, next, err := paginate(keys, r.form.get("NextToken"))
	if err != nil {
		return nil, err
	}
	var w xw
	w.open("Subscriptions")
	for _, a := range page {
		sub := byARN[a]
		shown := sub.ARN
		if sub.Pending {
			shown = "PendingConfirmation"
		}
		w.open("member")
		w.elem("SubscriptionArn", shown)
		w.elem("Owner", s.opts.Identity.Account)
		w.elem("Protocol", sub.Protocol)
		w.elem("Endpoint", sub.Endpoint)
		w.elem("TopicArn", sub.TopicARN)
		w.close("member")
	}
	w.close("Subscriptions")
	if next != "" {
		w.elem("NextToken", next)
	}
	return &w, nil
}

func (s *Service) subFor(r *request) (*subscription, error) {
	arn := r.form.get("SubscriptionArn")
	if arn == "" {
		return nil, errMissing("SubscriptionArn")
	}
	if !parseSubARN(arn) {
		return nil, errInvalidParameter("Invalid parameter: SubscriptionId")
	}
	s.mu.Lock()
	sub := s.subs[arn]
	s.mu.Unlock()
	if sub == nil {
		return nil, errNotFound("Subscription does not exist")
	}
	return sub, nil
}

func (s *Service) getSubscriptionAttributes(r *request) (result, error) {
	sub, err := s.subFor(r)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	attrs := copyMap(sub.Attrs)
	c := *sub
	t := s.topics[sub.TopicARN]
	var topicDP string
	if t != nil {
		topicDP = t.Attrs["DeliveryPolicy"]
	}
	s.mu.Unlock()
	attrs["SubscriptionArn"] = c.ARN
	attrs["TopicArn"] = c.TopicARN
	attrs["Owner"] = s.opts.Identity.Account
	attrs["Protocol"] = c.Protocol
	attrs["Endpoint"] = c.Endpoint
	attrs["PendingConfirmation"] = strconv.FormatBool(c.Pending)
	attrs["ConfirmationWasAuthenticated"] = strconv.FormatBool(c.Authenticated)
	if _, ok := attrs["RawMessageDelivery"]; !ok {
		attrs["RawMessageDelivery"] = "false"
	}
	attrs["SubscriptionPrincipal"] = "arn:aws:iam::" + s.opts.Identity.Account + ":root"
	if c.Protocol == "http" || c.Protocol == "https" {
		attrs["EffectiveDeliveryPolicy"] = effectiveSubPolicy(topicDP, attrs["DeliveryPolicy"])
	}
	for k, v := range attrs {
		if v == "" && k != "Endpoint" {
			delete(attrs, k)
		}
	}
	var w xw
	w.open("Attributes")
	w.entries(attrs)
	w.close("Attributes")
	return &w, nil
}

func (s *Service) setSubscriptionAttributes(r *request) (result, error) {
	sub, err := s.subFor(r)
	if err != nil {
		return nil, err
	}
	name := r.form.get("AttributeName")
	if name == "" {
		return nil, errMissing("AttributeName")
	}
	if !subAttrs[name] {
		return nil, errInvalidParameter("Invalid parameter: AttributeName")
	}
	value := r.form.get("AttributeValue")
	s.mu.Lock()
	attrs := copyMap(sub.Attrs)
	s.mu.Unlock()
	if err := validateSubAttr(sub.Protocol, name, value, "", attrs); err != nil {
		return nil, err
	}
	if value == "" {
		delete(attrs, name)
	} else {
		attrs[name] = value
	}
	policy, _ := parsePolicy(attrs)
	s.mu.Lock()
	sub.Attrs, sub.policy = attrs, policy
	s.mu.Unlock()
	s.persist()
	return nil, nil
}

// SetProjectSubscriptions makes the subscriptions created from slsx.yaml
// equal to subs: new ones are added, changed ones updated in place (same
// ARN), and project subscriptions no longer listed are removed.
// Subscriptions created through the API are left alone. Topics must exist
// (EnsureTopic) first.
func (s *Service) SetProjectSubscriptions(subs []*config.Subscription) error {
	keep := map[string]bool{}
	var errs []error
	for _, c := range subs {
		name := c.Topic
		s.mu.Lock()
		t := s.topics[s.opts.Identity.ARN("sns", name)]
		if t == nil {
			t = s.topics[s.opts.Identity.ARN("sns", name+".fifo")]
		}
		s.mu.Unlock()
		if t == nil {
			errs = append(errs, fmt.Errorf("sns subscription: topic %q is not declared", name))
			continue
		}
		endpoint := c.Endpoint
		if c.Protocol == "lambda" && !strings.HasPrefix(endpoint, "arn:") {
			endpoint = s.opts.Identity.ARN("lambda", "function:"+endpoint)
		}
		attrs := map[string]string{}
		if len(c.FilterPolicy) > 0 && string(c.FilterPolicy) != "null" {
			attrs["FilterPolicy"] = string(c.FilterPolicy)
			if c.FilterPolicyScope != "" {
				attrs["FilterPolicyScope"] = c.FilterPolicyScope
			}
		}
		if c.RawMessageDelivery {
			attrs["RawMessageDelivery"] = "true"
		}
		sub, err := s.addSubscription(t, c.Protocol, endpoint, attrs, true)
		if err != nil {
			var ae *awsapi.Error
			if errors.As(err, &ae) {
				err = errors.New(ae.Message)
			}
			errs = append(errs, fmt.Errorf("sns subscription %s -> %s %s: %w", name, c.Protocol, c.Endpoint, err))
			continue
		}
		keep[sub.ARN] = true
	}
	s.mu.Lock()
	removed := false
	for arn, sub := range s.subs {
		if sub.Project && !keep[arn] {
			delete(s.subs, arn)
			removed = true
		}
	}
	s.mu.Unlock()
	if removed {
		s.persist()
	}
	return errors.Join(errs...)
}
