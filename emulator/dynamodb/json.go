package dynamodb

import (
	"encoding/json"
)

// rawJSON is pre-encoded JSON embedded in a response.
type rawJSON = json.RawMessage

// marshal encodes an operation's response struct.
func marshal(v any) ([]byte, error) { return json.Marshal(v) }
