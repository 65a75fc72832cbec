package sam

import (
	"encoding/json"
	"fmt"
	"math"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/slsx/slsx/emulator/config"
)

// Implicit API names, as SAM creates them.
const (
	implicitREST = "ServerlessRestApi"
	implicitHTTP = "ServerlessHttpApi"
)

// silentTypes are resource types with no local effect: permissions, IAM
// and log groups. Other unsupported types get a warning.
var silentTypes = map[string]bool{
	"AWS::Lambda::Permission": true, "AWS::IAM::Role": true, "AWS::IAM::Policy": true,
	"AWS::IAM::ManagedPolicy": true, "AWS::Logs::LogGroup": true, "AWS::SNS::TopicPolicy": true,
}

// loader turns one processed template into a Project.
type loader struct {
	file  string
	root  *yaml.Node
	p     *config.Project
	r     *resolver
	warns []Warning
	seen  map[string]bool // warning paths already reported
	errs  config.Errors

	globals map[string]map[string]any // Globals section by kind (Function, Api, HttpApi, SimpleTable)
	fnByID  map[string]*config.Function
	apiByID map[string]*config.API
	// defaultAuth is each API's DefaultAuthorizer; dropped holds
	// authorizers left out (e.g. TOKEN), so routes naming them warn once.
	defaultAuth map[string]string
	dropped     map[string]bool
	routes      []routeAt
	subs        []subAt
	triggers    []triggerAt
}

type routeAt struct {
	r    *config.Route
	path string
	// apiRef is the RestApiId/ApiId, "" for the implicit API; kind is
	// "rest" for Api events and "http" for HttpApi events.
	apiRef, kind string
	auth         string // event's Auth.Authorizer, "" when not set
}

type subAt struct {
	s        *config.Subscription
	topicARN string
	path     string
}

type triggerAt struct {
	t         *config.StreamTrigger
	streamARN string
	path      string
	// onFailure is DestinationConfig.OnFailure.Destination (a topic ARN),
	// at onFailurePath.
	onFailure, onFailurePath string
}

// ---- reporting

