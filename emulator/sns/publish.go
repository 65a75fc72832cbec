package sns

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/sns/filter"
	"github.com/slsx/slsx/emulator/telemetry"
)

// Publish limits.
const (
	maxSubjectLen   = 100             // characters, exclusive
	maxBatchEntries = 10              // PublishBatch entries
	maxGroupIDLen   = 128             // MessageGroupId / MessageDeduplicationId
	dedupWindow     = 5 * time.Minute // FIFO deduplication interval
	maxAttrNameLen  = 256
)

var (
	batchIDRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	attrNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	e164RE     = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
)

// msgAttr is a validated message attribute.
type msgAttr struct {
	Name, Type, Value string // Value is base64 for Binary types
}

// message is one accepted publish.
type message struct {
	ID         string
	TopicARN   string
	TopicName  string
	Subject    string
	HasSubject bool
	Body       string
	Structure  map[string]string // MessageStructure=json: protocol -> message
	Attrs      []msgAttr         // sorted by name
	Timestamp  time.Time
	TraceID    string
	GroupID    string
	DedupID    string
	Seq        string
}

// bodyFor is the message a subscriber of protocol receives.
func (m *message) bodyFor(protocol string) string {
	if m.Structure == nil {
		return m.Body
	}
	if v, ok := m.Structure[protocol]; ok {
		return v
	}
	return m.Structure["default"]
}

// deliveredAttrs is what subscribers see: none for JSON-structured
// messages (SNS guide, "Amazon SNS message attributes").
func (m *message) deliveredAttrs() []msgAttr {
	if m.Structure != nil {
		return nil
	}
	return m.Attrs
}

func (m *message) filterAttrs() map[string]filter.Attribute {
	out := make(map[string]filter.Attribute, len(m.Attrs))
	for _, a := range m.Attrs {
		out[a.Name] = filter.Attribute{Type: a.Type, Value: a.Value}
	}
	return out
}

// publishInput is one Publish call or PublishBatch entry before checks.
type publishInput struct {
	Message    string
	HasMessage bool
	Subject    string
	HasSubject bool
	Structure  string
	Attrs      []rawAttr
	GroupID    string
	DedupID    string
}

func inputFrom(f form) publishInput {
	return publishInput{
		Message: f.get("Message"), HasMessage: f.has("Message"),
		Subject: f.get("Subject"), HasSubject: f.has("Subject"),
		Structure: f.get("MessageStructure"),
		Attrs:     f.messageAttributes("MessageAttributes"),
		GroupID:   f.get("MessageGroupId"), DedupID: f.get("MessageDeduplicationId"),
	}
}

func (s *Service) publish(r *request) (result, error) {
	targets := 0
	for _, p := range []string{"TopicArn", "TargetArn", "PhoneNumber"} {
		if r.form.get(p) != "" {
			targets++
		}
	}
	if targets == 0 {
		return nil, errInvalidParameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	}
	if targets > 1 {
		return nil, errInvalidParameter("Invalid parameter: TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified")
	}
	in := inputFrom(r.form)
	if phone := r.form.get("PhoneNumber"); phone != "" {
		// SMS is out of scope: validate and accept, deliver nowhere.
		if !e164RE.MatchString(phone) {
			return nil, errInvalidParameter("Invalid parameter: PhoneNumber Reason: %s is not valid to publish to", phone)
		}
		if in.Message == "" {
			return nil, errInvalidParameter("Invalid parameter: Empty message")
		}
		var w xw
		w.elem("MessageId", awsapi.RequestID())
		return &w, nil
	}
	param := "TopicArn"
	if r.form.get("TargetArn") != "" {
		param = "TargetArn"
	}
	t, err := s.topicFor(r, param)
	if err != nil {
		return nil, err
	}
	m, err := s.prepare(t, in, r.traceID)
	if err != nil {
		return nil, err
	}
	id, seq := s.accept(t, m)
	var w xw
	w.elem("MessageId", id)
	if seq != "" {
		w.elem("SequenceNumber", seq)
	}
	return &w, nil
}

