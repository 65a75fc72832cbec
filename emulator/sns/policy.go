package sns

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// retryPolicy is an HTTP/S healthyRetryPolicy (SNS guide, "Creating an
// HTTP/S delivery policy").
type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType,omitempty"`
}

type throttlePolicy struct {
	MaxReceivesPerSecond int `json:"maxReceivesPerSecond,omitempty"`
}

type subDeliveryPolicy struct {
	HealthyRetryPolicy *retryPolicy    `json:"healthyRetryPolicy,omitempty"`
	ThrottlePolicy     *throttlePolicy `json:"throttlePolicy,omitempty"`
	RequestPolicy      *requestPolicy  `json:"requestPolicy,omitempty"`
}

type topicHTTPPolicy struct {
	DefaultHealthyRetryPolicy    *retryPolicy    `json:"defaultHealthyRetryPolicy,omitempty"`
	DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
	DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy,omitempty"`
	DefaultRequestPolicy         *requestPolicy  `json:"defaultRequestPolicy,omitempty"`
}

type topicDeliveryPolicy struct {
	HTTP *topicHTTPPolicy `json:"http,omitempty"`
}

// Delivery-policy limits from the SNS guide.
const (
	maxHTTPRetries      = 100
	maxRetryDelay       = 3600 // seconds, total and per delay
	defaultHTTPType     = "text/plain; charset=UTF-8"
	httpDefaultDelay    = 20
	httpDefaultTries    = 3
	httpDeliveryTimeout = 15 * time.Second
)

func defaultRetryPolicy() retryPolicy {
	return retryPolicy{MinDelayTarget: httpDefaultDelay, MaxDelayTarget: httpDefaultDelay, NumRetries: httpDefaultTries, BackoffFunction: "linear"}
}

func (p *retryPolicy) validate() error {
	switch p.BackoffFunction {
	case "", "linear", "arithmetic", "geometric", "exponential":
	default:
		return fmt.Errorf("backoffFunction must be one of arithmetic, exponential, geometric, linear")
	}
	if p.MinDelayTarget < 1 {
		return errors.New("minDelayTarget must be greater than or equal to 1")
	}
	if p.MaxDelayTarget < p.MinDelayTarget {
		return errors.New("maxDelayTarget must be greater than or equal to minDelayTarget")
	}
	if p.MaxDelayTarget > maxRetryDelay {
		return fmt.Errorf("maxDelayTarget must be less than or equal to %d", maxRetryDelay)
	}
	if p.NumRetries < 0 || p.NumRetries > maxHTTPRetries {
		return fmt.Errorf("numRetries must be between 0 and %d", maxHTTPRetries)
	}
	if p.NumNoDelayRetries < 0 || p.NumMinDelayRetries < 0 || p.NumMaxDelayRetries < 0 ||
		p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries {
		return errors.New("numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries")
	}
	var total time.Duration
	for _, d := range p.delays(1) {
		total += d
	}
	if total > maxRetryDelay*time.Second {
		return fmt.Errorf("total retry time must not exceed %d seconds", maxRetryDelay)
	}
	return nil
}