func (l *loader) warn(p, format string, args ...any) {
	if l.seen[p] {
		return
	}
	l.seen[p] = true
	l.warns = append(l.warns, Warning{File: l.file, Path: p, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) unsupported(p string) { l.warn(p, "not supported by slsx; ignored") }

func (l *loader) errorf(p, format string, args ...any) {
	parts := []string{"Resources"}
	if p != "" {
		parts = append(parts, strings.Split(p, ".")...)
	}
	if strings.HasPrefix(p, "Parameters.") || strings.HasPrefix(p, "Globals.") || strings.HasPrefix(p, "Conditions.") {
		parts = parts[1:]
	}
	l.errs = append(l.errs, &config.Error{File: l.file, Line: lineOf(l.root, parts...), Path: p, Msg: fmt.Sprintf(format, args...)})
}

// fields walks the properties of one object: handled names go to fn,
// silent names are skipped, anything else is reported as unsupported.
func (l *loader) fields(obj map[string]any, p string, silent []string, fn func(k string, v any) bool) {
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		if v == nil {
			continue // AWS::NoValue, or an empty YAML value
		}
		if fn(k, v) {
			continue
		}
		if contains(silent, k) {
			continue
		}
		l.unsupported(join(p, k))
	}
}

// ---- the template

func (l *loader) load(tmpl map[string]any, overrides map[string]string) {
	resources, ok := tmpl["Resources"].(map[string]any)
	if !ok {
		l.errs = append(l.errs, &config.Error{File: l.file, Line: lineOf(l.root, "Resources"), Path: "Resources", Msg: "missing or not a mapping; a SAM template declares its functions, APIs, topics and tables under Resources"})
		return
	}
	params, _ := tmpl["Parameters"].(map[string]any)
	for _, k := range sortedKeys(overrides) {
		if _, ok := params[k]; !ok {
			l.warn("Parameters."+k, "no such parameter in the template; the override is ignored")
			continue
		}
		if p, ok := params[k].(map[string]any); ok {
			if allowed, ok := p["AllowedValues"].([]any); ok && !containsAny(allowed, overrides[k]) {
				l.errorf("Parameters."+k, "%q is not one of the AllowedValues %s", overrides[k], scalarString(allowed))
			}
		}
	}
	if c := conditionCycle(tmpl["Conditions"]); c != "" {
		l.errorf("Conditions."+c, "refers to itself through Condition; conditions cannot be circular")
		return
	}
	// A resource's Condition is taken out before processing: goformation
	// would replace the whole resource by the condition's value.
	conds := map[string]string{}
	for _, id := range sortedKeys(resources) {
		res, ok := resources[id].(map[string]any)
		if !ok {
			l.errorf(id, "a resource is a mapping with Type and Properties; got %s", describe(resources[id]))
			delete(resources, id)
			continue
		}
		typ, _ := res["Type"].(string)
		if typ == "" {
			l.errorf(id+".Type", "missing; every resource has a Type such as AWS::Serverless::Function")
			delete(resources, id)
			continue
		}
		l.r.types[id] = typ
		if c, ok := res["Condition"].(string); ok {
			conds[id] = c
			delete(res, "Condition")
		}
	}
	// The implicit APIs can be named by Ref like declared ones.
	for _, id := range []string{implicitREST, implicitHTTP} {
		if _, ok := l.r.types[id]; !ok {
			l.r.types[id] = map[string]string{implicitREST: typeAPI, implicitHTTP: typeHTTPAPI}[id]
		}
	}
	// Outputs describe a deployed stack; nothing local reads them.
	delete(tmpl, "Outputs")
	out, err := l.r.process(tmpl, overrides)
	if err != nil {
		l.errs = append(l.errs, &config.Error{File: l.file, Msg: err.Error()})
		return
	}
	for _, e := range l.r.errs {
		l.errs = append(l.errs, &config.Error{File: l.file, Msg: e})
	}
	for _, w := range l.r.warns {
		if !l.seen[w] {
			l.seen[w] = true
			l.warns = append(l.warns, Warning{File: l.file, Msg: w})
		}
	}
	resources, _ = out["Resources"].(map[string]any)
	conditions, _ := out["Conditions"].(map[string]any)
	for id, c := range conds {
		v, ok := conditions[c].(bool)
		switch {
		case !ok:
			l.warn(id+".Condition", "condition %s cannot be decided locally; the resource is kept", c)
		case !v:
			delete(resources, id)
			delete(l.r.types, id)
		}
	}
	l.globals = map[string]map[string]any{}
	if g, ok := out["Globals"].(map[string]any); ok {
		for _, k := range sortedKeys(g) {
			switch k {
			case "Function", "Api", "HttpApi", "SimpleTable":
				if m, ok := g[k].(map[string]any); ok {
					l.globals[k] = m
				}
			default:
				l.unsupported("Globals." + k)
			}
		}
	}

	l.fnByID = map[string]*config.Function{}
	l.apiByID = map[string]*config.API{}
	l.defaultAuth = map[string]string{}
	l.dropped = map[string]bool{}
	for _, id := range sortedKeys(resources) {
		res, _ := resources[id].(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		switch typ := l.r.types[id]; typ {
		case typeFunction:
			l.function(id, res, mergeGlobals(l.globals["Function"], props))
		case typeAPI:
			l.api(id, "rest", mergeGlobals(l.globals["Api"], props))
		case typeHTTPAPI:
			l.api(id, "http", mergeGlobals(l.globals["HttpApi"], props))
		case typeTable:
			l.table(id, props)
		case typeSimpleTable:
			l.simpleTable(id, mergeGlobals(l.globals["SimpleTable"], props))
		case typeTopic:
			l.topic(id, props)
		case typeSubscription:
			l.subscription(id, props)
		default:
			if !silentTypes[typ] {
				l.warn(id, "resource type %s is not supported by slsx; ignored", typ)
			}
		}
	}
	l.link()
}

// ---- functions

// goRuntimes are the Lambda runtimes a Go handler runs on.
var goRuntimes = []string{"provided.al2023", "provided.al2", "provided", "go1.x"}

// reservedEnv are the variables Lambda sets itself and refuses.
var reservedEnv = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

var (
	functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	envKeyRE       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]+$`)
)

var functionSilent = []string{
	"Handler", "Description", "Tags", "Policies", "Role", "RolePath", "PermissionsBoundary", "Tracing",
	"PropagateTags", "AutoPublishAlias", "AutoPublishCodeSha256", "AutoPublishAliasAllProperties",
	"VersionDescription", "KmsKeyArn", "LoggingConfig", "RuntimeManagementConfig", "AssumeRolePolicyDocument",
}

func (l *loader) function(id string, res, props map[string]any) {
	p := id + ".Properties"
	name := l.r.name(id)
	if !functionNameRE.MatchString(name) {
		l.errorf(p+".FunctionName", "%q is not a function name; use 1 to 64 letters, digits, '-' or '_'", name)
		return
	}
	if pt, _ := props["PackageType"].(string); pt == "Image" {
		l.warn(p+".PackageType", "container image functions are not supported by slsx; function %s ignored", id)
		return
	}
	if _, ok := props["InlineCode"]; ok {
		l.warn(p+".InlineCode", "inline code is not a Go package; function %s ignored", id)
		return
	}
	rt, _ := props["Runtime"].(string)
	switch {
	case rt == "":
		l.errorf(p+".Runtime", "missing; Go functions use provided.al2023")
		return
	case !contains(goRuntimes, rt):
		l.warn(p+".Runtime", "runtime %s is not Go; slsx runs Go handlers only (provided.al2023, provided.al2, go1.x); function %s ignored", rt, id)
		return
	}
	fn := &config.Function{
		Name: name, Handler: ".", MemoryMB: config.DefaultMemoryMB, Timeout: config.DefaultTimeout,
		Concurrency: config.DefaultConcurrency, Architecture: "x86_64",
	}
	if meta, ok := res["Metadata"].(map[string]any); ok {
		if bm, ok := meta["BuildMethod"].(string); ok && bm != "go1.x" {
			l.warn(id+".Metadata.BuildMethod", "slsx builds Go functions itself with go build, not with BuildMethod %s", bm)
		}
	}
	ok := true
	l.fields(props, p, functionSilent, func(k string, v any) bool {
		fp := join(p, k)
		switch k {
		case "Runtime", "FunctionName", "PackageType":
		case "CodeUri":
			s, isStr := v.(string)
			if !isStr {
				l.errorf(fp, "must be the path of the function's Go main package, e.g. ./hello-world; got %s (S3 locations are not built locally)", describe(v))
				ok = false
				return true
			}
			h, msg := relPath(s)
			if msg != "" {
				l.errorf(fp, "%q %s", s, msg)
				ok = false
				return true
			}
			fn.Handler = h
		case "MemorySize":
			if n, good := l.integer(v, fp, 128, 10240, " (MB)"); good {
				fn.MemoryMB = n
			}
		case "Timeout":
			if n, good := l.integer(v, fp, 1, 900, " (seconds)"); good {
				fn.Timeout = time.Duration(n) * time.Second
			}
		case "ReservedConcurrentExecutions":
			if n, good := l.integer(v, fp, 0, config.MaxConcurrency, ""); good {
				fn.Concurrency = n
				if n == 0 {
					fn.Concurrency = config.ReservedZero
				}
			}
		case "Architectures":
			list, isList := v.([]any)
			if !isList || len(list) != 1 {
				l.errorf(fp, "must list one architecture, x86_64 or arm64")
				return true
			}
			if a, _ := list[0].(string); a == "x86_64" || a == "arm64" {
				fn.Architecture = a
			} else {
				l.errorf(fp, "%s is not an architecture; use x86_64 or arm64", scalarString(list[0]))
			}
		case "Environment":
			l.environment(fn, v, fp)
		case "Events":
			events, isMap := v.(map[string]any)
			if !isMap {
				l.errorf(fp, "must be a mapping of event names to {Type, Properties}; got %s", describe(v))
				return true
			}
			for _, name := range sortedKeys(events) {
				l.event(fn, id, name, events[name], join(fp, name))
			}
		default:
			return false
		}
		return true
	})
	if !ok {
		return
	}
	l.fnByID[id] = fn
	l.p.Functions = append(l.p.Functions, fn)
}

func (l *loader) environment(fn *config.Function, v any, p string) {
	env, ok := v.(map[string]any)
	if !ok {
		l.errorf(p, "must be a mapping with Variables; got %s", describe(v))
		return
	}
	l.fields(env, p, nil, func(k string, v any) bool {
		if k != "Variables" {
			return false
		}
		vars, ok := v.(map[string]any)
		if !ok {
			l.errorf(join(p, k), "must be a mapping of names to values; got %s", describe(v))
			return true
		}
		fn.Environment = map[string]string{}
		size := 0
		for _, name := range sortedKeys(vars) {
			vp := join(join(p, k), name)
			switch {
			case contains(reservedEnv, name):
				l.errorf(vp, "reserved by Lambda, which sets it itself; choose another name")
				continue
			case !envKeyRE.MatchString(name):
				l.errorf(vp, "not a valid variable name; use a letter then at least one more letter, digit or '_'")
				continue
			}
			if vars[name] == nil {
				continue
			}
			val := scalarString(vars[name])
			fn.Environment[name] = val
			size += len(name) + len(val)
		}
		// Lambda's limit on the total size of a function's variables.
		if size > 4096 {
			l.errorf(join(p, k), "variables take %d bytes; Lambda allows 4096 in total", size)
		}
		return true
	})
}

// ---- events

func (l *loader) event(fn *config.Function, fnID, name string, v any, p string) {
	ev, ok := v.(map[string]any)
	if !ok {
		l.errorf(p, "an event is a mapping with Type and Properties; got %s", describe(v))
		return
	}
	typ, _ := ev["Type"].(string)
	props, _ := ev["Properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	pp := join(p, "Properties")
	switch typ {
	case "Api", "HttpApi":
		l.httpEvent(fn, typ, props, pp)
	case "SNS":
		l.snsEvent(fn, props, pp)
	case "DynamoDB":
		l.streamEvent(fn, props, pp)
	default:
		l.warn(p, "event type %s is not supported by slsx; ignored", typ)
	}
}

var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}

func (l *loader) httpEvent(fn *config.Function, typ string, props map[string]any, p string) {
	ra := routeAt{r: &config.Route{Function: fn.Name}, path: p, kind: "rest"}
	apiKey, silent := "RestApiId", []string{"RequestModel", "RequestParameters"}
	if typ == "HttpApi" {
		ra.kind, apiKey, silent = "http", "ApiId", []string{"TimeoutInMillis", "RouteSettings"}
	}
	var pathSet, methodSet bool
	good := true
	l.fields(props, p, silent, func(k string, v any) bool {
		fp := join(p, k)
		switch k {
		case "Path":
			s, _ := v.(string)
			if msg := checkRoutePath(s); msg != "" {
				l.errorf(fp, "route path %q %s", s, msg)
				good = false
			}
			ra.r.Path, pathSet = s, true
		case "Method":
			s, _ := v.(string)
			m := strings.ToUpper(s)
			if !contains(methods, m) {
				l.errorf(fp, "%q is not a method; use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY", s)
				good = false
			}
			ra.r.Method, methodSet = m, true
		case apiKey:
			s, _ := v.(string)
			ra.apiRef = s
		case "Auth":
			auth, _ := v.(map[string]any)
			l.fields(auth, fp, nil, func(k string, v any) bool {
				if k != "Authorizer" {
					return false
				}
				ra.auth, _ = v.(string)
				return true
			})
		case "PayloadFormatVersion":
			if typ == "HttpApi" {
				if s := payloadVersion(v); s != "2.0" {
					l.warn(fp, "slsx sets the payload version per API, not per route; this route gets its API's (2.0 unless the API says otherwise)")
				}
				return true
			}
			return false
		default:
			return false
		}
		return true
	})
	switch {
	case typ == "HttpApi" && !pathSet && !methodSet:
		ra.r.Path = "$default" // SAM: an HttpApi event without Path and Method is the $default route
	case !pathSet:
		l.errorf(p+".Path", "missing; use a path such as /users/{id}")
		good = false
	case !methodSet:
		l.errorf(p+".Method", "missing; use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY")
		good = false
	}
	if good {
		l.routes = append(l.routes, ra)
	}
}

var pathVarRE = regexp.MustCompile(`^\{([A-Za-z0-9_.-]+)(\+?)\}$`)

// checkRoutePath applies API Gateway's path rules: a leading '/', no
// empty segments, variables as whole segments and {greedy+} only last.
func checkRoutePath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "must start with '/'"
	}
	if p == "/" {
		return ""
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		if seg == "" {
			return "has an empty segment; remove the doubled or trailing '/'"
		}
		if !strings.ContainsAny(seg, "{}") {
			if strings.ContainsAny(seg, "?# \t") {
				return "has a character not allowed in a path (?, #, or a space)"
			}
			continue
		}
		m := pathVarRE.FindStringSubmatch(seg)
		if m == nil {
			return fmt.Sprintf("has a malformed variable %q; a variable is a whole segment {name} or {name+}", seg)
		}
		if m[2] == "+" && i != len(segs)-1 {
			return fmt.Sprintf("has greedy %q before the end; {name+} must be the last segment", seg)
		}
	}
	return ""
}

func (l *loader) snsEvent(fn *config.Function, props map[string]any, p string) {
	sa := subAt{s: &config.Subscription{Protocol: "lambda", Endpoint: fn.Name}, path: p}
	l.fields(props, p, []string{"Region"}, func(k string, v any) bool {
		fp := join(p, k)
		switch k {
		case "Topic":
			sa.topicARN, _ = v.(string)
		case "FilterPolicy":
			sa.s.FilterPolicy = l.filterPolicy(v, fp)
			if sa.s.FilterPolicyScope == "" {
				sa.s.FilterPolicyScope = "MessageAttributes"
			}
		case "FilterPolicyScope":
			s, _ := v.(string)
			if s != "MessageAttributes" && s != "MessageBody" {
				l.errorf(fp, "%q is not a scope; use MessageAttributes or MessageBody", s)
				return true
			}
			sa.s.FilterPolicyScope = s
		case "SqsSubscription":
			if b, _ := v.(bool); b {
				l.warn(fp, "slsx has no SQS; the function is subscribed to the topic directly")
			}
		default:
			return false
		}
		return true
	})
	if sa.topicARN == "" {
		l.errorf(p+".Topic", "missing; use the topic's ARN, e.g. !Ref MyTopic")
		return
	}
	l.subs = append(l.subs, sa)
}

// filterPolicy returns an SNS filter policy (a mapping, or a string with a
// JSON object) as JSON.
func (l *loader) filterPolicy(v any, p string) json.RawMessage {
	switch t := v.(type) {
	case string:
		var obj map[string]any
		if err := json.Unmarshal([]byte(t), &obj); err != nil || obj == nil {
			l.errorf(p, "must be a mapping such as {kind: [paid]} or a JSON object string")
			return nil
		}
		return json.RawMessage(t)
	case map[string]any:
		return l.objectJSON(t, p)
	}
	l.errorf(p, "must be a mapping such as {kind: [paid]}; got %s", describe(v))
	return nil
}

// objectJSON writes a template mapping (a filter policy or pattern) as JSON.
func (l *loader) objectJSON(m map[string]any, p string) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		l.errorf(p, "cannot be written as JSON: %v", err)
		return nil
	}
	return b
}

var streamSilent = []string{"StartingPositionTimestamp"}

func (l *loader) streamEvent(fn *config.Function, props map[string]any, p string) {
	ta := triggerAt{t: &config.StreamTrigger{
		Function: fn.Name, BatchSize: 100, StartingPosition: "LATEST", MaximumRetryAttempts: -1, Enabled: true,
	}, path: p}
	var posSet bool
	l.fields(props, p, streamSilent, func(k string, v any) bool {
		fp := join(p, k)
		t := ta.t
		// Ranges are Lambda's CreateEventSourceMapping limits for DynamoDB.
		switch k {
		case "Stream":
			ta.streamARN, _ = v.(string)
		case "BatchSize":
			if n, ok := l.integer(v, fp, 1, 10000, ""); ok {
				t.BatchSize = n
			}
		case "StartingPosition":
			s, _ := v.(string)
			if s != "LATEST" && s != "TRIM_HORIZON" {
				l.errorf(fp, "%q is not a starting position; use LATEST or TRIM_HORIZON", s)
				return true
			}
			t.StartingPosition, posSet = s, true
		case "MaximumBatchingWindowInSeconds":
			if n, ok := l.integer(v, fp, 0, 300, " (seconds)"); ok {
				t.BatchingWindow = time.Duration(n) * time.Second
			}
		case "MaximumRetryAttempts":
			if n, ok := l.integer(v, fp, -1, 10000, " (-1 retries until the record expires)"); ok {
				t.MaximumRetryAttempts = n
			}
		case "BisectBatchOnFunctionError":
			t.BisectBatchOnFunctionError, _ = l.boolean(v, fp)
		case "Enabled":
			if b, ok := l.boolean(v, fp); ok {
				t.Enabled = b
			}
		case "FunctionResponseTypes":
			list, _ := v.([]any)
			for _, x := range list {
				if x == "ReportBatchItemFailures" {
					t.ReportBatchItemFailures = true
				} else {
					l.errorf(fp, "%s is not a response type; use ReportBatchItemFailures", scalarString(x))
				}
			}
		case "FilterCriteria":
			t.Filters = l.filterCriteria(v, fp)
		case "MaximumRecordAgeInSeconds":
			if n, ok := l.integer(v, fp, -1, 604800, " (seconds; -1 keeps records until they expire)"); ok {
				if n >= 0 && n < 60 {
					l.errorf(fp, "%d is out of range; use -1 or 60 to 604800 (seconds)", n)
				} else if n > 0 {
					t.MaximumRecordAge = time.Duration(n) * time.Second
				}
			}
		case "DestinationConfig":
			l.destinationConfig(&ta, v, fp)
		case "TumblingWindowInSeconds":
			if n, ok := l.integer(v, fp, 0, 900, " (seconds)"); ok {
				t.TumblingWindow = time.Duration(n) * time.Second
			}
		default:
			return false
		}
		return true
	})
	if ta.streamARN == "" {
		l.errorf(p+".Stream", "missing; use the table's stream, e.g. !GetAtt MyTable.StreamArn")
		return
	}
	if !posSet {
		// Required by SAM; slsx would default to LATEST, but say so.
		l.warn(p+".StartingPosition", "missing (SAM requires it); slsx uses LATEST")
	}
	l.triggers = append(l.triggers, ta)
}

// ---- APIs

var restAPISilent = []string{
	"Name", "Description", "Tags", "TracingEnabled", "OpenApiVersion", "EndpointConfiguration",
	"MethodSettings", "AccessLogSetting", "CacheClusterEnabled", "CacheClusterSize", "PropagateTags",
	"AlwaysDeploy", "MergeDefinitions", "DisableExecuteApiEndpoint",
}

var httpAPISilent = []string{
	"Name", "Description", "Tags", "AccessLogSettings", "DefaultRouteSettings", "RouteSettings",
	"PropagateTags", "DisableExecuteApiEndpoint", "FailOnWarnings",
}

var stageRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// api reads an AWS::Serverless::Api (kind rest) or HttpApi (kind http);
// id is the logical id or the implicit API's name.
func (l *loader) api(id, kind string, props map[string]any) *config.API {
	p := id + ".Properties"
	a := &config.API{Name: id, Type: kind, Payload: "2.0", Stage: "$default"}
	silent := httpAPISilent
	if kind == "rest" {
		a.Payload, a.Stage, silent = "1.0", "Prod", restAPISilent
		if id != implicitREST {
			a.Stage = ""
		}
	}
	l.fields(props, p, silent, func(k string, v any) bool {
		fp := join(p, k)
		switch k {
		case "StageName":
			s, _ := v.(string)
			switch {
			case s == "$default" && kind == "rest":
				l.errorf(fp, "REST APIs have no $default stage; use a name such as Prod")
			case s == "$default" || stageRE.MatchString(s):
				a.Stage = s
			default:
				l.errorf(fp, "%q is not a stage name; use 1 to 128 letters, digits, '-' or '_'", s)
			}
		case "Variables", "StageVariables":
			if (k == "Variables") != (kind == "rest") {
				return false
			}
			vars, _ := v.(map[string]any)
			a.StageVariables = map[string]string{}
			for _, n := range sortedKeys(vars) {
				a.StageVariables[n] = scalarString(vars[n])
			}
		case "CorsConfiguration":
			if kind != "http" {
				return false
			}
			a.CORS = l.cors(v, fp)
		case "Cors":
			if kind != "rest" {
				return false
			}
			l.warn(fp, "CORS on REST APIs is not supported by slsx (HTTP APIs have it); preflight requests reach the routes; ignored")
		case "Auth":
			l.apiAuth(a, v, fp)
		case "DefinitionBody", "DefinitionUri":
			l.warn(fp, "slsx builds routes from the functions' events only; the OpenAPI definition is ignored")
		default:
			return false
		}
		return true
	})
	if a.Stage == "" {
		l.errorf(p+".StageName", "missing; AWS::Serverless::Api needs a StageName, e.g. Prod")
		return nil
	}
	l.apiByID[id] = a
	l.p.APIs = append(l.p.APIs, a)
	return a
}

// cors reads an HTTP API's CorsConfiguration: true (everything allowed)
// or the object form.
func (l *loader) cors(v any, p string) *config.CORS {
	if b, ok := v.(bool); ok {
		if !b {
			return nil
		}
		return &config.CORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}}
	}
	m, ok := v.(map[string]any)
	if !ok {
		l.errorf(p, "must be true or a mapping with AllowOrigins, AllowMethods, ...; got %s", describe(v))
		return nil
	}
	c := &config.CORS{}
	l.fields(m, p, nil, func(k string, v any) bool {
		fp := join(p, k)
		switch k {
		case "AllowOrigins":
			c.AllowOrigins = l.strList(v, fp)
		case "AllowMethods":
			c.AllowMethods = l.strList(v, fp)
			for i, m := range c.AllowMethods {
				c.AllowMethods[i] = strings.ToUpper(m)
			}
		case "AllowHeaders":
			c.AllowHeaders = l.strList(v, fp)
		case "ExposeHeaders":
			c.ExposeHeaders = l.strList(v, fp)
		case "MaxAge":
			c.MaxAge, _ = l.integer(v, fp, -1, 86400, " seconds")
		case "AllowCredentials":
			c.AllowCredentials, _ = l.boolean(v, fp)
			if c.AllowCredentials && contains(c.AllowOrigins, "*") {
				l.errorf(fp, "cannot be true when AllowOrigins contains '*'; list the origins")
			}
		default:
			return false
		}
		return true
	})
	return c
}

func (l *loader) apiAuth(a *config.API, v any, p string) {
	auth, ok := v.(map[string]any)
	if !ok {
		l.errorf(p, "must be a mapping with Authorizers and DefaultAuthorizer; got %s", describe(v))
		return
	}
	l.fields(auth, p, []string{"AddDefaultAuthorizerToCorsPreflight", "EnableIamAuthorizer"}, func(k string, v any) bool {
		fp := join(p, k)
		switch k {
		case "DefaultAuthorizer":
			s, _ := v.(string)
			if s == "AWS_IAM" {
				l.warn(fp, "slsx does not check IAM signatures; routes are served without authorization")
				return true
			}
			l.defaultAuth[a.Name] = s
		case "Authorizers":
			zs, _ := v.(map[string]any)
			for _, name := range sortedKeys(zs) {
				if z := l.authorizer(a, name, zs[name], join(fp, name)); z != nil {
					if a.Authorizers == nil {
						a.Authorizers = map[string]*config.Authorizer{}
					}
					a.Authorizers[name] = z
				} else {
					l.dropped[a.Name+"."+name] = true
				}
			}
		default:
			return false
		}
		return true
	})
}

// authorizer reads a Lambda authorizer; slsx runs REQUEST authorizers.
func (l *loader) authorizer(a *config.API, name string, v any, p string) *config.Authorizer {
	m, ok := v.(map[string]any)
	if !ok {
		l.errorf(p, "an authorizer is a mapping with FunctionArn; got %s", describe(v))
		return nil
	}
	rest := a.Type == "rest"
	if _, ok := m["FunctionArn"]; !ok {
		l.warn(p, "only Lambda authorizers are supported by slsx (not Cognito or JWT); routes using it are served without authorization")
		return nil
	}
	if rest {
		if t, _ := m["FunctionPayloadType"].(string); t != "REQUEST" {
			l.warn(p, "TOKEN authorizers are not supported by slsx; set FunctionPayloadType: REQUEST. Routes using it are served without authorization")
			return nil
		}
	}
	z := &config.Authorizer{Name: name, PayloadVersion: "2.0", IdentitySource: []string{"$request.header.Authorization"}}
	if rest {
		z.PayloadVersion, z.TTL = "1.0", 300*time.Second
		z.IdentitySource = []string{"method.request.header.Authorization"}
	}
	payloadSet := false
	l.fields(m, p, []string{"FunctionInvokeRole", "EnableFunctionDefaultPermissions", "FunctionPayloadType"}, func(k string, v any) bool {
		fp := join(p, k)
		switch k {
		case "FunctionArn":
			s, _ := v.(string)
			z.Function = functionFromARN(s)
			if z.Function == "" {
				l.errorf(fp, "%q is not a function ARN; use !GetAtt MyAuthorizer.Arn", s)
			}
		case "AuthorizerPayloadFormatVersion":
			if rest {
				return false
			}
			s := payloadVersion(v)
			payloadSet = true
			if s != "1.0" && s != "2.0" {
				l.errorf(fp, "%q is not a payload version; use 1.0 or 2.0", s)
				return true
			}
			z.PayloadVersion = s
		case "EnableSimpleResponses":
			if rest {
				return false
			}
			z.SimpleResponses, _ = l.boolean(v, fp)
		case "Identity":
			l.identity(z, rest, v, fp)
		default:
			return false
		}
		return true
	})
	if !rest && !payloadSet {
		l.errorf(p+".AuthorizerPayloadFormatVersion", "missing; SAM requires 1.0 or 2.0 for HTTP API Lambda authorizers")
	}
	if z.SimpleResponses && z.PayloadVersion != "2.0" {
		l.errorf(p+".EnableSimpleResponses", "simple responses need AuthorizerPayloadFormatVersion 2.0")
	}
	return z
}

func (l *loader) identity(z *config.Authorizer, rest bool, v any, p string) {
	m, ok := v.(map[string]any)
	if !ok {
		l.errorf(p, "must be a mapping with Headers, QueryStrings, ...; got %s", describe(v))
		return
	}
	prefix := map[string]string{"Headers": "$request.header.", "QueryStrings": "$request.querystring.", "StageVariables": "$stageVariables.", "Context": "$context."}
	if rest {
		prefix = map[string]string{"Headers": "method.request.header.", "QueryStrings": "method.request.querystring.", "StageVariables": "stageVariables.", "Context": "context."}
	}
	var src []string
	l.fields(m, p, nil, func(k string, v any) bool {
		fp := join(p, k)
		if pre, ok := prefix[k]; ok {
			for _, s := range l.strList(v, fp) {
				src = append(src, pre+s)
			}
			return true
		}
		if k == "ReauthorizeEvery" {
			// 3600 s is API Gateway's maximum authorizer cache TTL.
			if n, ok := l.integer(v, fp, 0, 3600, " seconds"); ok {
				z.TTL = time.Duration(n) * time.Second
			}
			return true
		}
		return false
	})
	if len(src) > 0 {
		z.IdentitySource = src
	}
}

// payloadVersion reads "2.0" written as a string or as the YAML number 2.0.
func payloadVersion(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return scalarString(v)
}

// functionFromARN returns the function name in a Lambda function ARN
// (arn:aws:lambda:region:account:function:name[:qualifier]), or "".
func functionFromARN(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
		return parts[6]
	}
	return ""
}

// ---- topics and subscriptions

var topicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
var fifoTopicRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,251}\.fifo$`)

func (l *loader) topic(id string, props map[string]any) {
	p := id + ".Properties"
	t := &config.Topic{Name: l.r.name(id)}
	_, named := props["TopicName"]
	var subs []any
	l.fields(props, p, []string{"Tags", "DataProtectionPolicy", "DeliveryStatusLogging"}, func(k string, v any) bool {
		fp := join(p, k)
		switch k {
		case "TopicName":
		case "FifoTopic":
			t.Fifo, _ = l.boolean(v, fp)
		case "ContentBasedDeduplication":
			t.ContentBasedDeduplication, _ = l.boolean(v, fp)
		case "DisplayName", "KmsMasterKeyId", "SignatureVersion", "TracingConfig", "FifoThroughputScope":
			if t.Attributes == nil {
				t.Attributes = map[string]string{}
			}
			t.Attributes[k] = scalarString(v)
		case "ArchivePolicy":
			b, _ := json.Marshal(v)
			if t.Attributes == nil {
				t.Attributes = map[string]string{}
			}
			t.Attributes[k] = string(b)
		case "Subscription":
			subs, _ = v.([]any)
		default:
			return false
		}
		return true
	})
	if t.Fifo && !named {
		// CloudFormation names an unnamed FIFO topic with the .fifo suffix.
		t.Name += ".fifo"
	}
	if msg := checkTopicName(t.Name, t.Fifo); msg != "" {
		l.errorf(p+".TopicName", "%s", msg)
		return
	}
	if t.ContentBasedDeduplication && !t.Fifo {
		l.errorf(p+".ContentBasedDeduplication", "only FIFO topics deduplicate; set FifoTopic: true or remove it")
	}
	l.p.Topics = append(l.p.Topics, t)
	for i, s := range subs {
		sp := fmt.Sprintf("%s.Subscription[%d]", p, i)
		m, _ := s.(map[string]any)
		proto, _ := m["Protocol"].(string)
		ep, _ := m["Endpoint"].(string)
		l.addSubscription(&config.Subscription{}, proto, ep, "arn:aws:sns:"+l.r.region+":"+l.r.account+":"+t.Name, sp)
	}
}

func checkTopicName(name string, fifo bool) string {
	switch {
	case fifo && !fifoTopicRE.MatchString(name):
		return fmt.Sprintf("%q is FIFO, so its name must be 1 to 251 letters, digits, '-' or '_', then .fifo", name)
	case !fifo && strings.HasSuffix(name, ".fifo"):
		return fmt.Sprintf("%q ends in .fifo; set FifoTopic: true or rename it", name)
	case !fifo && !topicNameRE.MatchString(name):
		return fmt.Sprintf("%q is not a topic name; use 1 to 256 letters, digits, '-' or '_'", name)
	}
	return ""
}

func (l *loader) subscription(id string, props map[string]any) {
	p := id + ".Properties"
	s := &config.Subscription{}
	var proto, ep, topic string
	l.fields(props, p, []string{"Region", "DeliveryPolicy", "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy"}, func(k string, v any) bool {
		fp := join(p, k)
		switch k {
		case "Protocol":
			proto, _ = v.(string)
		case "Endpoint":
			ep, _ = v.(string)
		case "TopicArn":
			topic, _ = v.(string)
		case "FilterPolicy":
			s.FilterPolicy = l.filterPolicy(v, fp)
			if s.FilterPolicyScope == "" {
				s.FilterPolicyScope = "MessageAttributes"
			}
		case "FilterPolicyScope":
			str, _ := v.(string)
			if str != "MessageAttributes" && str != "MessageBody" {
				l.errorf(fp, "%q is not a scope; use MessageAttributes or MessageBody", str)
				return true
			}
			s.FilterPolicyScope = str
		case "RawMessageDelivery":
			s.RawMessageDelivery, _ = l.boolean(v, fp)
		default:
			return false
		}
		return true
	})
	if topic == "" {
		l.errorf(p+".TopicArn", "missing; use the topic's ARN, e.g. !Ref MyTopic")
		return
	}
	l.addSubscription(s, proto, ep, topic, p)
}

// addSubscription completes s with protocol and endpoint: lambda (a
// function ARN), http or https; other protocols are warned about.
func (l *loader) addSubscription(s *config.Subscription, proto, ep, topicARN, p string) {
	switch proto {
	case "lambda":
		s.Endpoint = functionFromARN(ep)
		if s.Endpoint == "" {
			l.errorf(p+".Endpoint", "%q is not a function ARN; use !GetAtt MyFunction.Arn", ep)
			return
		}
		if s.RawMessageDelivery {
			l.errorf(p+".RawMessageDelivery", "SNS does not support raw message delivery to lambda; remove it")
			return
		}
	case "http", "https":
		if !strings.HasPrefix(ep, proto+"://") {
			l.errorf(p+".Endpoint", "%q is not an %s URL", ep, proto)
			return
		}
		s.Endpoint = ep
	default:
		l.warn(p, "protocol %q is not supported by slsx (lambda, http and https are); ignored", proto)
		return
	}
	s.Protocol = proto
	l.subs = append(l.subs, subAt{s: s, topicARN: topicARN, path: p})
}

// ---- tables

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

var tableSilent = []string{
	"ProvisionedThroughput", "Tags", "SSESpecification", "PointInTimeRecoverySpecification",
	"DeletionProtectionEnabled", "ContributorInsightsSpecification", "TableClass", "OnDemandThroughput", "WarmThroughput",
}

func (l *loader) table(id string, props map[string]any) {
	p := id + ".Properties"
	// CloudFormation's default billing mode for AWS::DynamoDB::Table.
	t := &config.Table{Name: l.r.name(id), BillingMode: "PROVISIONED"}
	if !tableNameRE.MatchString(t.Name) {
		l.errorf(p+".TableName", "%q is not a table name; use 3 to 255 letters, digits, '_', '-' or '.'", t.Name)
		return
	}
	types := map[string]string{}
	if defs, ok := props["AttributeDefinitions"].([]any); ok {
		for i, d := range defs {
			m, _ := d.(map[string]any)
			n, _ := m["AttributeName"].(string)
			typ, _ := m["AttributeType"].(string)
			if n == "" || (typ != "S" && typ != "N" && typ != "B") {
				l.errorf(fmt.Sprintf("%s.AttributeDefinitions[%d]", p, i), "needs AttributeName and AttributeType S, N or B")
				continue
			}
			types[n] = typ
		}
	}
	var keys []any
	l.fields(props, p, tableSilent, func(k string, v any) bool {
		fp := join(p, k)
		switch k {
		case "TableName", "AttributeDefinitions":
		case "KeySchema":
			keys, _ = v.([]any)
		case "BillingMode":
			s, _ := v.(string)
			if s != "PAY_PER_REQUEST" && s != "PROVISIONED" {
				l.errorf(fp, "%q is not a billing mode; use PAY_PER_REQUEST or PROVISIONED", s)
				return true
			}
			t.BillingMode = s
		case "StreamSpecification":
			m, _ := v.(map[string]any)
			s, _ := m["StreamViewType"].(string)
			switch s {
			case "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES":
				t.StreamView, t.StreamLabel = s, streamLabel
			default:
				l.errorf(join(fp, "StreamViewType"), "%q is not a stream view; use KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES", s)
			}
		case "TimeToLiveSpecification":
			m, _ := v.(map[string]any)
			if on, _ := l.boolean(m["Enabled"], join(fp, "Enabled")); on {
				t.TTLAttribute, _ = m["AttributeName"].(string)
				if t.TTLAttribute == "" {
					l.errorf(join(fp, "AttributeName"), "missing; name the attribute holding the expiry time")
				}
			}
		case "GlobalSecondaryIndexes", "LocalSecondaryIndexes":
			list, _ := v.([]any)
			for i, x := range list {
				ix := l.index(x, types, fmt.Sprintf("%s[%d]", fp, i))
				if ix == nil {
					continue
				}
				if k == "GlobalSecondaryIndexes" {
					t.GSIs = append(t.GSIs, ix)
				} else {
					t.LSIs = append(t.LSIs, ix)
				}
			}
		default:
			return false
		}
		return true
	})
	hash, rng, ok := l.keySchema(keys, types, p+".KeySchema")
	if !ok {
		return
	}
	t.HashKey, t.RangeKey = hash, rng
	for i, ix := range t.LSIs {
		if ix.HashKey.Name != hash.Name {
			l.errorf(fmt.Sprintf("%s.LocalSecondaryIndexes[%d]", p, i), "a local index's HASH key must be the table's (%s)", hash.Name)
		}
	}
	l.p.Tables = append(l.p.Tables, t)
}

func (l *loader) keySchema(keys []any, types map[string]string, p string) (config.KeyAttr, *config.KeyAttr, bool) {
	var hash config.KeyAttr
	var rng *config.KeyAttr
	for i, k := range keys {
		m, _ := k.(map[string]any)
		n, _ := m["AttributeName"].(string)
		kt, _ := m["KeyType"].(string)
		typ, ok := types[n]
		if !ok {
			l.errorf(fmt.Sprintf("%s[%d]", p, i), "attribute %q is not in AttributeDefinitions", n)
			return hash, nil, false
		}
		switch kt {
		case "HASH":
			hash = config.KeyAttr{Name: n, Type: typ}
		case "RANGE":
			rng = &config.KeyAttr{Name: n, Type: typ}
		default:
			l.errorf(fmt.Sprintf("%s[%d].KeyType", p, i), "%q is not a key type; use HASH or RANGE", kt)
			return hash, nil, false
		}
	}
	if hash.Name == "" {
		l.errorf(p, "missing a HASH key; e.g. [{AttributeName: id, KeyType: HASH}]")
		return hash, nil, false
	}
	return hash, rng, true
}

func (l *loader) index(v any, types map[string]string, p string) *config.Index {
	m, ok := v.(map[string]any)
	if !ok {
		l.errorf(p, "an index is a mapping with IndexName, KeySchema and Projection; got %s", describe(v))
		return nil
	}
	ix := &config.Index{Projection: "ALL"}
	var keys []any
	l.fields(m, p, []string{"ProvisionedThroughput", "ContributorInsightsSpecification", "OnDemandThroughput", "WarmThroughput"}, func(k string, v any) bool {
		switch k {
		case "IndexName":
			ix.Name, _ = v.(string)
		case "KeySchema":
			keys, _ = v.([]any)
		case "Projection":
			pm, _ := v.(map[string]any)
			if s, ok := pm["ProjectionType"].(string); ok {
				ix.Projection = s
			}
			ix.NonKeyAttributes = l.strList(pm["NonKeyAttributes"], join(join(p, k), "NonKeyAttributes"))
		default:
			return false
		}
		return true
	})
	if !tableNameRE.MatchString(ix.Name) {
		l.errorf(p+".IndexName", "%q is not an index name; use 3 to 255 letters, digits, '_', '-' or '.'", ix.Name)
		return nil
	}
	switch ix.Projection {
	case "ALL", "KEYS_ONLY", "INCLUDE":
	default:
		l.errorf(p+".Projection.ProjectionType", "%q is not a projection; use ALL, KEYS_ONLY or INCLUDE", ix.Projection)
		return nil
	}
	hash, rng, ok := l.keySchema(keys, types, p+".KeySchema")
	if !ok {
		return nil
	}
	ix.HashKey, ix.RangeKey = hash, rng
	return ix
}

var simpleKeyTypes = map[string]string{"String": "S", "Number": "N", "Binary": "B"}

func (l *loader) simpleTable(id string, props map[string]any) {
	p := id + ".Properties"
	// SimpleTable is on-demand unless it sets ProvisionedThroughput.
	t := &config.Table{Name: l.r.name(id), HashKey: config.KeyAttr{Name: "id", Type: "S"}, BillingMode: "PAY_PER_REQUEST"}
	if !tableNameRE.MatchString(t.Name) {
		l.errorf(p+".TableName", "%q is not a table name; use 3 to 255 letters, digits, '_', '-' or '.'", t.Name)
		return
	}
	l.fields(props, p, []string{"Tags", "SSESpecification", "PointInTimeRecoverySpecification"}, func(k string, v any) bool {
		switch k {
		case "TableName":
		case "ProvisionedThroughput":
			t.BillingMode = "PROVISIONED"
		case "PrimaryKey":
			m, _ := v.(map[string]any)
			n, _ := m["Name"].(string)
			typ, _ := m["Type"].(string)
			if n == "" || simpleKeyTypes[typ] == "" {
				l.errorf(join(p, k), "needs Name and Type String, Number or Binary")
				return true
			}
			t.HashKey = config.KeyAttr{Name: n, Type: simpleKeyTypes[typ]}
		default:
			return false
		}
		return true
	})
	l.p.Tables = append(l.p.Tables, t)
}

// ---- linking

func (l *loader) link() {
	l.linkAPIs()
	l.linkSubscriptions()
	l.linkTriggers()
	p := l.p
	sort.Slice(p.Functions, func(i, j int) bool { return p.Functions[i].Name < p.Functions[j].Name })
	sort.Slice(p.APIs, func(i, j int) bool { return p.APIs[i].Name < p.APIs[j].Name })
	sort.Slice(p.Topics, func(i, j int) bool { return p.Topics[i].Name < p.Topics[j].Name })
	sort.Slice(p.Tables, func(i, j int) bool { return p.Tables[i].Name < p.Tables[j].Name })
	for _, a := range p.APIs {
		sortRoutes(a.Routes)
	}
	for _, f := range p.Functions {
		sortRoutes(f.Routes)
	}
}

func (l *loader) linkAPIs() {
	needREST, needHTTP := false, false
	for _, ra := range l.routes {
		if ra.apiRef == "" {
			needREST = needREST || ra.kind == "rest"
			needHTTP = needHTTP || ra.kind == "http"
		}
	}
	if needREST && l.apiByID[implicitREST] == nil {
		l.api(implicitREST, "rest", copyMap(l.globals["Api"]))
	}
	if needHTTP && l.apiByID[implicitHTTP] == nil {
		l.api(implicitHTTP, "http", copyMap(l.globals["HttpApi"]))
	}
	seen := map[string]string{} // api + shape -> first path
	for _, ra := range l.routes {
		name := ra.apiRef
		if name == "" {
			name = implicitREST
			if ra.kind == "http" {
				name = implicitHTTP
			}
		}
		a := l.apiByID[name]
		if a == nil || a.Type != ra.kind {
			want := "AWS::Serverless::Api"
			key := "RestApiId"
			if ra.kind == "http" {
				want, key = "AWS::Serverless::HttpApi", "ApiId"
			}
			l.errorf(join(ra.path, key), "%q is not an %s of this template; use !Ref MyApi", name, want)
			continue
		}
		r := ra.r
		r.API = a.Name
		if a.Type == "rest" && r.Path == "$default" {
			l.errorf(ra.path, "REST APIs have no $default route; use Path /{proxy+} and Method ANY")
			continue
		}
		auth := ra.auth
		if auth == "" {
			auth = l.defaultAuth[a.Name]
		}
		switch {
		case auth == "" || auth == "NONE":
		case auth == "AWS_IAM":
			l.warn(join(ra.path, "Auth.Authorizer"), "slsx does not check IAM signatures; the route is served without authorization")
		case a.Authorizers[auth] != nil:
			r.Authorizer = auth
		case l.dropped[a.Name+"."+auth]:
			// Already warned where the authorizer is declared.
		default:
			l.errorf(join(ra.path, "Auth.Authorizer"), "authorizer %q is not declared in %s's Auth.Authorizers", auth, a.Name)
			continue
		}
		shape := a.Name + " " + routeShape(r)
		if first, dup := seen[shape]; dup {
			l.errorf(ra.path, "route %s on %s is already defined by %s", r.Key(), a.Name, first)
			continue
		}
		seen[shape] = ra.path
		a.Routes = append(a.Routes, r)
		if fn := l.p.Function(r.Function); fn != nil {
			fn.Routes = append(fn.Routes, r)
		}
	}
	for _, a := range l.p.APIs {
		for name, z := range a.Authorizers {
			if l.p.Function(z.Function) == nil {
				l.errorf(a.Name+".Properties.Auth.Authorizers."+name+".FunctionArn", "function %q is not a Go function of this template", z.Function)
			}
		}
	}
	// One API per place: the first gets the main port, each further one
	// the next port (see the package comment).
	order := []*config.API{}
	for _, n := range []string{implicitREST, implicitHTTP} {
		if a := l.apiByID[n]; a != nil {
			order = append(order, a)
		}
	}
	for _, n := range sortedKeys(l.apiByID) {
		if n != implicitREST && n != implicitHTTP {
			order = append(order, l.apiByID[n])
		}
	}
	for i, a := range order {
		a.PortOffset = i
	}
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// topicFromARN returns the topic name of an SNS topic ARN, or "".
func topicFromARN(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "sns" && parts[5] != "" {
		return parts[5]
	}
	return ""
}

func (l *loader) linkSubscriptions() {
	topics := map[string]*config.Topic{}
	for _, t := range l.p.Topics {
		topics[t.Name] = t
	}
	seen := map[string]bool{}
	for _, sa := range l.subs {
		name := topicFromARN(sa.topicARN)
		if name == "" {
			l.errorf(sa.path, "%q is not a topic ARN; use !Ref MyTopic", sa.topicARN)
			continue
		}
		t := topics[name]
		if t == nil {
			// A topic named only by ARN is created, as slsx.yaml does.
			fifo := strings.HasSuffix(name, ".fifo")
			if msg := checkTopicName(name, fifo); msg != "" {
				l.errorf(sa.path, "topic %s", msg)
				continue
			}
			t = &config.Topic{Name: name, Fifo: fifo}
			topics[name] = t
			l.p.Topics = append(l.p.Topics, t)
		}
		if t.Fifo {
			l.errorf(sa.path, "topic %q is FIFO; SNS delivers FIFO topics only to SQS queues, not to %s", name, sa.s.Protocol)
			continue
		}
		sa.s.Topic = name
		if sa.s.Protocol == "lambda" && l.p.Function(sa.s.Endpoint) == nil {
			l.errorf(sa.path, "function %q is not a Go function of this template", sa.s.Endpoint)
			continue
		}
		k := name + " " + sa.s.Protocol + " " + sa.s.Endpoint
		if seen[k] {
			l.errorf(sa.path, "%s %q already subscribes to topic %q; SNS keeps one subscription per endpoint", sa.s.Protocol, sa.s.Endpoint, name)
			continue
		}
		seen[k] = true
		l.p.Subscriptions = append(l.p.Subscriptions, sa.s)
	}
}

// tableFromStreamARN returns the table of a DynamoDB stream ARN
// (arn:aws:dynamodb:region:account:table/NAME/stream/LABEL), or "".
func tableFromStreamARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "dynamodb" {
		return ""
	}
	segs := strings.Split(parts[5], "/")
	if len(segs) >= 3 && segs[0] == "table" && segs[2] == "stream" {
		return segs[1]
	}
	return ""
}

func (l *loader) linkTriggers() {
	tables := map[string]*config.Table{}
	for _, t := range l.p.Tables {
		tables[t.Name] = t
	}
	seen := map[string]string{} // table, function -> event path
	for _, ta := range l.triggers {
		name := tableFromStreamARN(ta.streamARN)
		t := tables[name]
		first, dup := seen[name+"\x00"+ta.t.Function]
		switch {
		case name == "":
			l.errorf(ta.path+".Stream", "%q is not a DynamoDB stream ARN; use !GetAtt MyTable.StreamArn", ta.streamARN)
		case t == nil:
			l.errorf(ta.path+".Stream", "table %q is not declared in this template", name)
		case t.StreamView == "":
			l.errorf(ta.path+".Stream", "table %q has no stream; set its StreamSpecification, e.g. StreamViewType: NEW_AND_OLD_IMAGES", name)
		case dup:
			// Lambda refuses a second mapping of one stream to one function.
			l.errorf(ta.path+".Stream", "table %q already triggers %s through %s; Lambda keeps one event source mapping per stream and function (merge the two, using FilterCriteria)", name, ta.t.Function, first)
		default:
			seen[name+"\x00"+ta.t.Function] = strings.TrimSuffix(ta.path, ".Properties")
			ta.t.Table = name
			if ta.onFailure != "" && !l.linkOnFailure(ta) {
				continue
			}
			l.p.StreamTriggers = append(l.p.StreamTriggers, ta.t)
		}
	}
}

func sortRoutes(rs []*config.Route) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.API != b.API {
			return a.API < b.API
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
}

// routeShape erases variable names: GET /a/{x} and GET /a/{y} collide.
func routeShape(r *config.Route) string {
	if r.Path == "$default" {
		return "$default"
	}
	segs := strings.Split(r.Path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			if strings.HasSuffix(s, "+}") {
				segs[i] = "{+}"
			} else {
				segs[i] = "{}"
			}
		}
	}
	return r.Method + " " + strings.Join(segs, "/")
}

