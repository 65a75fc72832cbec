package dynamodb

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

type tableNameInput struct {
	TableName *string `json:"TableName"`
}

func (s *Service) namedTable(body []byte) (*table, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v verrs
	v.tableName(in.TableName, "tableName")
	if err := v.err(); err != nil {
		return nil, err
	}
	t := s.table(*in.TableName)
	if t == nil {
		return nil, errTableNotFound(resolveName(*in.TableName))
	}
	return t, nil
}

func opDescribeTable(s *Service, c *call) ([]byte, error) {
	t, err := s.namedTable(c.body)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return marshal(map[string]any{"Table": s.describe(t, "ACTIVE")})
}

func opDeleteTable(s *Service, c *call) ([]byte, error) {
	t, err := s.namedTable(c.body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, errTableNotFound(t.meta.Name)
	}
	if t.meta.DeletionProtection {
		return nil, awsapi.ValidationError("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	}
	d := s.describe(t, "DELETING")
	delete(s.tables, t.meta.Name)
	t.deleted = true
	if t.log != nil {
		_ = t.log.close()
		t.log = nil
	}
	if s.dataDir != "" {
		if err := removeFiles(s.metaPath(t.meta.Name), s.logPath(t.meta.Name)); err != nil {
			return nil, err
		}
	}
	if t.stream != nil {
		t.stream.disable()
	}
	return marshal(map[string]any{"TableDescription": d})
}

func removeFiles(paths ...string) error {
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove table file: %w", err)
		}
	}
	return nil
}

type listTablesInput struct {
	ExclusiveStartTableName *string `json:"ExclusiveStartTableName"`
	Limit                   *int64  `json:"Limit"`
}

func opListTables(s *Service, c *call) ([]byte, error) {
	var in listTablesInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	if in.ExclusiveStartTableName != nil {
		v.name(*in.ExclusiveStartTableName, "exclusiveStartTableName")
	}
	v.minInt(in.Limit, "limit", 1)
	v.maxInt(in.Limit, "limit", 100)
	if err := v.err(); err != nil {
		return nil, err
	}
	limit := 100
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	s.mu.RLock()
	names := make([]string, 0, len(s.tables))
	for n := range s.tables {
		names = append(names, n)
	}
	s.mu.RUnlock()
	sort.Strings(names)
	start := 0
	if in.ExclusiveStartTableName != nil {
		start = sort.Search(len(names), func(i int) bool { return names[i] > *in.ExclusiveStartTableName })
	}
	page := names[start:]
	out := struct {
		TableNames             []string `json:"TableNames"`
		LastEvaluatedTableName string   `json:"LastEvaluatedTableName,omitempty"`
	}{TableNames: []string{}}
	if len(page) > limit {
		page = page[:limit]
		out.LastEvaluatedTableName = page[len(page)-1]
	}
	out.TableNames = append(out.TableNames, page...)
	return marshal(out)
}

type gsiUpdate struct {
	Create *indexInput `json:"Create"`
	Update *struct {
		IndexName             *string                `json:"IndexName"`
		ProvisionedThroughput *provisionedThroughput `json:"ProvisionedThroughput"`
	} `json:"Update"`
	Delete *struct {
		IndexName *string `json:"IndexName"`
	} `json:"Delete"`
}

type updateTableInput struct {
	TableName                   *string                `json:"TableName"`
	AttributeDefinitions        []attributeDefinition  `json:"AttributeDefinitions"`
	BillingMode                 *string                `json:"BillingMode"`
	ProvisionedThroughput       *provisionedThroughput `json:"ProvisionedThroughput"`
	GlobalSecondaryIndexUpdates []gsiUpdate            `json:"GlobalSecondaryIndexUpdates"`
	StreamSpecification         *streamSpec            `json:"StreamSpecification"`
	SSESpecification            rawJSON                `json:"SSESpecification"`
	TableClass                  *string                `json:"TableClass"`
	DeletionProtectionEnabled   *bool                  `json:"DeletionProtectionEnabled"`
	OnDemandThroughput          rawJSON                `json:"OnDemandThroughput"`
	WarmThroughput              rawJSON                `json:"WarmThroughput"`
}

