package sam

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// Resource types whose Ref or Fn::GetAtt slsx answers.
const (
	typeFunction     = "AWS::Serverless::Function"
	typeLambdaFunc   = "AWS::Lambda::Function"
	typeAPI          = "AWS::Serverless::Api"
	typeHTTPAPI      = "AWS::Serverless::HttpApi"
	typeTable        = "AWS::DynamoDB::Table"
	typeSimpleTable  = "AWS::Serverless::SimpleTable"
	typeTopic        = "AWS::SNS::Topic"
	typeSubscription = "AWS::SNS::Subscription"
)

// streamLabel is the stream label of every table a SAM template declares.
// The template's !GetAtt T.StreamArn is resolved before the table exists, so
// the loader fixes the label (config.Table.StreamLabel) and the emulator
// creates the stream with it: the ARN a function reads from its environment
// is the one DescribeTable and ListStreams return.
const streamLabel = "1970-01-01T00:00:00.000"

// resolver answers Ref, Fn::GetAtt and Fn::Sub for goformation's intrinsic
// processor with the names slsx gives resources locally: a table's
// TableName (else its logical id), a topic's ARN, a function's
// FunctionName (else its logical id), an API's logical id.
type resolver struct {
	region, account, stack string
	types                  map[string]string // logical id -> resource type
	names                  map[string]string // logical id -> physical name, when known
	errs                   []string          // unresolvable references that leave a hole
	warns                  []string          // references resolved to nothing, loading goes on
}

func (r *resolver) options(overrides map[string]string) *intrinsics.ProcessorOptions {
	po := map[string]any{}
	for k, v := range overrides {
		po[k] = v
	}
	return &intrinsics.ProcessorOptions{
		ParameterOverrides: po,
		EvaluateConditions: true,
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
			"Ref":             r.ref,
			"Fn::GetAtt":      r.getAtt,
			"Fn::Sub":         r.sub,
			"Fn::ImportValue": r.importValue,
		},
	}
}

// process resolves every intrinsic function in the template. It runs
// goformation's processor twice: the first pass learns the physical names
// (which may themselves be built with !Sub or parameters), the second uses
// them for every Ref and Fn::GetAtt.
func (r *resolver) process(tmpl map[string]any, overrides map[string]string) (map[string]any, error) {
	data, err := json.Marshal(tmpl)
	if err != nil {
		return nil, fmt.Errorf("encode template: %w", err)
	}
	r.names = map[string]string{}
	first, err := r.run(data, overrides)
	if err != nil {
		return nil, err
	}
	resources, _ := first["Resources"].(map[string]any)
	for id, typ := range r.types {
		res, _ := resources[id].(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		var key string
		switch typ {
		case typeTable, typeSimpleTable:
			key = "TableName"
		case typeTopic:
			key = "TopicName"
		case typeFunction, typeLambdaFunc:
			key = "FunctionName"
		}
		if s, ok := props[key].(string); ok && s != "" && key != "" {
			r.names[id] = s
		}
	}
	r.errs, r.warns = nil, nil
	return r.run(data, overrides)
}

func (r *resolver) run(data []byte, overrides map[string]string) (map[string]any, error) {
	out, err := intrinsics.ProcessJSON(data, r.options(overrides))
	if err != nil {
		return nil, fmt.Errorf("resolve intrinsic functions: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("resolve intrinsic functions: %w", err)
	}
	return m, nil
}

func (r *resolver) name(id string) string {
	if n := r.names[id]; n != "" {
		return n
	}
	return id
}

func (r *resolver) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + r.region + ":" + r.account + ":" + resource
}

func (r *resolver) ref(_ string, input, tmpl any) any {
	name, ok := input.(string)
	if !ok {
		r.errs = append(r.errs, fmt.Sprintf("Ref takes a name; got %s", describe(input)))
		return nil
	}
	switch name {
	case "AWS::AccountId":
		return r.account
	case "AWS::Region":
		return r.region
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return r.stack
	case "AWS::StackId":
		return r.arn("cloudformation", "stack/"+r.stack+"/00000000-0000-0000-0000-000000000000")
	case "AWS::NotificationARNs":
		return []any{}
	case "AWS::NoValue":
		return nil
	}
	if t, ok := tmpl.(map[string]any); ok {
		params, _ := t["Parameters"].(map[string]any)
		if p, ok := params[name].(map[string]any); ok {
			def, ok := p["Default"]
			if !ok {
				r.errs = append(r.errs, fmt.Sprintf("parameter %s has no Default; give it one or pass a value for it", name))
				return nil
			}
			if typ, _ := p["Type"].(string); typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
				if s, ok := def.(string); ok {
					var list []any
					for _, part := range strings.Split(s, ",") {
						list = append(list, strings.TrimSpace(part))
					}
					return list
				}
			}
			return def
		}
	}
	typ, ok := r.types[name]
	if !ok {
		r.errs = append(r.errs, fmt.Sprintf("Ref %s: no parameter or resource has that name", name))
		return nil
	}
	switch typ {
	case typeTopic:
		return r.arn("sns", r.name(name))
	default:
		return r.name(name)
	}
}

