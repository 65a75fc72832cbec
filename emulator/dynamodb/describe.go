package dynamodb

import (
	"encoding/json"
	"time"
)

// Output shapes of the control plane (reference §4.2).

type throughputDesc struct {
	NumberOfDecreasesToday int64 `json:"NumberOfDecreasesToday"`
	ReadCapacityUnits      int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64 `json:"WriteCapacityUnits"`
}

type keyElemOut struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

type projectionOut struct {
	ProjectionType   string   `json:"ProjectionType"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

type indexDesc struct {
	IndexName             string          `json:"IndexName"`
	KeySchema             []keyElemOut    `json:"KeySchema"`
	Projection            projectionOut   `json:"Projection"`
	IndexStatus           string          `json:"IndexStatus,omitempty"`
	ProvisionedThroughput *throughputDesc `json:"ProvisionedThroughput,omitempty"`
	IndexSizeBytes        int64           `json:"IndexSizeBytes"`
	ItemCount             int             `json:"ItemCount"`
	IndexArn              string          `json:"IndexArn"`
}

type attrDefOut struct {
	AttributeName string `json:"AttributeName"`
	AttributeType string `json:"AttributeType"`
}

type billingSummary struct {
	BillingMode                       string  `json:"BillingMode"`
	LastUpdateToPayPerRequestDateTime float64 `json:"LastUpdateToPayPerRequestDateTime,omitempty"`
}

type streamSpecOut struct {
	StreamEnabled  bool   `json:"StreamEnabled"`
	StreamViewType string `json:"StreamViewType,omitempty"`
}

type tableDesc struct {
	AttributeDefinitions      []attrDefOut      `json:"AttributeDefinitions"`
	TableName                 string            `json:"TableName"`
	KeySchema                 []keyElemOut      `json:"KeySchema"`
	TableStatus               string            `json:"TableStatus"`
	CreationDateTime          float64           `json:"CreationDateTime"`
	ProvisionedThroughput     throughputDesc    `json:"ProvisionedThroughput"`
	TableSizeBytes            int64             `json:"TableSizeBytes"`
	ItemCount                 int               `json:"ItemCount"`
	TableArn                  string            `json:"TableArn"`
	TableId                   string            `json:"TableId"`
	BillingModeSummary        *billingSummary   `json:"BillingModeSummary,omitempty"`
	LocalSecondaryIndexes     []indexDesc       `json:"LocalSecondaryIndexes,omitempty"`
	GlobalSecondaryIndexes    []indexDesc       `json:"GlobalSecondaryIndexes,omitempty"`
	StreamSpecification       *streamSpecOut    `json:"StreamSpecification,omitempty"`
	LatestStreamLabel         string            `json:"LatestStreamLabel,omitempty"`
	LatestStreamArn           string            `json:"LatestStreamArn,omitempty"`
	SSEDescription            map[string]string `json:"SSEDescription,omitempty"`
	TableClassSummary         map[string]string `json:"TableClassSummary,omitempty"`
	DeletionProtectionEnabled bool              `json:"DeletionProtectionEnabled"`
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func keyOut(k keySchema) []keyElemOut {
	out := []keyElemOut{{k.Hash, "HASH"}}
	if k.Range != "" {
		out = append(out, keyElemOut{k.Range, "RANGE"})
	}
	return out
}

// describe builds the TableDescription. Caller holds t.mu (read).
func (s *Service) describe(t *table, status string) *tableDesc {
	m := &t.meta
	d := &tableDesc{
		TableName:                 m.Name,
		KeySchema:                 keyOut(m.Key),
		TableStatus:               status,
		CreationDateTime:          epoch(m.Created),
		ProvisionedThroughput:     throughputDesc{ReadCapacityUnits: m.RCU, WriteCapacityUnits: m.WCU},
		TableSizeBytes:            t.bytes,
		ItemCount:                 t.items.Len(),
		TableArn:                  s.tableARN(m.Name),
		TableId:                   m.ID,
		DeletionProtectionEnabled: m.DeletionProtection,
	}
	for _, ad := range m.AttrDefs {
		d.AttributeDefinitions = append(d.AttributeDefinitions, attrDefOut{ad[0], ad[1]})
	}
	if m.Billing == "PAY_PER_REQUEST" {
		d.BillingModeSummary = &billingSummary{BillingMode: m.Billing, LastUpdateToPayPerRequestDateTime: epoch(m.BillingUpdated)}
	} else {
		d.BillingModeSummary = &billingSummary{BillingMode: "PROVISIONED"}
	}
	for _, ix := range t.indexes {
		im := ix.meta
		id := indexDesc{
			IndexName:      im.Name,
			KeySchema:      keyOut(im.Key),
			Projection:     projectionOut{ProjectionType: im.Projection, NonKeyAttributes: im.NonKey},
			IndexSizeBytes: ix.bytes,
			ItemCount:      ix.tree.Len(),
			IndexArn:       s.tableARN(m.Name) + "/index/" + im.Name,
		}
		if im.Global {
			id.IndexStatus = "ACTIVE"
			id.ProvisionedThroughput = &throughputDesc{ReadCapacityUnits: im.RCU, WriteCapacityUnits: im.WCU}
			d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, id)
		} else {
			d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, id)
		}
	}
	if m.StreamEnabled {
		d.StreamSpecification = &streamSpecOut{StreamEnabled: true, StreamViewType: m.StreamView}
	}
	if m.StreamLabel != "" {
		d.LatestStreamLabel = m.StreamLabel
		d.LatestStreamArn = s.tableARN(m.Name) + "/stream/" + m.StreamLabel
	}
	if len(m.SSE) > 0 {
		var sse struct{ Enabled *bool }
		_ = json.Unmarshal(m.SSE, &sse)
		if sse.Enabled != nil && *sse.Enabled {
			d.SSEDescription = map[string]string{"Status": "ENABLED", "SSEType": "KMS",
				"KMSMasterKeyArn": s.id.ARN("kms", "key/00000000-0000-4000-8000-000000000000")}
		}
	}
	if m.TableClass != "" && m.TableClass != "STANDARD" {
		d.TableClassSummary = map[string]string{"TableClass": m.TableClass}
	}
	return d
}
