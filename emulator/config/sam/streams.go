package sam

import (
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/config"
)

// filterCriteria reads FilterCriteria: {Filters: [{Pattern: '<json>'}]}.
// A Pattern may also be written as a mapping, which is turned into JSON.
func (l *loader) filterCriteria(v any, p string) []string {
	m, ok := v.(map[string]any)
	if !ok {
		l.errorf(p, "must be a mapping with Filters; got %s", describe(v))
		return nil
	}
	var out []string
	l.fields(m, p, nil, func(k string, v any) bool {
		if k != "Filters" {
			return false
		}
		fp := join(p, k)
		list, ok := v.([]any)
		if !ok {
			l.errorf(fp, "must be a list of {Pattern: ...}; got %s", describe(v))
			return true
		}
		if len(list) > config.MaxStreamFilters {
			l.errorf(fp, "has %d filters; Lambda allows at most %d per event source", len(list), config.MaxStreamFilters)
			return true
		}
		for i, f := range list {
			ip := fp + "[" + strconv.Itoa(i) + "]"
			fm, ok := f.(map[string]any)
			if !ok {
				l.errorf(ip, "must be a mapping with Pattern; got %s", describe(f))
				continue
			}
			var pattern []byte
			l.fields(fm, ip, nil, func(k string, v any) bool {
				if k != "Pattern" {
					return false
				}
				pattern = l.patternJSON(v, join(ip, k))
				return true
			})
			if pattern == nil {
				if fm["Pattern"] == nil {
					l.errorf(ip, "has no Pattern; write one such as '{\"eventName\": [\"INSERT\"]}'")
				}
				continue
			}
			if msg := config.CheckFilterPattern(pattern); msg != "" {
				l.errorf(join(ip, "Pattern"), "%s", msg)
				continue
			}
			out = append(out, string(pattern))
		}
		return true
	})
	return out
}

func (l *loader) patternJSON(v any, p string) []byte {
	switch t := v.(type) {
	case string:
		return []byte(t)
	case map[string]any:
		return l.objectJSON(t, p)
	}
	l.errorf(p, "must be a JSON object string such as '{\"eventName\": [\"INSERT\"]}'; got %s", describe(v))
	return nil
}

// destinationConfig reads DestinationConfig: {OnFailure: {Destination:
// <topic ARN>, Type: SNS}}. slsx has no SQS, so SQS destinations are errors.
func (l *loader) destinationConfig(ta *triggerAt, v any, p string) {
	m, ok := v.(map[string]any)
	if !ok {
		l.errorf(p, "must be a mapping with OnFailure; got %s", describe(v))
		return
	}
	l.fields(m, p, nil, func(k string, v any) bool {
		if k != "OnFailure" {
			return false
		}
		fp := join(p, k)
		of, ok := v.(map[string]any)
		if !ok {
			l.errorf(fp, "must be a mapping with Destination and Type; got %s", describe(v))
			return true
		}
		var dest, typ string
		badType := false
		l.fields(of, fp, nil, func(k string, v any) bool {
			switch k {
			case "Destination":
				dest, _ = v.(string)
				if dest == "" {
					l.errorf(join(fp, k), "must be a topic ARN such as !Ref FailureTopic; got %s", describe(v))
				}
			case "Type":
				typ, _ = v.(string)
				if typ != "SNS" && typ != "SQS" {
					l.errorf(join(fp, k), "%q is not a destination type; use SNS", scalarString(v))
					badType = true
				}
			default:
				return false
			}
			return true
		})
		switch {
		case typ == "SQS" || strings.HasPrefix(dest, "arn:aws:sqs:"):
			l.errorf(fp, "slsx has no SQS; send failures to an SNS topic (Type: SNS)")
		case badType:
		case dest == "":
			if of["Destination"] == nil {
				l.errorf(join(fp, "Destination"), "missing; use the topic's ARN, e.g. !Ref FailureTopic")
			}
		default:
			ta.onFailure, ta.onFailurePath = dest, join(fp, "Destination")
		}
		return true
	})
}

// linkOnFailure resolves a trigger's on-failure topic; a topic named only
// by ARN is created, as for SNS events. It reports false on an error.
func (l *loader) linkOnFailure(ta triggerAt) bool {
	name := topicFromARN(ta.onFailure)
	if name == "" {
		l.errorf(ta.onFailurePath, "%q is not an SNS topic ARN; use !Ref FailureTopic", ta.onFailure)
		return false
	}
	var t *config.Topic
	for _, x := range l.p.Topics {
		if x.Name == name {
			t = x
		}
	}
	if t == nil {
		fifo := strings.HasSuffix(name, ".fifo")
		if msg := checkTopicName(name, fifo); msg != "" {
			l.errorf(ta.onFailurePath, "topic %s", msg)
			return false
		}
		t = &config.Topic{Name: name, Fifo: fifo}
		l.p.Topics = append(l.p.Topics, t)
	}
	if t.Fifo {
		l.errorf(ta.onFailurePath, "topic %q is FIFO; Lambda sends discarded stream batches only to standard topics", name)
		return false
	}
	ta.t.OnFailureTopic = name
	return true
}
