package dynamodb

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/slsx/slsx/emulator/awsapi"
)

type indexInput struct {
	IndexName             *string                `json:"IndexName"`
	KeySchema             []keySchemaElement     `json:"KeySchema"`
	Projection            *projection            `json:"Projection"`
	ProvisionedThroughput *provisionedThroughput `json:"ProvisionedThroughput"`
}

type streamSpec struct {
	StreamEnabled  *bool   `json:"StreamEnabled"`
	StreamViewType *string `json:"StreamViewType"`
}

type createTableInput struct {
	TableName                 *string                `json:"TableName"`
	AttributeDefinitions      []attributeDefinition  `json:"AttributeDefinitions"`
	KeySchema                 []keySchemaElement     `json:"KeySchema"`
	LocalSecondaryIndexes     *[]indexInput          `json:"LocalSecondaryIndexes"`
	GlobalSecondaryIndexes    *[]indexInput          `json:"GlobalSecondaryIndexes"`
	BillingMode               *string                `json:"BillingMode"`
	ProvisionedThroughput     *provisionedThroughput `json:"ProvisionedThroughput"`
	StreamSpecification       *streamSpec            `json:"StreamSpecification"`
	SSESpecification          json.RawMessage        `json:"SSESpecification"`
	Tags                      []tag                  `json:"Tags"`
	TableClass                *string                `json:"TableClass"`
	DeletionProtectionEnabled *bool                  `json:"DeletionProtectionEnabled"`
}

var streamViewTypes = []string{"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"}

// maxThroughput is the largest capacity value DynamoDB accepts (10^12).
const maxThroughput = 1_000_000_000_000

func opCreateTable(s *Service, c *call) ([]byte, error) {
	var in createTableInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	t, err := s.createTable(&in)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return marshal(map[string]any{"TableDescription": s.describe(t, "ACTIVE")})
}

func validateKeySchema(v *verrs, ks []keySchemaElement, path string) {
	if ks == nil {
		v.add(nil, path, "Member must not be null")
		return
	}
	if len(ks) < 1 {
		v.add("[]", path, "Member must have length greater than or equal to 1")
	}
	if len(ks) > 2 {
		v.add(fmt.Sprint(len(ks)), path, "Member must have length less than or equal to 2")
	}
	for i, k := range ks {
		p := fmt.Sprintf("%s.%d.member", path, i+1)
		if k.AttributeName == nil {
			v.add(nil, p+".attributeName", "Member must not be null")
		} else if len(*k.AttributeName) < 1 {
			v.add("", p+".attributeName", "Member must have length greater than or equal to 1")
		} else if len(*k.AttributeName) > 255 {
			v.add(*k.AttributeName, p+".attributeName", "Member must have length less than or equal to 255")
		}
		if k.KeyType == nil {
			v.add(nil, p+".keyType", "Member must not be null")
		} else {
			v.enum(k.KeyType, p+".keyType", "HASH", "RANGE")
		}
	}
}

func validateThroughput(v *verrs, tp *provisionedThroughput, path string) {
	if tp == nil {
		return
	}
	if tp.ReadCapacityUnits == nil {
		v.add(nil, path+".readCapacityUnits", "Member must not be null")
	}
	if tp.WriteCapacityUnits == nil {
		v.add(nil, path+".writeCapacityUnits", "Member must not be null")
	}
	v.minInt(tp.ReadCapacityUnits, path+".readCapacityUnits", 1)
	v.minInt(tp.WriteCapacityUnits, path+".writeCapacityUnits", 1)
}