// delays lists the wait before each retry, scaled by scale.
func (p *retryPolicy) delays(scale float64) []time.Duration {
	var out []time.Duration
	for i := 0; ; i++ {
		d, ok := p.delay(i, scale)
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

// delay is the wait before retry i (from 0), phase by phase: no-delay,
// min-delay, backoff from min to max, max-delay. ok is false once the
// retries are used up.
func (p *retryPolicy) delay(i int, scale float64) (time.Duration, bool) {
	sec := func(f float64) time.Duration { return time.Duration(f * scale * float64(time.Second)) }
	if i < 0 || i >= p.NumRetries {
		return 0, false
	}
	if i < p.NumNoDelayRetries {
		return 0, true
	}
	i -= p.NumNoDelayRetries
	if i < p.NumMinDelayRetries {
		return sec(float64(p.MinDelayTarget)), true
	}
	i -= p.NumMinDelayRetries
	backoff := p.NumRetries - p.NumNoDelayRetries - p.NumMinDelayRetries - p.NumMaxDelayRetries
	lo, hi := float64(p.MinDelayTarget), float64(p.MaxDelayTarget)
	if i < backoff {
		frac := float64(i+1) / float64(backoff)
		switch p.BackoffFunction {
		case "exponential", "geometric":
			return sec(lo * math.Pow(hi/lo, frac)), true
		default: // linear, arithmetic
			return sec(lo + (hi-lo)*frac), true
		}
	}
	return sec(hi), true
}

// parseDeliveryPolicy validates a topic-level or subscription-level policy.
func parseDeliveryPolicy(v string, topicLevel bool) (any, error) {
	if topicLevel {
		var p topicDeliveryPolicy
		if err := json.Unmarshal([]byte(v), &p); err != nil {
			return nil, fmt.Errorf("failed to parse JSON. %s", err)
		}
		if p.HTTP != nil && p.HTTP.DefaultHealthyRetryPolicy != nil {
			if err := p.HTTP.DefaultHealthyRetryPolicy.validate(); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	var p subDeliveryPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, fmt.Errorf("failed to parse JSON. %s", err)
	}
	if p.HealthyRetryPolicy != nil {
		if err := p.HealthyRetryPolicy.validate(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// resolveHTTPPolicy merges the topic's defaults and the subscription's
// overrides (unless the topic disables overrides).
func resolveHTTPPolicy(topicDP, subDP string) (retryPolicy, string) {
	rp, ct := defaultRetryPolicy(), defaultHTTPType
	disable := false
	if topicDP != "" {
		var p topicDeliveryPolicy
		if json.Unmarshal([]byte(topicDP), &p) == nil && p.HTTP != nil {
			if p.HTTP.DefaultHealthyRetryPolicy != nil {
				rp = *p.HTTP.DefaultHealthyRetryPolicy
			}
			if p.HTTP.DefaultRequestPolicy != nil && p.HTTP.DefaultRequestPolicy.HeaderContentType != "" {
				ct = p.HTTP.DefaultRequestPolicy.HeaderContentType
			}
			disable = p.HTTP.DisableSubscriptionOverrides
		}
	}
	if subDP != "" && !disable {
		var p subDeliveryPolicy
		if json.Unmarshal([]byte(subDP), &p) == nil {
			if p.HealthyRetryPolicy != nil {
				rp = *p.HealthyRetryPolicy
			}
			if p.RequestPolicy != nil && p.RequestPolicy.HeaderContentType != "" {
				ct = p.RequestPolicy.HeaderContentType
			}
		}
	}
	if rp.BackoffFunction == "" {
		rp.BackoffFunction = "linear"
	}
	return rp, ct
}

// effectiveTopicPolicy is GetTopicAttributes' EffectiveDeliveryPolicy: the
// default merged with the topic's DeliveryPolicy.
func effectiveTopicPolicy(dp string) string {
	if dp == "" {
		return defaultEffectiveDeliveryPolicy
	}
	var base, over map[string]any
	_ = json.Unmarshal([]byte(defaultEffectiveDeliveryPolicy), &base)
	if json.Unmarshal([]byte(dp), &over) != nil {
		return defaultEffectiveDeliveryPolicy
	}
	b, _ := json.Marshal(mergeJSON(base, over))
	return string(b)
}

func mergeJSON(base, over map[string]any) map[string]any {
	for k, v := range over {
		if bm, ok := base[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				base[k] = mergeJSON(bm, om)
				continue
			}
		}
		base[k] = v
	}
	return base
}

// effectiveSubPolicy is the subscription's EffectiveDeliveryPolicy.
func effectiveSubPolicy(topicDP, subDP string) string {
	rp, ct := resolveHTTPPolicy(topicDP, subDP)
	b, _ := json.Marshal(struct {
		HealthyRetryPolicy retryPolicy   `json:"healthyRetryPolicy"`
		SicklyRetryPolicy  any           `json:"sicklyRetryPolicy"`
		ThrottlePolicy     any           `json:"throttlePolicy"`
		RequestPolicy      requestPolicy `json:"requestPolicy"`
		Guaranteed         bool          `json:"guaranteed"`
	}{HealthyRetryPolicy: rp, RequestPolicy: requestPolicy{HeaderContentType: ct}})
	return string(b)
}
