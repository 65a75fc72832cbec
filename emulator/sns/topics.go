package sns

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
)

// pageSize is SNS's page size for ListTopics and ListSubscriptions*.
const pageSize = 100

// maxTags is SNS's per-topic tag limit.
const maxTags = 50

// defaultMaxMessageSize is the default MaximumMessageSize (256 KiB).
const defaultMaxMessageSize = 262144

const defaultEffectiveDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

var (
	topicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	fifoNameRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,251}\.fifo$`)
)

// topicAttrs are the settable topic attributes (CreateTopic and
// SetTopicAttributes; FifoTopic only at creation).
var topicAttrs = func() map[string]bool {
	m := map[string]bool{
		"DisplayName": true, "Policy": true, "DeliveryPolicy": true, "KmsMasterKeyId": true,
		"TracingConfig": true, "SignatureVersion": true, "MaximumMessageSize": true,
		"FifoTopic": true, "ContentBasedDeduplication": true, "FifoThroughputScope": true,
		"ArchivePolicy": true, "DataProtectionPolicy": true,
	}
	for _, p := range []string{"HTTP", "Lambda", "SQS", "Firehose", "Application"} {
		for _, s := range []string{"SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate"} {
			m[p+s] = true
		}
	}
	return m
}()

// validateTopicAttr checks one attribute value; prefix is the caller's
// error prefix ("Attributes Reason: " for CreateTopic, "" for Set).
func validateTopicAttr(name, value string, fifo bool) *awsapi.Error {
	switch name {
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return errInvalidParameter("Invalid parameter: SignatureVersion")
		}
	case "TracingConfig":
		if value != "PassThrough" && value != "Active" {
			return errInvalidParameter("Invalid parameter: TracingConfig")
		}
	case "MaximumMessageSize":
		n, err := strconv.Atoi(value)
		if err != nil || n < 1024 || n > 1048576 {
			return errInvalidParameter("Invalid parameter: MaximumMessageSize Reason: Must be between 1024 and 1048576 bytes")
		}
	case "DeliveryPolicy", "Policy", "ArchivePolicy", "DataProtectionPolicy":
		if value != "" && !json.Valid([]byte(value)) {
			return errInvalidParameter("Invalid parameter: %s: failed to parse JSON.", name)
		}
		if name == "DeliveryPolicy" && value != "" {
			if _, err := parseDeliveryPolicy(value, true); err != nil {
				return errInvalidParameter("Invalid parameter: DeliveryPolicy: %s", err)
			}
		}
	case "FifoTopic", "ContentBasedDeduplication":
		if value != "true" && value != "false" {
			return errInvalidParameter("Invalid parameter: %s", name)
		}
		if name == "ContentBasedDeduplication" && value == "true" && !fifo {
			return errInvalidParameter("Invalid parameter: Attributes Reason: ContentBasedDeduplication is only valid for FIFO topics")
		}
	case "FifoThroughputScope":
		if value != "Topic" && value != "MessageGroup" {
			return errInvalidParameter("Invalid parameter: FifoThroughputScope")
		}
		if !fifo {
			return errInvalidParameter("Invalid parameter: Attributes Reason: FifoThroughputScope is only valid for FIFO topics")
		}
	}
	return nil
}

func (s *Service) createTopic(r *request) (result, error) {
	name := r.form.get("Name")
	attrs := r.form.stringMap("Attributes")
	tags := r.form.tags("Tags")
	if dp := r.form.get("DataProtectionPolicy"); dp != "" {
		attrs["DataProtectionPolicy"] = dp
	}
	arn, err := s.create(name, attrs, tags, false)
	if err != nil {
		return nil, err
	}
	var w xw
	w.elem("TopicArn", arn)
	return &w, nil
}

// create makes a topic or, when it exists, checks that the request agrees
// with it (CreateTopic is idempotent). update=true replaces attributes
// instead (EnsureTopic from slsx.yaml).
func (s *Service) create(name string, attrs map[string]string, tags []tagPair, update bool) (string, error) {
	if name == "" {
		return "", errMissing("Name")
	}
	fifo := attrs["FifoTopic"] == "true"
	switch {
	case fifo && !fifoNameRE.MatchString(name):
		return "", errInvalidParameter("Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
	case !fifo && !topicNameRE.MatchString(name):
		return "", errInvalidParameter("Invalid parameter: Topic Name")
	}
	for k, v := range attrs {
		if !topicAttrs[k] {
			return "", errInvalidParameter("Invalid parameter: Attributes Reason: Invalid attribute name: %s", k)
		}
		if err := validateTopicAttr(k, v, fifo); err != nil {
			return "", err
		}
	}
	if !fifo {
		delete(attrs, "FifoTopic")
	} else if _, ok := attrs["ContentBasedDeduplication"]; !ok {
		attrs["ContentBasedDeduplication"] = "false"
	}
	tagMap, err := checkTags(tags)
	if err != nil {
		return "", err
	}
	arn := s.opts.Identity.ARN("sns", name)
	s.mu.Lock()
	if t, ok := s.topics[arn]; ok {
		defer s.mu.Unlock()
		if update {
			t.Attrs = attrs
			t.fifo = fifo
			for k, v := range tagMap {
				t.Tags[k] = v
			}
			return arn, nil
		}
		for k, v := range attrs {
			if t.Attrs[k] != v {
				return "", errInvalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
			}
		}
		for k, v := range tagMap {
			if old, ok := t.Tags[k]; !ok || old != v {
				return "", errInvalidParameter("Invalid parameter: Tags Reason: Topic already exists with different tags")
			}
		}
		return arn, nil
	}
	t := &topic{ARN: arn, Name: name, Attrs: attrs, Tags: tagMap}
	t.init()
	s.topics[arn] = t
	s.mu.Unlock()
	s.persist()
	return arn, nil
}

func checkTags(tags []tagPair) (map[string]string, error) {
	m := map[string]string{}
	for _, t := range tags {
		if _, dup := m[t.Key]; dup {
			return nil, errInvalidParameter("Invalid parameter: Duplicated keys are not allowed.")
		}
		if len(t.Key) < 1 || len(t.Key) > 128 {
			return nil, errInvalidParameter("Invalid parameter: Tags Reason: Tag key must be between 1 and 128 characters")
		}
		if len(t.Value) > 256 {
			return nil, errInvalidParameter("Invalid parameter: Tags Reason: Tag value must be between 0 and 256 characters")
		}
		m[t.Key] = t.Value
	}
	if len(m) > maxTags {
		return nil, awsapi.Errorf(http.StatusBadRequest, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	return m, nil
}

// EnsureTopic creates the topic declared in slsx.yaml, or brings an
// existing one's attributes in line with the file, and returns its ARN.
func (s *Service) EnsureTopic(c *config.Topic) (string, error) {
	attrs := map[string]string{}
	for k, v := range c.Attributes {
		attrs[k] = v
	}
	name := c.Name
	if c.Fifo {
		attrs["FifoTopic"] = "true"
		if !strings.HasSuffix(name, ".fifo") {
			name += ".fifo"
		}
		attrs["ContentBasedDeduplication"] = strconv.FormatBool(c.ContentBasedDeduplication)
	}
	arn, err := s.create(name, attrs, nil, true)
	if err != nil {
		return "", err
	}
	s.persist()
	return arn, nil
}

// validTopicARN reports whether arn has the shape of an SNS topic ARN.
func validTopicARN(arn string) bool {
	p := strings.Split(arn, ":")
	return len(p) == 6 && p[0] == "arn" && p[2] == "sns" && p[5] != ""
}

// topicFor looks up TopicArn (or another parameter) from the request.
func (s *Service) topicFor(r *request, param string) (*topic, error) {
	arn := r.form.get(param)
	if arn == "" {
		return nil, errMissing(param)
	}
	if !validTopicARN(arn) {
		return nil, errInvalidParameter("Invalid parameter: %s", param)
	}
	s.mu.Lock()
	t := s.topics[arn]
	s.mu.Unlock()
	if t == nil {
		return nil, errTopicNotFound()
	}
	return t, nil
}

func (s *Service) deleteTopic(r *request) (result, error) {
	arn := r.form.get("TopicArn")
	if arn == "" {
		return nil, errMissing("TopicArn")
	}
	if !validTopicARN(arn) {
		return nil, errInvalidParameter("Invalid parameter: TopicArn")
	}
	s.mu.Lock()
	_, ok := s.topics[arn]
	delete(s.topics, arn)
	for k, sub := range s.subs {
		if sub.TopicARN == arn {
			delete(s.subs, k)
		}
	}
	s.mu.Unlock()
	if ok {
		s.persist()
	}
	return nil, nil
}

func (s *Service) listTopics(r *request) (result, error) {
	s.mu.Lock()
	arns := make([]string, 0, len(s.topics))
	for a := range s.topics {
		arns = append(arns, a)
	}
	s.mu.Unlock()
	sort.Strings(arns)
	page, next, err := paginate(arns, r.form.get("NextToken"))
	if err != nil {
		return nil, err
	}
	var w xw
	w.open("Topics")
	for _, a := range page {
		w.open("member")
		w.elem("TopicArn", a)
		w.close("member")
	}
	w.close("Topics")
	if next != "" {
		w.elem("NextToken", next)
	}
	return &w, nil
}

// paginate returns the page of sorted keys after token, and the token for
// the next page ("" on the last). The token encodes the last key returned,
// so it stays valid when items are added or removed between pages.
func paginate(keys []string, token string) ([]string, string, error) {
	start := 0
	if token != "" {
		last, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(last) == 0 {
			return nil, "", errInvalidParameter("Invalid parameter: NextToken")
		}
		start = sort.Search(len(keys), func(i int) bool { return keys[i] > string(last) })
	}
	end := start + pageSize
	if end >= len(keys) {
		return keys[start:], "", nil
	}
	return keys[start:end], base64.RawURLEncoding.EncodeToString([]byte(keys[end-1])), nil
}

func (s *Service) getTopicAttributes(r *request) (result, error) {
	t, err := s.topicFor(r, "TopicArn")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	attrs := copyMap(t.Attrs)
	pending, confirmed := 0, 0
	for _, sub := range s.subs {
		if sub.TopicARN != t.ARN {
			continue
		}
		if sub.Pending {
			pending++
		} else {
			confirmed++
		}
	}
	s.mu.Unlock()
	delete(attrs, "DataProtectionPolicy")
	attrs["TopicArn"] = t.ARN
	attrs["Owner"] = s.opts.Identity.Account
	if attrs["Policy"] == "" {
		attrs["Policy"] = s.defaultPolicy(t.ARN)
	}
	if _, ok := attrs["DisplayName"]; !ok {
		attrs["DisplayName"] = ""
	}
	attrs["SubscriptionsPending"] = strconv.Itoa(pending)
	attrs["SubscriptionsConfirmed"] = strconv.Itoa(confirmed)
	attrs["SubscriptionsDeleted"] = "0"
	attrs["EffectiveDeliveryPolicy"] = effectiveTopicPolicy(attrs["DeliveryPolicy"])
	if attrs["DeliveryPolicy"] == "" {
		delete(attrs, "DeliveryPolicy")
	}
	var w xw
	w.open("Attributes")
	w.entries(attrs)
	w.close("Attributes")
	return &w, nil
}

func (s *Service) defaultPolicy(arn string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` +
		arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + s.opts.Identity.Account + `"}}}]}`
}

