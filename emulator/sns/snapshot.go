package sns

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"
)

// TopicInfo is a read-only view of a topic for the dashboard.
type TopicInfo struct {
	ARN           string
	Name          string
	Fifo          bool
	Subscriptions int // confirmed
	Pending       int // awaiting confirmation
	Published     int64
	Delivered     int64 // deliveries that succeeded (after retries)
	Failed        int64 // deliveries that gave up
}

// SubscriptionInfo is a read-only view of a subscription. Token is the
// confirmation token of a pending subscription, shown so a developer can
// confirm by hand.
type SubscriptionInfo struct {
	ARN          string
	TopicARN     string
	Protocol     string
	Endpoint     string
	Pending      bool
	Token        string `json:",omitempty"`
	Project      bool   // declared in slsx.yaml
	FilterPolicy string `json:",omitempty"`
	Created      time.Time
}

// Topics returns every topic, sorted by name.
func (s *Service) Topics() []TopicInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]TopicInfo, 0, len(s.topics))
	for _, t := range s.topics {
		ti := TopicInfo{ARN: t.ARN, Name: t.Name, Fifo: t.fifo,
			Published: t.published.Load(), Delivered: t.delivered.Load(), Failed: t.failed.Load()}
		for _, sub := range s.subs {
			if sub.TopicARN != t.ARN {
				continue
			}
			if sub.Pending {
				ti.Pending++
			} else {
				ti.Subscriptions++
			}
		}
		out = append(out, ti)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Subscriptions returns every subscription, sorted by topic then creation.
func (s *Service) Subscriptions() []SubscriptionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SubscriptionInfo, 0, len(s.subs))
	for _, sub := range s.subs {
		si := SubscriptionInfo{ARN: sub.ARN, TopicARN: sub.TopicARN, Protocol: sub.Protocol, Endpoint: sub.Endpoint,
			Pending: sub.Pending, Project: sub.Project, FilterPolicy: sub.Attrs["FilterPolicy"], Created: sub.Created}
		if sub.Pending {
			si.Token = sub.Token
		}
		out = append(out, si)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].TopicARN != out[j].TopicARN {
			return out[i].TopicARN < out[j].TopicARN
		}
		return out[i].Created.Before(out[j].Created)
	})
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
