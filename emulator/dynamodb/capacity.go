package dynamodb

import "math"

// Capacity unit sizes (reference §5).
const (
	readUnitBytes  = 4096
	writeUnitBytes = 1024
)

type capUnits struct {
	CapacityUnits float64 `json:"CapacityUnits"`
}

type consumedCapacity struct {
	TableName              string              `json:"TableName"`
	CapacityUnits          float64             `json:"CapacityUnits"`
	ReadCapacityUnits      float64             `json:"ReadCapacityUnits,omitempty"`
	WriteCapacityUnits     float64             `json:"WriteCapacityUnits,omitempty"`
	Table                  *capUnits           `json:"Table,omitempty"`
	GlobalSecondaryIndexes map[string]capUnits `json:"GlobalSecondaryIndexes,omitempty"`
	LocalSecondaryIndexes  map[string]capUnits `json:"LocalSecondaryIndexes,omitempty"`
}

func readUnits(size int, consistent bool) float64 {
	u := math.Ceil(float64(size) / readUnitBytes)
	if u < 1 {
		u = 1
	}
	if !consistent {
		u /= 2
	}
	return u
}

func writeUnits(size int) float64 {
	u := math.Ceil(float64(size) / writeUnitBytes)
	if u < 1 {
		u = 1
	}
	return u
}

// capacity builds the ConsumedCapacity member for mode (NONE/TOTAL/INDEXES);
// nil when none was asked. indexUnits are charged to the named indexes.
func (t *table) capacity(mode string, tableUnits float64, write bool, indexUnits map[string]float64) *consumedCapacity {
	if mode != "TOTAL" && mode != "INDEXES" {
		return nil
	}
	c := &consumedCapacity{TableName: t.meta.Name, CapacityUnits: tableUnits}
	for _, u := range indexUnits {
		c.CapacityUnits += u
	}
	if write {
		c.WriteCapacityUnits = c.CapacityUnits
	} else {
		c.ReadCapacityUnits = c.CapacityUnits
	}
	if mode == "INDEXES" {
		c.Table = &capUnits{tableUnits}
		for name, u := range indexUnits {
			ix := t.index(name)
			if ix == nil {
				continue
			}
			if ix.meta.Global {
				if c.GlobalSecondaryIndexes == nil {
					c.GlobalSecondaryIndexes = map[string]capUnits{}
				}
				c.GlobalSecondaryIndexes[name] = capUnits{u}
			} else {
				if c.LocalSecondaryIndexes == nil {
					c.LocalSecondaryIndexes = map[string]capUnits{}
				}
				c.LocalSecondaryIndexes[name] = capUnits{u}
			}
		}
	}
	return c
}