// prepare validates one publish against topic t and builds the message.
func (s *Service) prepare(t *topic, in publishInput, traceID string) (*message, error) {
	if in.Message == "" {
		return nil, errInvalidParameter("Invalid parameter: Empty message")
	}
	if in.HasSubject {
		if in.Subject == "" || len([]rune(in.Subject)) >= maxSubjectLen || strings.IndexFunc(in.Subject, unicode.IsControl) >= 0 {
			return nil, errInvalidParameter("Invalid parameter: Subject")
		}
	}
	m := &message{
		TopicARN: t.ARN, TopicName: t.Name, Body: in.Message,
		Subject: in.Subject, HasSubject: in.HasSubject, TraceID: traceID,
		GroupID: in.GroupID, DedupID: in.DedupID,
	}
	switch in.Structure {
	case "":
	case "json":
		st, err := parseStructure(in.Message)
		if err != nil {
			return nil, err
		}
		m.Structure = st
	default:
		return nil, errInvalidParameter("Invalid parameter: MessageStructure")
	}
	attrs, size, err := validateAttrs(in.Attrs)
	if err != nil {
		return nil, err
	}
	m.Attrs = attrs
	s.mu.Lock()
	maxSize := t.maxMessageSize()
	cbd := t.Attrs["ContentBasedDeduplication"] == "true"
	s.mu.Unlock()
	if len(in.Message)+size > maxSize {
		return nil, errInvalidParameter("Invalid parameter: Message too long")
	}
	if t.fifo {
		if in.GroupID == "" {
			return nil, errInvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
		}
		if len(in.GroupID) > maxGroupIDLen || !printableASCII(in.GroupID) {
			return nil, errInvalidParameter("Invalid parameter: MessageGroupId Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
		}
		if in.DedupID == "" {
			if !cbd {
				return nil, errInvalidParameter("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(in.Message))
			m.DedupID = hex.EncodeToString(sum[:])
		} else if len(in.DedupID) > maxGroupIDLen || !printableASCII(in.DedupID) {
			return nil, errInvalidParameter("Invalid parameter: MessageDeduplicationId Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
		}
	} else if in.DedupID != "" {
		return nil, errInvalidParameter("Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	return m, nil
}

// maxMessageSize is the topic's MaximumMessageSize; s.mu must be held.
func (t *topic) maxMessageSize() int {
	// Checked before Atoi, whose error for "" allocates on every publish.
	if v := t.Attrs["MaximumMessageSize"]; v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return defaultMaxMessageSize
}

func printableASCII(s string) bool {
	for _, c := range s {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}

func parseStructure(msg string) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(msg), &raw); err != nil || raw == nil {
		return nil, errInvalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse")
	}
	out := map[string]string{}
	for k, v := range raw {
		var str string
		if json.Unmarshal(v, &str) == nil {
			out[k] = str
		}
	}
	if _, ok := out["default"]; !ok {
		return nil, errInvalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body")
	}
	return out, nil
}

// validateAttrs checks message attributes with SNS's rules and returns them
// sorted, plus the bytes they count toward MaximumMessageSize.
func validateAttrs(raw []rawAttr) ([]msgAttr, int, error) {
	size := 0
	seen := map[string]bool{}
	out := make([]msgAttr, 0, len(raw))
	for _, a := range raw {
		n := a.Name
		if !a.HasDataType || a.DataType == "" {
			return nil, 0, awsapi.Errorf(http.StatusBadRequest, "ValidationError",
				"1 validation error detected: Value null at 'messageAttributes.%s.member.dataType' failed to satisfy constraint: Member must not be null", n)
		}
		if n == "" {
			return nil, 0, errParameterValueInvalid("The message attribute name can not be empty.")
		}
		if len(n) > maxAttrNameLen {
			return nil, 0, errParameterValueInvalid("Length of message attribute name must be less than 256 bytes.")
		}
		if !attrNameRE.MatchString(n) {
			return nil, 0, errParameterValueInvalid("Invalid non-alphanumeric character was found in the message attribute name '%s'. Can only include alphanumeric characters, hyphens, underscores, or dots.", n)
		}
		if strings.Contains(n, "..") {
			return nil, 0, errParameterValueInvalid("Message attribute name can not have successive '.' character.")
		}
		if strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".") {
			return nil, 0, errParameterValueInvalid("The message attribute name '%s' can not start or end with the '.' character.", n)
		}
		lower := strings.ToLower(n)
		if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
			return nil, 0, errParameterValueInvalid("The message attribute name '%s' is reserved for use by AWS.", n)
		}
		if seen[n] {
			return nil, 0, errParameterValueInvalid("The message attribute '%s' is duplicated.", n)
		}
		seen[n] = true
		base, _, _ := strings.Cut(a.DataType, ".")
		var value string
		switch base {
		case "String", "Number":
			if a.HasBinary && !a.HasString {
				return nil, 0, errParameterValueInvalid("The message attribute '%s' with type '%s' must use field 'String'.", n, base)
			}
			if a.StringValue == "" {
				return nil, 0, errParameterValueInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", n, base)
			}
			value = a.StringValue
			if base == "Number" {
				if _, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err != nil {
					return nil, 0, errParameterValueInvalid("Could not cast message attribute '%s' value to number.", n)
				}
			}
			if a.DataType == "String.Array" {
				var arr []any
				if err := json.Unmarshal([]byte(value), &arr); err != nil || !scalarArray(arr) {
					return nil, 0, errParameterValueInvalid("The message attribute '%s' with type 'String.Array' must contain a JSON array of strings, numbers, true, false or null.", n)
				}
			}
		case "Binary":
			if !a.HasBinary {
				return nil, 0, errParameterValueInvalid("The message attribute '%s' with type 'Binary' must use field 'Binary'.", n)
			}
			b, err := base64.StdEncoding.DecodeString(a.BinaryValue)
			if err != nil {
				return nil, 0, errParameterValueInvalid("The message attribute '%s' with type 'Binary' has an invalid base64 value.", n)
			}
			if len(b) == 0 {
				return nil, 0, errParameterValueInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", n)
			}
			value = a.BinaryValue
			size += len(b) - len(value) // count decoded bytes below
		default:
			return nil, 0, errParameterValueInvalid("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", n)
		}
		size += len(n) + len(a.DataType) + len(value)
		out = append(out, msgAttr{Name: n, Type: a.DataType, Value: value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, size, nil
}

func scalarArray(arr []any) bool {
	for _, e := range arr {
		switch e.(type) {
		case string, float64, bool, nil:
		default:
			return false
		}
	}
	return true
}

// accept records a validated message and starts its deliveries; it
// returns the MessageId and, for FIFO topics, the SequenceNumber. A FIFO
// duplicate inside the dedup window returns the first message's ids and
// is not delivered again.
func (s *Service) accept(t *topic, m *message) (string, string) {
	now := time.Now().UTC()
	s.mu.Lock()
	if t.fifo {
		key := m.DedupID
		if t.Attrs["FifoThroughputScope"] == "MessageGroup" {
			key = m.GroupID + "\x00" + key
		}
		for k, e := range t.dedup {
			if now.Sub(e.at) > dedupWindow {
				delete(t.dedup, k)
			}
		}
		if e, ok := t.dedup[key]; ok {
			s.mu.Unlock()
			return e.messageID, e.seq
		}
		t.seq++
		m.Seq = strconv.FormatUint(t.seq, 10)
		m.ID = awsapi.RequestID()
		t.dedup[key] = dedupEntry{at: now, messageID: m.ID, seq: m.Seq}
	} else {
		m.ID = awsapi.RequestID()
	}
	m.Timestamp = now
	s.mu.Unlock()
	t.published.Add(1)
	if s.opts.Bus != nil { // skips boxing the event when nobody listens
		s.opts.Bus.Publish(telemetry.SNSPublished{At: telemetry.Now(), Topic: t.ARN, MessageID: m.ID, TraceID: m.TraceID})
	}
	s.fanOut(t, m)
	return m.ID, m.Seq
}

func (s *Service) publishBatch(r *request) (result, error) {
	t, err := s.topicFor(r, "TopicArn")
	if err != nil {
		return nil, err
	}
	idx := r.form.indexes("PublishBatchRequestEntries.member")
	if len(idx) == 0 {
		return nil, awsapi.Errorf(http.StatusBadRequest, "EmptyBatchRequest", "The batch request doesn't contain any entries.")
	}
	if len(idx) > maxBatchEntries {
		return nil, awsapi.Errorf(http.StatusBadRequest, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
	}
	type entry struct {
		id string
		in publishInput
	}
	entries := make([]entry, 0, len(idx))
	ids := map[string]bool{}
	total := 0
	for _, n := range idx {
		f := r.form.sub("PublishBatchRequestEntries.member." + strconv.Itoa(n))
		id := f.get("Id")
		switch {
		case len(id) > 80:
			return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidBatchEntryId", "The Id of a batch entry in a batch request is too long: %s", id)
		case !batchIDRE.MatchString(id):
			return nil, awsapi.Errorf(http.StatusBadRequest, "InvalidBatchEntryId", "The Id of a batch entry in a batch request contains an impermissible character: %s", id)
		case ids[id]:
			return nil, awsapi.Errorf(http.StatusBadRequest, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
		}
		ids[id] = true
		in := inputFrom(f)
		total += len(in.Message)
		entries = append(entries, entry{id, in})
	}
	s.mu.Lock()
	maxSize := t.maxMessageSize()
	s.mu.Unlock()
	if total > maxSize {
		return nil, awsapi.Errorf(http.StatusBadRequest, "BatchRequestTooLong", "The length of all the messages put together is more than the limit.")
	}
	var ok, failed xw
	ok.open("Successful")
	failed.open("Failed")
	for _, e := range entries {
		m, err := s.prepare(t, e.in, r.traceID)
		if err != nil {
			var ae *awsapi.Error
			if !errors.As(err, &ae) {
				ae = &awsapi.Error{Code: "InternalError", Message: err.Error()}
			}
			failed.open("member")
			failed.elem("Id", e.id)
			failed.elem("Code", ae.Code)
			failed.elem("Message", ae.Message)
			failed.elem("SenderFault", strconv.FormatBool(ae.Status < 500))
			failed.close("member")
			continue
		}
		id, seq := s.accept(t, m)
		ok.open("member")
		ok.elem("Id", e.id)
		ok.elem("MessageId", id)
		if seq != "" {
			ok.elem("SequenceNumber", seq)
		}
		ok.close("member")
	}
	ok.close("Successful")
	failed.close("Failed")
	var w xw
	w.b.WriteString(ok.b.String())
	w.b.WriteString(failed.b.String())
	return &w, nil
}