// resolveKey checks a KeySchema's semantic rules and resolves the types.
func resolveKey(ks []keySchemaElement, defs map[string]string) (keySchema, error) {
	var k keySchema
	if str(ks[0].KeyType) != "HASH" {
		return k, awsapi.ValidationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	k.Hash, k.HashType = str(ks[0].AttributeName), defs[str(ks[0].AttributeName)]
	if len(ks) == 2 {
		if str(ks[1].KeyType) != "RANGE" {
			return k, awsapi.ValidationError("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		}
		if str(ks[1].AttributeName) == k.Hash {
			return k, awsapi.ValidationError("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
		k.Range, k.RangeType = str(ks[1].AttributeName), defs[str(ks[1].AttributeName)]
	}
	return k, nil
}

func resolveProjection(p *projection) (string, []string, error) {
	if p == nil || p.ProjectionType == nil {
		return "", nil, invalid("Unknown ProjectionType: null")
	}
	pt := *p.ProjectionType
	switch pt {
	case "ALL", "KEYS_ONLY", "INCLUDE":
	default:
		return "", nil, invalid("Unknown ProjectionType: %s", pt)
	}
	if pt != "INCLUDE" && len(p.NonKeyAttributes) > 0 {
		return "", nil, invalid("ProjectionType is %s, but NonKeyAttributes is specified", pt)
	}
	if len(p.NonKeyAttributes) > 20 {
		return "", nil, invalid("The number of NonKeyAttributes in the projection exceeds the limit of 20")
	}
	return pt, p.NonKeyAttributes, nil
}

func (s *Service) createTable(in *createTableInput) (*table, error) {
	var v verrs
	v.tableName(in.TableName, "tableName")
	if in.AttributeDefinitions == nil {
		v.add(nil, "attributeDefinitions", "Member must not be null")
	}
	for i, ad := range in.AttributeDefinitions {
		p := fmt.Sprintf("attributeDefinitions.%d.member", i+1)
		if ad.AttributeName == nil {
			v.add(nil, p+".attributeName", "Member must not be null")
		}
		if ad.AttributeType == nil {
			v.add(nil, p+".attributeType", "Member must not be null")
		}
		v.enum(ad.AttributeType, p+".attributeType", "B", "N", "S")
	}
	validateKeySchema(&v, in.KeySchema, "keySchema")
	v.enum(in.BillingMode, "billingMode", "PROVISIONED", "PAY_PER_REQUEST")
	validateThroughput(&v, in.ProvisionedThroughput, "provisionedThroughput")
	for _, list := range []struct {
		l    *[]indexInput
		path string
	}{{in.LocalSecondaryIndexes, "localSecondaryIndexes"}, {in.GlobalSecondaryIndexes, "globalSecondaryIndexes"}} {
		if list.l == nil {
			continue
		}
		for i, ix := range *list.l {
			p := fmt.Sprintf("%s.%d.member", list.path, i+1)
			if ix.IndexName == nil {
				v.add(nil, p+".indexName", "Member must not be null")
			} else {
				v.name(*ix.IndexName, p+".indexName")
			}
			validateKeySchema(&v, ix.KeySchema, p+".keySchema")
			if ix.Projection == nil {
				v.add(nil, p+".projection", "Member must not be null")
			} else {
				v.enum(ix.Projection.ProjectionType, p+".projection.projectionType", "ALL", "KEYS_ONLY", "INCLUDE")
			}
			validateThroughput(&v, ix.ProvisionedThroughput, p+".provisionedThroughput")
		}
	}
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

	m := tableMeta{Name: *in.TableName, ID: uuid.NewString(), Created: time.Now().UTC(), TableClass: str(in.TableClass), SSE: in.SSESpecification}
	if in.DeletionProtectionEnabled != nil {
		m.DeletionProtection = *in.DeletionProtectionEnabled
	}
	// Billing and throughput.
	m.Billing = "PROVISIONED"
	if in.BillingMode != nil {
		m.Billing = *in.BillingMode
	}
	if m.Billing == "PROVISIONED" {
		if in.ProvisionedThroughput == nil {
			return nil, invalid("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		m.RCU, m.WCU = *in.ProvisionedThroughput.ReadCapacityUnits, *in.ProvisionedThroughput.WriteCapacityUnits
		if err := checkThroughputBounds(m.RCU, m.WCU); err != nil {
			return nil, err
		}
	} else {
		if in.ProvisionedThroughput != nil {
			return nil, invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		m.BillingUpdated = m.Created
	}

	defs := map[string]string{}
	var defNames []string
	for _, ad := range in.AttributeDefinitions {
		defs[*ad.AttributeName] = *ad.AttributeType
		defNames = append(defNames, *ad.AttributeName)
		m.AttrDefs = append(m.AttrDefs, [2]string{*ad.AttributeName, *ad.AttributeType})
	}
	if len(defs) != len(in.AttributeDefinitions) {
		return nil, invalid("Duplicate AttributeName in AttributeDefinitions")
	}
	k, err := resolveKey(in.KeySchema, defs)
	if err != nil {
		return nil, err
	}
	m.Key = k
	used := map[string]bool{k.Hash: true}
	var usedOrder []string
	usedOrder = append(usedOrder, k.Hash)
	if k.Range != "" {
		used[k.Range] = true
		usedOrder = append(usedOrder, k.Range)
	}
	names := map[string]bool{}
	includeTotal := 0
	addIndexes := func(list *[]indexInput, global bool) error {
		if list == nil {
			return nil
		}
		kind := "LocalSecondaryIndexes"
		if global {
			kind = "GlobalSecondaryIndexes"
		}
		if len(*list) == 0 {
			return invalid("List of %s is empty", kind)
		}
		if !global && len(*list) > 5 {
			return invalid("Number of LocalSecondaryIndexes exceeds per-table limit of 5")
		}
		if global && len(*list) > 20 {
			return invalid("GlobalSecondaryIndex count exceeds the per-table limit of 20")
		}
		for _, ii := range *list {
			name := *ii.IndexName
			if names[name] {
				return invalid("Duplicate index name: %s", name)
			}
			names[name] = true
			ik, err := resolveKey(ii.KeySchema, defs)
			if err != nil {
				return err
			}
			if !global {
				if k.Range == "" {
					return invalid("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
				}
				if ik.Range == "" {
					return invalid("Index KeySchema does not have a range key for index: %s", name)
				}
				if ik.Hash != k.Hash {
					return invalid("Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s", name, ik.Hash, k.Hash)
				}
			}
			pt, nonKey, err := resolveProjection(ii.Projection)
			if err != nil {
				return err
			}
			includeTotal += len(nonKey)
			im := &indexMeta{Name: name, Global: global, Key: ik, Projection: pt, NonKey: nonKey, Created: m.Created}
			if global {
				if m.Billing == "PAY_PER_REQUEST" && ii.ProvisionedThroughput != nil {
					return invalid("ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", name)
				}
				if m.Billing == "PROVISIONED" {
					if ii.ProvisionedThroughput == nil {
						return invalid("ProvisionedThroughput must be specified for index: %s", name)
					}
					im.RCU, im.WCU, im.HasTP = *ii.ProvisionedThroughput.ReadCapacityUnits, *ii.ProvisionedThroughput.WriteCapacityUnits, true
					if err := checkThroughputBounds(im.RCU, im.WCU); err != nil {
						return err
					}
				}
			}
			for _, n := range ik.names() {
				if !used[n] {
					used[n] = true
					usedOrder = append(usedOrder, n)
				}
			}
			m.Indexes = append(m.Indexes, im)
		}
		return nil
	}
	if err := addIndexes(in.LocalSecondaryIndexes, false); err != nil {
		return nil, err
	}
	if err := addIndexes(in.GlobalSecondaryIndexes, true); err != nil {
		return nil, err
	}
	if includeTotal > 100 {
		return nil, invalid("Number of projected attributes in all indexes exceeds limit of 100, number of projected attributes: %d", includeTotal)
	}
	var missing bool
	for _, n := range usedOrder {
		if _, ok := defs[n]; !ok {
			missing = true
		}
	}
	if missing {
		return nil, invalid("Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", strings.Join(usedOrder, ", "), strings.Join(defNames, ", "))
	}
	if len(defs) != len(used) {
		if len(m.Indexes) == 0 {
			return nil, invalid("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
		}
		return nil, invalid("Some AttributeDefinitions are not used. AttributeDefinitions: [%s], keys used: [%s]", strings.Join(defNames, ", "), strings.Join(usedOrder, ", "))
	}
	if ss := in.StreamSpecification; ss != nil && *ss.StreamEnabled {
		if ss.StreamViewType == nil {
			return nil, awsapi.ValidationError("1 validation error detected: Value null at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must not be null when StreamEnabled is true")
		}
		m.StreamEnabled, m.StreamView = true, *ss.StreamViewType
		m.StreamCreated = m.Created
		m.StreamLabel = streamLabel(m.Created)
		m.StreamStartSeq = s.seq.peek() + 1
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	for _, tg := range in.Tags {
		m.Tags = setTag(m.Tags, *tg.Key, *tg.Value)
	}

	t := &table{meta: m, items: newItemTree()}
	s.buildIndexes(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tables[m.Name]; ok {
		return nil, awsapi.Errorf(400, "ResourceInUseException", "Table already exists: %s", m.Name)
	}
	if s.dataDir != "" {
		_ = removeFiles(s.logPath(m.Name))
		if err := s.saveMeta(t); err != nil {
			return nil, err
		}
		w, err := openWAL(s.logPath(m.Name))
		if err != nil {
			return nil, err
		}
		t.log = w
	}
	if m.StreamEnabled {
		t.stream = newStream(s, t, m.StreamLabel, m.StreamView, m.StreamCreated, m.StreamStartSeq)
	}
	s.tables[m.Name] = t
	return t, nil
}

func checkThroughputBounds(r, w int64) error {
	if r > maxThroughput {
		return awsapi.ValidationError("Given value %d for ReadCapacityUnits is out of bounds", r)
	}
	if w > maxThroughput {
		return awsapi.ValidationError("Given value %d for WriteCapacityUnits is out of bounds", w)
	}
	return nil
}

// streamLabel formats a stream label: creation time in UTC with milliseconds.
func streamLabel(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000") }

func setTag(tags [][2]string, k, v string) [][2]string {
	for i := range tags {
		if tags[i][0] == k {
			tags[i][1] = v
			return tags
		}
	}
	tags = append(tags, [2]string{k, v})
	sort.Slice(tags, func(i, j int) bool { return tags[i][0] < tags[j][0] })
	return tags
}
