// Package attr is DynamoDB's data model: the AttributeValue, its JSON wire
// form, ordering, equality, item size and the 38-digit decimal numbers.
// The expression evaluator and the table storage both work on these values.
package attr

// Kind is an attribute value's type descriptor.
type Kind uint8

// The ten DynamoDB types, named by their wire descriptors.
const (
	S Kind = iota + 1
	N
	B
	BOOL
	NULL
	M
	L
	SS
	NS
	BS
)

// Value is one AttributeValue. Exactly the fields of its Kind are set:
//
//	S, N:   Str (N holds the number's canonical decimal text)
//	B:      Bin
//	BOOL:   Bool
//	NULL:   nothing (NULL is always true on the wire)
//	M:      Map
//	L:      List
//	SS, NS: Strs (NS holds canonical decimal texts)
//	BS:     Bins
type Value struct {
	Kind Kind
	Bool bool
	Str  string
	Bin  []byte
	Strs []string
	Bins [][]byte
	List []Value
	Map  map[string]Value
}

// Item is a top-level attribute map.
type Item map[string]Value
