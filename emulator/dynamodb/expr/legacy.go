package expr

import (
	"slices"
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// Condition is a legacy ComparisonOperator condition (KeyConditions,
// QueryFilter, ScanFilter).
type Condition struct {
	AttributeValueList []attr.Value `json:"AttributeValueList,omitempty"`
	ComparisonOperator string       `json:"ComparisonOperator"`
}

// ExpectedAttributeValue is one entry of the legacy Expected parameter.
type ExpectedAttributeValue struct {
	Value              *attr.Value  `json:"Value,omitempty"`
	Exists             *bool        `json:"Exists,omitempty"`
	ComparisonOperator string       `json:"ComparisonOperator,omitempty"`
	AttributeValueList []attr.Value `json:"AttributeValueList,omitempty"`
}

// AttributeValueUpdate is one entry of UpdateItem's legacy AttributeUpdates.
type AttributeValueUpdate struct {
	Value  *attr.Value `json:"Value,omitempty"`
	Action string      `json:"Action,omitempty"` // PUT (default) | ADD | DELETE
}

// Legacy holds a request's non-expression parameters, with the wire's json
// names so a request struct can embed it.
type Legacy struct {
	Expected            map[string]ExpectedAttributeValue `json:"Expected,omitempty"`
	ConditionalOperator string                            `json:"ConditionalOperator,omitempty"`
	AttributeUpdates    map[string]AttributeValueUpdate   `json:"AttributeUpdates,omitempty"`
	KeyConditions       map[string]Condition              `json:"KeyConditions,omitempty"`
	QueryFilter         map[string]Condition              `json:"QueryFilter,omitempty"`
	ScanFilter          map[string]Condition              `json:"ScanFilter,omitempty"`
	AttributesToGet     []string                          `json:"AttributesToGet,omitempty"`
}

// Present lists the legacy parameters that are set, in the order DynamoDB
// names them in its "Can not use both expression and non-expression
// parameters" message.
func (l *Legacy) Present() []string {
	var out []string
	if l.AttributesToGet != nil {
		out = append(out, "AttributesToGet")
	}
	if l.AttributeUpdates != nil {
		out = append(out, "AttributeUpdates")
	}
	if l.ConditionalOperator != "" {
		out = append(out, "ConditionalOperator")
	}
	if l.Expected != nil {
		out = append(out, "Expected")
	}
	if l.KeyConditions != nil {
		out = append(out, "KeyConditions")
	}
	if l.QueryFilter != nil {
		out = append(out, "QueryFilter")
	}
	if l.ScanFilter != nil {
		out = append(out, "ScanFilter")
	}
	return out
}

func invalidParam(format string, args ...any) error {
	return awsapi.ValidationError("One or more parameter values were invalid: "+format, args...)
}

// legacyBuilder allocates placeholders for the generated expressions.
type legacyBuilder struct {
	in Input
	n  int
}

func (b *legacyBuilder) name(a string) string {
	if b.in.Names == nil {
		b.in.Names = map[string]string{}
	}
	k := "#l" + strconv.Itoa(len(b.in.Names))
	b.in.Names[k] = a
	return k
}

func (b *legacyBuilder) value(v attr.Value) string {
	if b.in.Values == nil {
		b.in.Values = map[string]attr.Value{}
	}
	k := ":l" + strconv.Itoa(len(b.in.Values))
	b.in.Values[k] = v
	return k
}

var legacyArgs = map[string][2]int{ // operator -> min, max operands (-1 = any)
	"EQ": {1, 1}, "NE": {1, 1}, "LE": {1, 1}, "LT": {1, 1}, "GE": {1, 1}, "GT": {1, 1},
	"NOT_NULL": {0, 0}, "NULL": {0, 0}, "CONTAINS": {1, 1}, "NOT_CONTAINS": {1, 1},
	"BEGINS_WITH": {1, 1}, "IN": {1, -1}, "BETWEEN": {2, 2},
}

// condition renders one ComparisonOperator condition on attribute a.
func (b *legacyBuilder) condition(a string, op string, list []attr.Value) (string, error) {
	n, ok := legacyArgs[op]
	if !ok {
		return "", awsapi.ValidationError("1 validation error detected: Value '%s' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]", op)
	}
	if len(list) < n[0] || n[1] >= 0 && len(list) > n[1] {
		return "", invalidParam("Invalid number of argument(s) for the %s ComparisonOperator", op)
	}
	for _, v := range list[min(1, len(list)):] {
		if v.Kind != list[0].Kind {
			return "", invalidParam("AttributeValues inside AttributeValueList must be of same type")
		}
	}
	switch op {
	case "LE", "LT", "GE", "GT", "BETWEEN", "BEGINS_WITH":
		for _, v := range list {
			if !scalar(v.Kind) || op == "BEGINS_WITH" && v.Kind == attr.N {
				return "", invalidParam("ComparisonOperator %s is not valid for %s AttributeValue type", op, v.Kind)
			}
		}
	case "IN", "CONTAINS", "NOT_CONTAINS":
		for _, v := range list {
			if !scalar(v.Kind) {
				return "", invalidParam("ComparisonOperator %s is not valid for %s AttributeValue type", op, v.Kind)
			}
		}
	}
	if op == "BETWEEN" {
		if c, _ := attr.Compare(list[0], list[1]); c > 0 {
			return "", awsapi.ValidationError("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
		}
	}
	p := b.name(a)
	switch op {
	case "NULL":
		return "attribute_not_exists(" + p + ")", nil
	case "NOT_NULL":
		return "attribute_exists(" + p + ")", nil
	case "CONTAINS":
		return "contains(" + p + ", " + b.value(list[0]) + ")", nil
	case "NOT_CONTAINS":
		return "NOT contains(" + p + ", " + b.value(list[0]) + ")", nil
	case "BEGINS_WITH":
		return "begins_with(" + p + ", " + b.value(list[0]) + ")", nil
	case "BETWEEN":
		return p + " BETWEEN " + b.value(list[0]) + " AND " + b.value(list[1]), nil
	case "IN":
		vs := make([]string, len(list))
		for i, v := range list {
			vs[i] = b.value(v)
		}
		return p + " IN (" + strings.Join(vs, ", ") + ")", nil
	}
	sym := map[string]string{"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}[op]
	return p + " " + sym + " " + b.value(list[0]), nil
}

func joinConds(parts []string, op string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	wrapped := make([]string, len(parts))
	for i, p := range parts {
		wrapped[i] = "(" + p + ")"
	}
	return strings.Join(wrapped, " "+op+" ")
}

func conditionalOperator(op string) (string, error) {
	switch op {
	case "", "AND":
		return "AND", nil
	case "OR":
		return "OR", nil
	}
	return "", awsapi.ValidationError("1 validation error detected: Value '%s' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]", op)
}

func (b *legacyBuilder) filter(m map[string]Condition, op string) (string, error) {
	var parts []string
	for _, a := range sortedKeys(m) {
		c := m[a]
		s, err := b.condition(a, c.ComparisonOperator, c.AttributeValueList)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "", nil
	}
	return joinConds(parts, op), nil
}

// FromLegacy converts legacy parameters into an equivalent Input with
// generated placeholders (#l0, :l0, ...), validating them with DynamoDB's
// messages. The caller rejects requests that mix both styles.
func FromLegacy(l Legacy) (Input, error) {
	b := &legacyBuilder{}
	op, err := conditionalOperator(l.ConditionalOperator)
	if err != nil {
		return Input{}, err
	}
	if l.Expected != nil {
		var parts []string
		for _, a := range sortedKeys(l.Expected) {
			e := l.Expected[a]
			s, err := b.expected(a, e)
			if err != nil {
				return Input{}, err
			}
			parts = append(parts, s)
		}
		if len(parts) > 0 {
			b.in.Condition = joinConds(parts, op)
		}
	}
	if l.AttributeUpdates != nil {
		if b.in.Update, err = b.updates(l.AttributeUpdates); err != nil {
			return Input{}, err
		}
	}
	if l.KeyConditions != nil {
		if len(l.KeyConditions) < 1 || len(l.KeyConditions) > 2 {
			return Input{}, awsapi.ValidationError("Conditions can be of length 1 or 2 only")
		}
		var parts []string
		for _, a := range sortedKeys(l.KeyConditions) {
			c := l.KeyConditions[a]
			switch c.ComparisonOperator {
			case "EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN":
			default:
				if _, known := legacyArgs[c.ComparisonOperator]; known {
					return Input{}, awsapi.ValidationError("Attempted conditional constraint is not an indexable operation")
				}
			}
			s, err := b.condition(a, c.ComparisonOperator, c.AttributeValueList)
			if err != nil {
				return Input{}, err
			}
			parts = append(parts, s)
		}
		b.in.KeyCondition = strings.Join(parts, " AND ")
	}
	if l.QueryFilter != nil {
		if b.in.Filter, err = b.filter(l.QueryFilter, op); err != nil {
			return Input{}, err
		}
	}
	if l.ScanFilter != nil {
		if b.in.Filter, err = b.filter(l.ScanFilter, op); err != nil {
			return Input{}, err
		}
	}
	if l.AttributesToGet != nil {
		var ps []string
		for i, a := range l.AttributesToGet {
			if slices.Contains(l.AttributesToGet[:i], a) {
				return Input{}, invalidParam("Duplicate value in attribute name: %s", a)
			}
			ps = append(ps, b.name(a))
		}
		b.in.Projection = strings.Join(ps, ", ")
	}
	return b.in, nil
}

func (b *legacyBuilder) expected(a string, e ExpectedAttributeValue) (string, error) {
	switch {
	case e.Value != nil && e.AttributeValueList != nil:
		return "", invalidParam("Value and AttributeValueList cannot be used together for Attribute: %s", a)
	case e.Exists != nil && e.ComparisonOperator != "":
		return "", invalidParam("Exists and ComparisonOperator cannot be used together for Attribute: %s", a)
	case e.Exists != nil && *e.Exists && e.Value == nil:
		return "", invalidParam("Value must be provided when Exists is true for Attribute: %s", a)
	case e.Exists != nil && !*e.Exists && e.Value != nil:
		return "", invalidParam("Value cannot be used when Exists is false for Attribute: %s", a)
	case e.Exists != nil && !*e.Exists:
		return "attribute_not_exists(" + b.name(a) + ")", nil
	case e.ComparisonOperator != "":
		list := e.AttributeValueList
		if e.Value != nil {
			list = []attr.Value{*e.Value}
		}
		return b.condition(a, e.ComparisonOperator, list)
	case e.Value != nil:
		return b.name(a) + " = " + b.value(*e.Value), nil
	}
	return "", invalidParam("Value must be provided when Exists is true for Attribute: %s", a)
}

func (b *legacyBuilder) updates(m map[string]AttributeValueUpdate) (string, error) {
	var set, remove, add, del []string
	for _, a := range sortedKeys(m) {
		u := m[a]
		action := u.Action
		if action == "" {
			action = "PUT"
		}
		if u.Value == nil && action != "DELETE" {
			return "", invalidParam("Only DELETE action is allowed when no attribute value is specified")
		}
		switch action {
		case "PUT":
			set = append(set, b.name(a)+" = "+b.value(*u.Value))
		case "DELETE":
			if u.Value == nil {
				remove = append(remove, b.name(a))
				continue
			}
			switch u.Value.Kind {
			case attr.SS, attr.NS, attr.BS:
			default:
				return "", invalidParam("DELETE action with value is not supported for the type %s", u.Value.Kind)
			}
			del = append(del, b.name(a)+" "+b.value(*u.Value))
		case "ADD":
			switch u.Value.Kind {
			case attr.N, attr.SS, attr.NS, attr.BS:
				add = append(add, b.name(a)+" "+b.value(*u.Value))
			case attr.L:
				p := b.name(a)
				set = append(set, p+" = list_append(if_not_exists("+p+", "+b.value(attr.Value{Kind: attr.L, List: []attr.Value{}})+"), "+b.value(*u.Value)+")")
			default:
				return "", invalidParam("ADD action is not supported for the type %s", u.Value.Kind)
			}
		default:
			return "", awsapi.ValidationError("1 validation error detected: Value '%s' at 'attributeUpdates.%s.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]", action, a)
		}
	}
	var parts []string
	for _, s := range []struct {
		kw    string
		items []string
	}{{"SET", set}, {"REMOVE", remove}, {"ADD", add}, {"DELETE", del}} {
		if len(s.items) > 0 {
			parts = append(parts, s.kw+" "+strings.Join(s.items, ", "))
		}
	}
	return strings.Join(parts, " "), nil
}