// ---- scalars

// integer reads a whole number (YAML number or numeric string, as
// CloudFormation accepts both) in [lo, hi].
func (l *loader) integer(v any, p string, lo, hi int, unit string) (int, bool) {
	var f float64
	switch t := v.(type) {
	case float64:
		f = t
	case string:
		x, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			l.errorf(p, "%q is not a number", t)
			return 0, false
		}
		f = x
	default:
		l.errorf(p, "must be a number; got %s", describe(v))
		return 0, false
	}
	if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		l.errorf(p, "%s is out of range; use a whole number from %d to %d%s", scalarString(f), lo, hi, unit)
		return 0, false
	}
	return int(f), true
}

func (l *loader) boolean(v any, p string) (bool, bool) {
	switch t := v.(type) {
	case nil:
		return false, false
	case bool:
		return t, true
	case string:
		switch strings.ToLower(t) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	l.errorf(p, "must be true or false; got %s", scalarString(v))
	return false, false
}

func (l *loader) strList(v any, p string) []string {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		if s, ok := v.(string); ok {
			return []string{s}
		}
		l.errorf(p, "must be a list of strings; got %s", describe(v))
		return nil
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, scalarString(x))
	}
	return out
}

// relPath checks a CodeUri: relative, inside the project; it returns it
// as "./dir" (or "."), the form config.Function.Handler takes.
func relPath(s string) (string, string) {
	switch {
	case s == "":
		return "", "is empty; use the function's folder, e.g. ./hello-world"
	case filepath.IsAbs(s) || strings.HasPrefix(s, "/") || strings.HasPrefix(s, `\`) || filepath.VolumeName(s) != "":
		return "", "is absolute; use a path relative to the template"
	case strings.HasPrefix(s, "s3://"):
		return "", "is an S3 location; slsx builds the Go package in a local folder"
	}
	c := path.Clean(filepath.ToSlash(s))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", "leaves the project directory; keep it inside"
	}
	if c == "." {
		return ".", ""
	}
	return "./" + c, ""
}

func join(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsAny(list []any, s string) bool {
	for _, x := range list {
		if scalarString(x) == s {
			return true
		}
	}
	return false
}

// conditionCycle returns a condition that depends on itself through
// {"Condition": name} references, or "". goformation's processor would
// recurse forever on one.
func conditionCycle(v any) string {
	conds, _ := v.(map[string]any)
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var refs func(v any, out *[]string)
	refs = func(v any, out *[]string) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if s, ok := x.(string); ok && k == "Condition" {
					*out = append(*out, s)
				}
				refs(x, out)
			}
		case []any:
			for _, x := range t {
				refs(x, out)
			}
		}
	}
	var visit func(name string) bool
	visit = func(name string) bool {
		switch state[name] {
		case visiting:
			return true
		case done:
			return false
		}
		state[name] = visiting
		var deps []string
		refs(conds[name], &deps)
		for _, d := range deps {
			if _, ok := conds[d]; ok && visit(d) {
				return true
			}
		}
		state[name] = done
		return false
	}
	for _, name := range sortedKeys(conds) {
		if visit(name) {
			return name
		}
	}
	return ""
}
