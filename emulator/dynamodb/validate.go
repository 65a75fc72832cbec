package dynamodb

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// verrs collects model-constraint violations and renders them the way
// DynamoDB does: "N validation error(s) detected: Value '<v>' at '<path>'
// failed to satisfy constraint: <c>; ...".
type verrs []string

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

func (v *verrs) add(value any, path, constraint string) {
	var val string
	switch x := value.(type) {
	case nil:
		*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: %s", path, constraint))
		return
	case string:
		val = x
	case *string:
		if x == nil {
			*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: %s", path, constraint))
			return
		}
		val = *x
	case int:
		val = strconv.Itoa(x)
	case int64:
		val = strconv.FormatInt(x, 10)
	default:
		val = fmt.Sprint(x)
	}
	*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", val, path, constraint))
}

func (v verrs) err() error {
	if len(v) == 0 {
		return nil
	}
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return awsapi.ValidationError("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))
}

// tableName validates a TableName member (a name or a table ARN).
func (v *verrs) tableName(name *string, path string) {
	if name == nil {
		v.add(nil, path, "Member must not be null")
		return
	}
	n := *name
	if strings.HasPrefix(n, "arn:") {
		if len(n) > 1024 {
			v.add(n, path, "Member must have length less than or equal to 1024")
		}
		return
	}
	v.name(n, path)
}

// name validates a table or index name.
func (v *verrs) name(n, path string) {
	if len(n) < 3 {
		v.add(n, path, "Member must have length greater than or equal to 3")
	}
	if len(n) > 255 {
		v.add(n, path, "Member must have length less than or equal to 255")
	}
	if !namePattern.MatchString(n) {
		v.add(n, path, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	}
}

func (v *verrs) enum(val *string, path string, allowed ...string) {
	if val == nil {
		return
	}
	for _, a := range allowed {
		if *val == a {
			return
		}
	}
	v.add(*val, path, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

func (v *verrs) minInt(val *int64, path string, min int64) {
	if val != nil && *val < min {
		v.add(*val, path, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
}

func (v *verrs) maxInt(val *int64, path string, max int64) {
	if val != nil && *val > max {
		v.add(*val, path, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func kindName(k attr.Kind) string {
	switch k {
	case attr.S:
		return "S"
	case attr.N:
		return "N"
	case attr.B:
		return "B"
	case attr.BOOL:
		return "BOOL"
	case attr.NULL:
		return "NULL"
	case attr.M:
		return "M"
	case attr.L:
		return "L"
	case attr.SS:
		return "SS"
	case attr.NS:
		return "NS"
	case attr.BS:
		return "BS"
	}
	return "?"
}

func kindOf(t string) attr.Kind {
	switch t {
	case "S":
		return attr.S
	case "N":
		return attr.N
	case "B":
		return attr.B
	}
	return 0
}

// Common DynamoDB errors.
func errNotFound() error {
	return awsapi.Errorf(400, "ResourceNotFoundException", "Requested resource not found")
}

func errTableNotFound(name string) error {
	return awsapi.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Table: %s not found", name)
}

func errCondFailed(item []byte) error {
	e := awsapi.Errorf(400, "ConditionalCheckFailedException", "The conditional request failed")
	if item != nil {
		e.Extra = map[string]any{"Item": rawJSON(item)}
	}
	return e
}

func invalid(format string, args ...any) error {
	return awsapi.ValidationError("One or more parameter values were invalid: "+format, args...)
}

// structList renders a list of n structures the way DynamoDB's model
// validation prints a list value: Java's default toString of each member,
// "com.amazonaws.dynamodb.v20120810.<Shape>@<identity hash>", in brackets.
// The hashes carry no meaning; these are derived from the position.
func structList(shape string, n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("com.amazonaws.dynamodb.v20120810.")
		b.WriteString(shape)
		b.WriteByte('@')
		b.WriteString(strconv.FormatUint(uint64(uint32(i+1)*2654435761), 16))
	}
	b.WriteByte(']')
	return b.String()
}
