package dynamodb

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
	"github.com/slsx/slsx/emulator/dynamodb/expr"
)

// exprFields are the expression members a request may carry.
type exprFields struct {
	ConditionExpression       *string                    `json:"ConditionExpression"`
	ExpressionAttributeNames  map[string]string          `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues map[string]json.RawMessage `json:"ExpressionAttributeValues"`
}

// legacyFields are the pre-expression members; only their presence is
// read here, the conversion decodes the body again into expr.Legacy.
type legacyFields struct {
	Expected            json.RawMessage `json:"Expected"`
	ConditionalOperator json.RawMessage `json:"ConditionalOperator"`
	AttributeUpdates    json.RawMessage `json:"AttributeUpdates"`
	AttributesToGet     json.RawMessage `json:"AttributesToGet"`
	KeyConditions       json.RawMessage `json:"KeyConditions"`
	QueryFilter         json.RawMessage `json:"QueryFilter"`
	ScanFilter          json.RawMessage `json:"ScanFilter"`
}

func (l *legacyFields) present() []string {
	var out []string
	add := func(name string, v json.RawMessage) {
		if v != nil && string(v) != "null" {
			out = append(out, name)
		}
	}
	add("AttributesToGet", l.AttributesToGet)
	add("AttributeUpdates", l.AttributeUpdates)
	add("ConditionalOperator", l.ConditionalOperator)
	add("Expected", l.Expected)
	add("KeyConditions", l.KeyConditions)
	add("QueryFilter", l.QueryFilter)
	add("ScanFilter", l.ScanFilter)
	return out
}

// exprSpec is what one operation hands to compile.
type exprSpec struct {
	update, cond, keyCond, filter, proj *string
	names                               map[string]string
	values                              map[string]json.RawMessage
	legacy                              *legacyFields
	body                                []byte
	// op names the action, for the message about values given without an
	// expression that uses them.
	op string
}

func emptyExpr(name string) error {
	return awsapi.ValidationError("Invalid %s: The expression can not be empty;", name)
}

// compile validates the expression members of a request and compiles them,
// converting legacy parameters when those are used instead.
func compile(sp exprSpec) (*cexpr, error) {
	type named struct {
		name string
		p    *string
	}
	exprs := []named{{"UpdateExpression", sp.update}, {"ConditionExpression", sp.cond}, {"KeyConditionExpression", sp.keyCond}, {"FilterExpression", sp.filter}, {"ProjectionExpression", sp.proj}}
	var used []string
	for _, e := range exprs {
		if e.p != nil {
			used = append(used, e.name)
		}
	}
	var legacy []string
	if sp.legacy != nil {
		legacy = sp.legacy.present()
	}
	if len(legacy) > 0 && (len(used) > 0 || sp.names != nil || sp.values != nil) {
		ep := append([]string(nil), used...)
		if sp.names != nil {
			ep = append(ep, "ExpressionAttributeNames")
		}
		if sp.values != nil {
			ep = append(ep, "ExpressionAttributeValues")
		}
		sort.Strings(ep)
		return nil, awsapi.ValidationError("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {%s} Expression parameters: {%s}", strings.Join(legacy, ", "), strings.Join(ep, ", "))
	}
	if len(legacy) > 0 {
		in, err := fromLegacy(sp.body)
		if err != nil {
			return nil, err
		}
		return compileInput(in)
	}
	for _, e := range exprs {
		if e.p != nil && *e.p == "" {
			return nil, emptyExpr(e.name)
		}
	}
	in := expr.Input{Names: sp.names, Operation: sp.op}
	if sp.values != nil {
		in.Values = make(map[string]attr.Value, len(sp.values))
		keys := make([]string, 0, len(sp.values))
		for k := range sp.values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var v attr.Value
			if err := v.UnmarshalJSON(sp.values[k]); err != nil {
				var ae *awsapi.Error
				if errors.As(err, &ae) && ae.Code == "ValidationException" {
					return nil, awsapi.ValidationError("ExpressionAttributeValues contains invalid value: %s for key %s", ae.Message, k)
				}
				return nil, err
			}
			in.Values[k] = v
		}
	}
	in.Update, in.Condition, in.KeyCondition, in.Filter, in.Projection = str(sp.update), str(sp.cond), str(sp.keyCond), str(sp.filter), str(sp.proj)
	return compileInput(in)
}

// cexpr is a compiled request with a note of which expressions it has.
type cexpr struct {
	*expr.Compiled
	cond, filter, proj, update, keyCond bool
}

func compileInput(in expr.Input) (*cexpr, error) {
	c, err := expr.Compile(in)
	if err != nil {
		return nil, err
	}
	return &cexpr{Compiled: c, cond: in.Condition != "", filter: in.Filter != "", proj: in.Projection != "", update: in.Update != "", keyCond: in.KeyCondition != ""}, nil
}

// fromLegacy converts a request's legacy parameters into expressions.
func fromLegacy(body []byte) (expr.Input, error) {
	var l expr.Legacy
	if err := decode(body, &l); err != nil {
		return expr.Input{}, err
	}
	return expr.FromLegacy(l)
}