func (s *Service) setTopicAttributes(r *request) (result, error) {
	t, err := s.topicFor(r, "TopicArn")
	if err != nil {
		return nil, err
	}
	name := r.form.get("AttributeName")
	if name == "" {
		return nil, errMissing("AttributeName")
	}
	if !topicAttrs[name] || name == "FifoTopic" {
		return nil, errInvalidParameter("Invalid parameter: AttributeName")
	}
	value := r.form.get("AttributeValue")
	if err := validateTopicAttr(name, value, t.fifo); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if value == "" && name != "DisplayName" {
		delete(t.Attrs, name)
	} else {
		t.Attrs[name] = value
	}
	s.mu.Unlock()
	s.persist()
	return nil, nil
}

func (s *Service) tagTopic(r *request) (*topic, error) {
	arn := r.form.get("ResourceArn")
	if arn == "" {
		return nil, errMissing("ResourceArn")
	}
	s.mu.Lock()
	t := s.topics[arn]
	s.mu.Unlock()
	if t == nil {
		return nil, awsapi.Errorf(http.StatusNotFound, "ResourceNotFound", "Resource does not exist")
	}
	return t, nil
}

func (s *Service) tagResource(r *request) (result, error) {
	t, err := s.tagTopic(r)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(r.form.tags("Tags"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	merged := copyMap(t.Tags)
	for k, v := range tags {
		merged[k] = v
	}
	if len(merged) > maxTags {
		s.mu.Unlock()
		return nil, awsapi.Errorf(http.StatusBadRequest, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	t.Tags = merged
	s.mu.Unlock()
	s.persist()
	return &xw{}, nil
}

func (s *Service) untagResource(r *request) (result, error) {
	t, err := s.tagTopic(r)
	if err != nil {
		return nil, err
	}
	keys := r.form.stringList("TagKeys")
	s.mu.Lock()
	for _, k := range keys {
		delete(t.Tags, k)
	}
	s.mu.Unlock()
	s.persist()
	return &xw{}, nil
}

func (s *Service) listTagsForResource(r *request) (result, error) {
	t, err := s.tagTopic(r)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	tags := copyMap(t.Tags)
	s.mu.Unlock()
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var w xw
	w.open("Tags")
	for _, k := range keys {
		w.open("member")
		w.elem("Key", k)
		w.elem("Value", tags[k])
		w.close("member")
	}
	w.close("Tags")
	return &w, nil
}

// policyDoc is the subset of an access policy AddPermission edits.
type policyDoc struct {
	Version   string           `json:"Version"`
	ID        string           `json:"Id"`
	Statement []map[string]any `json:"Statement"`
}

func (s *Service) editPolicy(t *topic, edit func(*policyDoc) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw := t.Attrs["Policy"]
	if raw == "" {
		raw = s.defaultPolicy(t.ARN)
	}
	var doc policyDoc
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return errInvalidParameter("Invalid parameter: Policy")
	}
	if err := edit(&doc); err != nil {
		return err
	}
	b, _ := json.Marshal(doc)
	t.Attrs["Policy"] = string(b)
	return nil
}

func (s *Service) addPermission(r *request) (result, error) {
	t, err := s.topicFor(r, "TopicArn")
	if err != nil {
		return nil, err
	}
	label := r.form.get("Label")
	if label == "" {
		return nil, errMissing("Label")
	}
	accounts := r.form.stringList("AWSAccountId")
	acts := r.form.stringList("ActionName")
	if len(accounts) == 0 {
		return nil, errMissing("AWSAccountId")
	}
	if len(acts) == 0 {
		return nil, errMissing("ActionName")
	}
	principals := make([]string, len(accounts))
	for i, a := range accounts {
		principals[i] = "arn:aws:iam::" + a + ":root"
	}
	actionList := make([]string, len(acts))
	for i, a := range acts {
		actionList[i] = "SNS:" + a
	}
	err = s.editPolicy(t, func(d *policyDoc) error {
		for _, st := range d.Statement {
			if st["Sid"] == label {
				return errInvalidParameter("Invalid parameter: Statement already exists")
			}
		}
		d.Statement = append(d.Statement, map[string]any{
			"Sid": label, "Effect": "Allow", "Principal": map[string]any{"AWS": principals},
			"Action": actionList, "Resource": t.ARN,
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.persist()
	return nil, nil
}

func (s *Service) removePermission(r *request) (result, error) {
	t, err := s.topicFor(r, "TopicArn")
	if err != nil {
		return nil, err
	}
	label := r.form.get("Label")
	if label == "" {
		return nil, errMissing("Label")
	}
	err = s.editPolicy(t, func(d *policyDoc) error {
		kept := d.Statement[:0]
		for _, st := range d.Statement {
			if st["Sid"] != label {
				kept = append(kept, st)
			}
		}
		d.Statement = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.persist()
	return nil, nil
}

func (s *Service) getDataProtectionPolicy(r *request) (result, error) {
	t, err := s.topicFor(r, "ResourceArn")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	p := t.Attrs["DataProtectionPolicy"]
	s.mu.Unlock()
	var w xw
	w.elem("DataProtectionPolicy", p)
	return &w, nil
}

func (s *Service) putDataProtectionPolicy(r *request) (result, error) {
	t, err := s.topicFor(r, "ResourceArn")
	if err != nil {
		return nil, err
	}
	p := r.form.get("DataProtectionPolicy")
	if p == "" {
		return nil, errMissing("DataProtectionPolicy")
	}
	if !json.Valid([]byte(p)) {
		return nil, errInvalidParameter("Invalid parameter: DataProtectionPolicy: failed to parse JSON.")
	}
	s.mu.Lock()
	t.Attrs["DataProtectionPolicy"] = p
	s.mu.Unlock()
	s.persist()
	return nil, nil
}