func opUpdateTable(s *Service, c *call) ([]byte, error) {
	var in updateTableInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	v.tableName(in.TableName, "tableName")
	v.enum(in.BillingMode, "billingMode", "PROVISIONED", "PAY_PER_REQUEST")
	validateThroughput(&v, in.ProvisionedThroughput, "provisionedThroughput")
	if in.StreamSpecification != nil {
		if in.StreamSpecification.StreamEnabled == nil {
			v.add(nil, "streamSpecification.streamEnabled", "Member must not be null")
		}
		v.enum(in.StreamSpecification.StreamViewType, "streamSpecification.streamViewType", streamViewTypes...)
	}
	v.enum(in.TableClass, "tableClass", "STANDARD", "STANDARD_INFREQUENT_ACCESS")
	if err := v.err(); err != nil {
		return nil, err
	}
	t := s.table(*in.TableName)
	if t == nil {
		return nil, errTableNotFound(resolveName(*in.TableName))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, errTableNotFound(t.meta.Name)
	}
	if in.BillingMode == nil && in.ProvisionedThroughput == nil && in.GlobalSecondaryIndexUpdates == nil &&
		in.StreamSpecification == nil && in.SSESpecification == nil && in.TableClass == nil &&
		in.DeletionProtectionEnabled == nil && in.OnDemandThroughput == nil && in.WarmThroughput == nil {
		return nil, awsapi.ValidationError("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	m := t.meta // work on a copy; commit at the end
	m.Indexes = append([]*indexMeta(nil), t.meta.Indexes...)
	now := time.Now().UTC()
	if in.BillingMode != nil && *in.BillingMode != m.Billing {
		m.Billing = *in.BillingMode
		if m.Billing == "PAY_PER_REQUEST" {
			m.RCU, m.WCU, m.BillingUpdated = 0, 0, now
		} else if in.ProvisionedThroughput == nil {
			return nil, invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
		}
	}
	if tp := in.ProvisionedThroughput; tp != nil {
		if m.Billing == "PAY_PER_REQUEST" {
			return nil, invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		if in.BillingMode == nil && *tp.ReadCapacityUnits == m.RCU && *tp.WriteCapacityUnits == m.WCU && in.GlobalSecondaryIndexUpdates == nil {
			return nil, awsapi.ValidationError("The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.", m.RCU, *tp.ReadCapacityUnits, m.WCU, *tp.WriteCapacityUnits)
		}
		if err := checkThroughputBounds(*tp.ReadCapacityUnits, *tp.WriteCapacityUnits); err != nil {
			return nil, err
		}
		m.RCU, m.WCU = *tp.ReadCapacityUnits, *tp.WriteCapacityUnits
	}
	var created *indexMeta
	if in.GlobalSecondaryIndexUpdates != nil {
		seen := map[string]bool{}
		onlineOps := 0
		for _, u := range in.GlobalSecondaryIndexUpdates {
			var name string
			switch {
			case u.Create != nil:
				name = str(u.Create.IndexName)
				onlineOps++
			case u.Delete != nil:
				name = str(u.Delete.IndexName)
				onlineOps++
			case u.Update != nil:
				name = str(u.Update.IndexName)
			default:
				return nil, invalid("One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null")
			}
			if seen[name] {
				return nil, invalid("Only one global secondary index update per index is allowed simultaneously. Index: %s", name)
			}
			seen[name] = true
		}
		if onlineOps > 1 {
			return nil, awsapi.Errorf(400, "LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
		}
		for _, u := range in.GlobalSecondaryIndexUpdates {
			switch {
			case u.Create != nil:
				im, err := s.newGSI(t, &m, u.Create, in.AttributeDefinitions, now)
				if err != nil {
					return nil, err
				}
				created = im
				m.Indexes = append(m.Indexes, im)
			case u.Delete != nil:
				i := indexPos(m.Indexes, str(u.Delete.IndexName), true)
				if i < 0 {
					return nil, awsapi.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Index: %s not found", str(u.Delete.IndexName))
				}
				m.Indexes = append(m.Indexes[:i:i], m.Indexes[i+1:]...)
			case u.Update != nil:
				i := indexPos(m.Indexes, str(u.Update.IndexName), true)
				if i < 0 {
					return nil, awsapi.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Index: %s not found", str(u.Update.IndexName))
				}
				if tp := u.Update.ProvisionedThroughput; tp != nil && tp.ReadCapacityUnits != nil && tp.WriteCapacityUnits != nil {
					cp := *m.Indexes[i]
					cp.RCU, cp.WCU, cp.HasTP = *tp.ReadCapacityUnits, *tp.WriteCapacityUnits, true
					m.Indexes[i] = &cp
				}
			}
		}
	}
	if m.Billing == "PROVISIONED" && t.meta.Billing == "PAY_PER_REQUEST" {
		for _, im := range m.Indexes {
			if im.Global && !im.HasTP {
				return nil, invalid("ProvisionedThroughput must be specified for index: %s", im.Name)
			}
		}
	}
	var newStreamNeeded bool
	if ss := in.StreamSpecification; ss != nil {
		if *ss.StreamEnabled {
			if m.StreamEnabled {
				return nil, awsapi.ValidationError("Table already has an enabled stream: %s", s.tableARN(m.Name)+"/stream/"+m.StreamLabel)
			}
			if ss.StreamViewType == nil {
				return nil, awsapi.ValidationError("1 validation error detected: Value null at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must not be null when StreamEnabled is true")
			}
			m.beginStream(*ss.StreamViewType, streamLabel(now), now, s.seq.peek()+1)
			newStreamNeeded = true
		} else {
			if !m.StreamEnabled {
				return nil, awsapi.ValidationError("Table already has no enabled stream")
			}
			m.StreamEnabled = false
		}
	}
	if in.SSESpecification != nil {
		m.SSE = in.SSESpecification
	}
	if in.TableClass != nil {
		m.TableClass = *in.TableClass
	}
	if in.DeletionProtectionEnabled != nil {
		m.DeletionProtection = *in.DeletionProtectionEnabled
	}
	// Commit.
	old := t.meta
	t.meta = m
	if err := s.saveMeta(t); err != nil {
		t.meta = old
		return nil, err
	}
	s.rebuildIndexList(t, created)
	if newStreamNeeded {
		s.openStream(t, now)
	} else if !m.StreamEnabled && t.stream != nil && old.StreamEnabled {
		t.stream.disable()
	}
	return marshal(map[string]any{"TableDescription": s.describe(t, "ACTIVE")})
}

// beginStream gives m a new stream (view, label), keeping the current one,
// if any, readable for its retention under its own label.
func (m *tableMeta) beginStream(view, label string, now time.Time, startSeq uint64) {
	if m.StreamLabel != "" && m.StreamLabel != label {
		m.PastStreams = append(livePastStreams(m.PastStreams, now), pastStream{Label: m.StreamLabel, View: m.StreamView,
			Created: m.StreamCreated, StartSeq: m.StreamStartSeq, Ended: now})
	}
	m.StreamEnabled, m.StreamView, m.StreamCreated = true, view, now
	m.StreamLabel, m.StreamStartSeq = label, startSeq
}

// openStream starts t.stream as beginStream (committed in t.meta) set it:
// the stream it replaces stops, and stays readable with the past ones
// when its label differs. Caller holds t.mu.
func (s *Service) openStream(t *table, now time.Time) {
	m := &t.meta
	if old := t.stream; old != nil {
		old.disable()
		if old.label != m.StreamLabel {
			t.past = append(livePast(t.past, now), old)
		}
	}
	t.stream = newStream(s, t, m.StreamLabel, m.StreamView, m.StreamCreated, m.StreamStartSeq)
}

// livePastStreams drops the replaced streams whose retention has passed.
func livePastStreams(list []pastStream, now time.Time) []pastStream {
	var out []pastStream
	for _, ps := range list {
		if now.Sub(ps.Ended) <= streamRetention {
			out = append(out, ps)
		}
	}
	return out
}

// livePast keeps the replaced streams that still hold records.
func livePast(list []*stream, now time.Time) []*stream {
	var out []*stream
	for _, st := range list {
		st.mu.Lock()
		st.trimLocked(now)
		n := len(st.recs)
		st.mu.Unlock()
		if n > 0 {
			out = append(out, st)
		}
	}
	return out
}

func indexPos(list []*indexMeta, name string, global bool) int {
	for i, im := range list {
		if im.Name == name && im.Global == global {
			return i
		}
	}
	return -1
}

// newGSI validates an UpdateTable Create action.
func (s *Service) newGSI(t *table, m *tableMeta, ci *indexInput, defsIn []attributeDefinition, now time.Time) (*indexMeta, error) {
	var v verrs
	if ci.IndexName == nil {
		v.add(nil, "globalSecondaryIndexUpdates.1.member.create.indexName", "Member must not be null")
	} else {
		v.name(*ci.IndexName, "globalSecondaryIndexUpdates.1.member.create.indexName")
	}
	validateKeySchema(&v, ci.KeySchema, "globalSecondaryIndexUpdates.1.member.create.keySchema")
	if ci.Projection == nil {
		v.add(nil, "globalSecondaryIndexUpdates.1.member.create.projection", "Member must not be null")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	name := *ci.IndexName
	for _, im := range m.Indexes {
		if im.Name == name {
			return nil, awsapi.ValidationError("One or more parameter values were invalid: Index %s already exists", name)
		}
	}
	gsis := 0
	for _, im := range m.Indexes {
		if im.Global {
			gsis++
		}
	}
	if gsis >= 20 {
		return nil, invalid("GlobalSecondaryIndex count exceeds the per-table limit of 20")
	}
	defs := map[string]string{}
	for _, ad := range m.AttrDefs {
		defs[ad[0]] = ad[1]
	}
	var added [][2]string
	for _, ad := range defsIn {
		if ad.AttributeName == nil || ad.AttributeType == nil {
			continue
		}
		if cur, ok := defs[*ad.AttributeName]; ok && cur != *ad.AttributeType {
			return nil, invalid("Cannot change the type of an existing attribute definition: %s", *ad.AttributeName)
		}
		if _, ok := defs[*ad.AttributeName]; !ok {
			defs[*ad.AttributeName] = *ad.AttributeType
			added = append(added, [2]string{*ad.AttributeName, *ad.AttributeType})
		}
	}
	ik, err := resolveKey(ci.KeySchema, defs)
	if err != nil {
		return nil, err
	}
	for _, n := range ik.names() {
		if _, ok := defs[n]; !ok {
			var dn []string
			for n := range defs {
				dn = append(dn, n)
			}
			sort.Strings(dn)
			return nil, invalid("Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", strings.Join(ik.names(), ", "), strings.Join(dn, ", "))
		}
	}
	pt, nonKey, err := resolveProjection(ci.Projection)
	if err != nil {
		return nil, err
	}
	im := &indexMeta{Name: name, Global: true, Key: ik, Projection: pt, NonKey: nonKey, Created: now}
	if m.Billing == "PROVISIONED" {
		tp := ci.ProvisionedThroughput
		if tp == nil || tp.ReadCapacityUnits == nil || tp.WriteCapacityUnits == nil {
			return nil, invalid("ProvisionedThroughput must be specified for index: %s", name)
		}
		im.RCU, im.WCU, im.HasTP = *tp.ReadCapacityUnits, *tp.WriteCapacityUnits, true
	} else if ci.ProvisionedThroughput != nil {
		return nil, invalid("ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", name)
	}
	m.AttrDefs = append(append([][2]string(nil), m.AttrDefs...), added...)
	return im, nil
}

// rebuildIndexList aligns t.indexes with t.meta.Indexes, backfilling a new
// GSI synchronously. Items whose key attributes have the wrong type are
// skipped, as AWS's violation detection would report them.
func (s *Service) rebuildIndexList(t *table, created *indexMeta) {
	cur := map[string]*index{}
	for _, ix := range t.indexes {
		cur[ix.meta.Name] = ix
	}
	var list []*index
	for _, im := range t.meta.Indexes {
		if ix, ok := cur[im.Name]; ok {
			ix.meta = im
			list = append(list, ix)
			continue
		}
		ix := &index{meta: im, tree: newIndexTree()}
		t.items.Scan(func(e *entry) bool {
			it := mustItem(e.data)
			if k, ok := ix.keyOf(it, e.key); ok {
				ix.tree.Set(ientry{key: k, e: e})
				ix.bytes += int64(e.size)
			}
			return true
		})
		list = append(list, ix)
	}
	t.indexes = list
}

// TTL.

func opDescribeTimeToLive(s *Service, c *call) ([]byte, error) {
	t, err := s.namedTable(c.body)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	d := map[string]string{"TimeToLiveStatus": "DISABLED"}
	if t.meta.TTLEnabled {
		d = map[string]string{"TimeToLiveStatus": "ENABLED", "AttributeName": t.meta.TTLAttr}
	}
	return marshal(map[string]any{"TimeToLiveDescription": d})
}

type updateTTLInput struct {
	TableName               *string `json:"TableName"`
	TimeToLiveSpecification *struct {
		Enabled       *bool   `json:"Enabled"`
		AttributeName *string `json:"AttributeName"`
	} `json:"TimeToLiveSpecification"`
}

func opUpdateTimeToLive(s *Service, c *call) ([]byte, error) {
	var in updateTTLInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	v.tableName(in.TableName, "tableName")
	if in.TimeToLiveSpecification == nil {
		v.add(nil, "timeToLiveSpecification", "Member must not be null")
	} else {
		if in.TimeToLiveSpecification.Enabled == nil {
			v.add(nil, "timeToLiveSpecification.enabled", "Member must not be null")
		}
		if in.TimeToLiveSpecification.AttributeName == nil {
			v.add(nil, "timeToLiveSpecification.attributeName", "Member must not be null")
		} else if n := *in.TimeToLiveSpecification.AttributeName; len(n) < 1 {
			v.add(n, "timeToLiveSpecification.attributeName", "Member must have length greater than or equal to 1")
		} else if len(n) > 255 {
			v.add(n, "timeToLiveSpecification.attributeName", "Member must have length less than or equal to 255")
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	t := s.table(*in.TableName)
	if t == nil {
		return nil, errNotFound()
	}
	spec := in.TimeToLiveSpecification
	t.mu.Lock()
	defer t.mu.Unlock()
	if *spec.Enabled {
		if t.meta.TTLEnabled {
			return nil, awsapi.ValidationError("TimeToLive is already enabled")
		}
	} else {
		if !t.meta.TTLEnabled {
			return nil, awsapi.ValidationError("TimeToLive is already disabled")
		}
		if t.meta.TTLAttr != *spec.AttributeName {
			return nil, awsapi.ValidationError("TimeToLive attribute name %s does not match the enabled attribute name %s", *spec.AttributeName, t.meta.TTLAttr)
		}
	}
	old := t.meta
	t.meta.TTLEnabled = *spec.Enabled
	t.meta.TTLAttr = *spec.AttributeName
	if err := s.saveMeta(t); err != nil {
		t.meta = old
		return nil, err
	}
	if t.meta.TTLEnabled {
		name := t.meta.TTLAttr
		t.items.Scan(func(e *entry) bool {
			e.ttl = ttlOf(mustItem(e.data), name)
			return true
		})
	}
	return marshal(map[string]any{"TimeToLiveSpecification": map[string]any{"Enabled": *spec.Enabled, "AttributeName": *spec.AttributeName}})
}

// Tags.

// tableByARN finds the table named by a resource ARN.
func (s *Service) tableByARN(arn *string, path string) (*table, error) {
	var v verrs
	if arn == nil {
		v.add(nil, path, "Member must not be null")
	} else if len(*arn) < 1 {
		v.add(*arn, path, "Member must have length greater than or equal to 1")
	} else if len(*arn) > 1283 {
		v.add(*arn, path, "Member must have length less than or equal to 1283")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	a := *arn
	prefix := "arn:aws:dynamodb:" + s.id.Region + ":" + s.id.Account + ":table/"
	if !strings.HasPrefix(a, "arn:") || !strings.Contains(a, ":table/") {
		return nil, awsapi.ValidationError("Invalid TableArn: Invalid ResourceArn provided as input %s", a)
	}
	name := strings.TrimPrefix(a, prefix)
	if name == a || strings.Contains(name, "/") {
		return nil, awsapi.Errorf(400, "ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found", a)
	}
	t := s.table(name)
	if t == nil {
		return nil, awsapi.Errorf(400, "ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found", a)
	}
	return t, nil
}

func validateTags(tags []tag) error {
	var v verrs
	for i, tg := range tags {
		p := fmt.Sprintf("tags.%d.member", i+1)
		if tg.Key == nil {
			v.add(nil, p+".key", "Member must not be null")
		} else if len(*tg.Key) < 1 {
			v.add(*tg.Key, p+".key", "Member must have length greater than or equal to 1")
		} else if len(*tg.Key) > 128 {
			v.add(*tg.Key, p+".key", "Member must have length less than or equal to 128")
		}
		if tg.Value == nil {
			v.add(nil, p+".value", "Member must not be null")
		} else if len(*tg.Value) > 256 {
			v.add(*tg.Value, p+".value", "Member must have length less than or equal to 256")
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	for _, tg := range tags {
		if strings.HasPrefix(*tg.Key, "aws:") {
			return awsapi.ValidationError("One or more parameter values were invalid: Tag keys starting with 'aws:' are reserved for system use")
		}
	}
	return nil
}

func opTagResource(s *Service, c *call) ([]byte, error) {
	var in struct {
		ResourceArn *string `json:"ResourceArn"`
		Tags        []tag   `json:"Tags"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		var v verrs
		v.add(nil, "tags", "Member must not be null")
		return nil, v.err()
	}
	t, err := s.tableByARN(in.ResourceArn, "resourceArn")
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tags := append([][2]string(nil), t.meta.Tags...)
	for _, tg := range in.Tags {
		tags = setTag(tags, *tg.Key, *tg.Value)
	}
	if len(tags) > 50 {
		return nil, awsapi.Errorf(400, "LimitExceededException", "The number of tags for the resource %s exceeds the limit of 50", *in.ResourceArn)
	}
	t.meta.Tags = tags
	if err := s.saveMeta(t); err != nil {
		return nil, err
	}
	return []byte("{}"), nil
}

func opUntagResource(s *Service, c *call) ([]byte, error) {
	var in struct {
		ResourceArn *string  `json:"ResourceArn"`
		TagKeys     []string `json:"TagKeys"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		var v verrs
		v.add(nil, "tagKeys", "Member must not be null")
		return nil, v.err()
	}
	t, err := s.tableByARN(in.ResourceArn, "resourceArn")
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	drop := map[string]bool{}
	for _, k := range in.TagKeys {
		drop[k] = true
	}
	var kept [][2]string
	for _, tg := range t.meta.Tags {
		if !drop[tg[0]] {
			kept = append(kept, tg)
		}
	}
	t.meta.Tags = kept
	if err := s.saveMeta(t); err != nil {
		return nil, err
	}
	return []byte("{}"), nil
}

func opListTagsOfResource(s *Service, c *call) ([]byte, error) {
	var in struct {
		ResourceArn *string `json:"ResourceArn"`
		NextToken   *string `json:"NextToken"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	t, err := s.tableByARN(in.ResourceArn, "resourceArn")
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	type tagOut struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	}
	out := struct {
		Tags []tagOut `json:"Tags"`
	}{Tags: []tagOut{}}
	for _, tg := range t.meta.Tags {
		out.Tags = append(out.Tags, tagOut{tg[0], tg[1]})
	}
	return marshal(out)
}

func opDescribeLimits(s *Service, c *call) ([]byte, error) {
	if err := decode(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	return []byte(`{"AccountMaxReadCapacityUnits":80000,"AccountMaxWriteCapacityUnits":80000,"TableMaxReadCapacityUnits":40000,"TableMaxWriteCapacityUnits":40000}`), nil
}

func opDescribeEndpoints(s *Service, c *call) ([]byte, error) {
	if err := decode(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	host := c.host
	if host == "" {
		host = "dynamodb." + s.id.Region + ".amazonaws.com"
	}
	return marshal(map[string]any{"Endpoints": []map[string]any{{"Address": host, "CachePeriodInMinutes": 1440}}})
}

// keysJSON renders an item's key attributes for telemetry and logs.
func keysJSON(k attr.Item) string { return string(attr.AppendItemJSON(nil, k)) }