func (r *resolver) getAtt(_ string, input, _ any) any {
	var res, attr string
	switch v := input.(type) {
	case []any:
		if len(v) == 2 {
			res, _ = v[0].(string)
			attr, _ = v[1].(string)
		}
	case string:
		res, attr, _ = strings.Cut(v, ".")
	}
	if res == "" || attr == "" {
		r.errs = append(r.errs, fmt.Sprintf("Fn::GetAtt takes [LogicalId, Attribute]; got %s", describe(input)))
		return nil
	}
	typ, ok := r.types[res]
	if !ok {
		r.errs = append(r.errs, fmt.Sprintf("Fn::GetAtt %s.%s: no resource named %s", res, attr, res))
		return nil
	}
	n := r.name(res)
	switch typ + "." + attr {
	case typeTable + ".Arn", typeSimpleTable + ".Arn":
		return r.arn("dynamodb", "table/"+n)
	case typeTable + ".StreamArn":
		return r.arn("dynamodb", "table/"+n+"/stream/"+streamLabel)
	case typeTopic + ".TopicArn":
		return r.arn("sns", n)
	case typeTopic + ".TopicName":
		return n
	case typeFunction + ".Arn", typeLambdaFunc + ".Arn":
		return r.arn("lambda", "function:"+n)
	}
	r.warns = append(r.warns, fmt.Sprintf("Fn::GetAtt %s.%s: slsx cannot resolve attribute %s of %s; it resolves to nothing", res, attr, attr, typ))
	return nil
}

func (r *resolver) importValue(_ string, input, _ any) any {
	r.warns = append(r.warns, fmt.Sprintf("Fn::ImportValue %v: other stacks' exports do not exist locally; it resolves to nothing", input))
	return nil
}

var subVarRE = regexp.MustCompile(`\$\{(!?)([^}]*)\}`)

// sub implements Fn::Sub in both forms: "text ${Name} ${Res.Attr}" and
// ["text ${var}", {var: value}]. ${!Literal} writes ${Literal}.
func (r *resolver) sub(_ string, input, tmpl any) any {
	var src string
	vars := map[string]any{}
	switch v := input.(type) {
	case string:
		src = v
	case []any:
		if len(v) == 2 {
			src, _ = v[0].(string)
			if m, ok := v[1].(map[string]any); ok {
				vars = m
			}
		}
	}
	if src == "" {
		if s, ok := input.(string); ok {
			return s
		}
		r.errs = append(r.errs, fmt.Sprintf("Fn::Sub takes a string or [string, {variables}]; got %s", describe(input)))
		return nil
	}
	return subVarRE.ReplaceAllStringFunc(src, func(m string) string {
		g := subVarRE.FindStringSubmatch(m)
		if g[1] == "!" {
			return "${" + g[2] + "}"
		}
		var v any
		if x, ok := vars[g[2]]; ok {
			v = x
		} else if res, attr, ok := strings.Cut(g[2], "."); ok && !strings.HasPrefix(g[2], "AWS::") {
			v = r.getAtt("Fn::GetAtt", []any{res, attr}, tmpl)
		} else {
			v = r.ref("Ref", g[2], tmpl)
		}
		return scalarString(v)
	})
}

// scalarString writes a resolved scalar as CloudFormation would in a
// string: numbers without a trailing .0, lists joined by commas.
func scalarString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = scalarString(x)
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// isIntrinsic reports whether m is one intrinsic function call, which
// Globals merging treats as a single value.
func isIntrinsic(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// mergeGlobals returns props with the globals g applied as SAM does:
// the resource's own value wins for scalars, maps merge key by key and
// lists are concatenated, globals first.
func mergeGlobals(g, props map[string]any) map[string]any {
	out := make(map[string]any, len(g)+len(props))
	for k, v := range g {
		out[k] = v
	}
	for k, v := range props {
		gv, ok := out[k]
		if !ok {
			out[k] = v
			continue
		}
		gm, gIsMap := gv.(map[string]any)
		pm, pIsMap := v.(map[string]any)
		gl, gIsList := gv.([]any)
		pl, pIsList := v.([]any)
		switch {
		case gIsMap && pIsMap && !isIntrinsic(gv) && !isIntrinsic(v):
			out[k] = mergeGlobals(gm, pm)
		case gIsList && pIsList:
			out[k] = append(append([]any{}, gl...), pl...)
		default:
			out[k] = v
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
