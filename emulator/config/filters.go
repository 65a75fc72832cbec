package config

import (
	"errors"
	"strings"

	"github.com/slsx/slsx/emulator/sns/filter"
)

// MaxStreamFilters is the most filters one event-source mapping may have
// (Lambda quotas: 5 by default, raised on request to at most 10).
const MaxStreamFilters = 10

// CheckFilterPattern validates a Lambda event filter pattern (JSON) and
// returns what is wrong with it, or "" when it is valid.
func CheckFilterPattern(pattern []byte) string {
	_, err := filter.ParsePattern(pattern)
	if err == nil {
		return ""
	}
	var fe *filter.Error
	if errors.As(err, &fe) {
		return "invalid filter pattern: " + fe.Reason
	}
	return "invalid filter pattern: " + err.Error()
}

// linkOnFailure checks the on-failure topics of the stream triggers. Like
// a topic named only by a subscription, one not declared under topics is
// created; Lambda sends stream failures only to standard topics.
func (l *loader) linkOnFailure() {
	topics := map[string]*Topic{}
	for _, t := range l.p.Topics {
		topics[t.Name] = t
	}
	for _, d := range l.onFailure {
		name := d.v.OnFailureTopic
		t := topics[name]
		if t == nil {
			fifo := strings.HasSuffix(name, ".fifo")
			if msg := checkTopicName(name, fifo); msg != "" {
				l.errorf(d.n, d.path, "topic %s", msg)
				continue
			}
			t = &Topic{Name: name, Fifo: fifo}
			topics[name] = t
			l.p.Topics = append(l.p.Topics, t)
		}
		if t.Fifo {
			l.errorf(d.n, d.path, "topic %s is FIFO; Lambda sends discarded stream batches only to standard topics", quote(name))
		}
	}
}
