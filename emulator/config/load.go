package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// reservedConcurrency maps a file's reserved concurrency to the model's:
// an explicit 0 (AWS's way to turn a function off) becomes ReservedZero.
func reservedConcurrency(v int) int {
	if v == 0 {
		return ReservedZero
	}
	return v
}

// fileNames are the project file names Load looks for, in order.
var fileNames = []string{"slsx.yaml", "slsx.yml"}

// Load reads the project file (slsx.yaml or slsx.yml) in dir. A missing or
// empty file is an error that wraps ErrNoProject; problems in the file are
// returned as Errors.
func Load(dir string) (*Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve project directory: %w", err)
	}
	for _, name := range fileNames {
		file := filepath.Join(abs, name)
		data, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read project file: %w", err)
		}
		return Parse(abs, file, data)
	}
	return nil, &noProjectError{fmt.Sprintf("no slsx.yaml in %s; run slsx init or pass --dir", abs)}
}

type noProjectError struct{ msg string }

func (e *noProjectError) Error() string        { return e.msg }
func (e *noProjectError) Is(target error) bool { return target == ErrNoProject }

// Parse decodes the project file data, read from file, for the project in
// dir (both made absolute). Every problem found is returned together as
// Errors, sorted by line. The format:
//
//	name: shop                 # default: the directory name
//	region: us-east-1          # default us-east-1
//	runtime: process           # process (default) or docker
//	apis:                      # optional; "default" (http, payload 2.0, main port) exists whenever any function has http events
//	  default: {type: http, payload: "2.0", stage: $default,
//	            cors: {allowOrigins: ["*"], allowMethods: [GET, POST], allowHeaders: [content-type], exposeHeaders: [], maxAge: 300, allowCredentials: false},
//	            authorizers: {auth: {function: authz, identitySource: ["$request.header.Authorization"], ttl: 300s, simpleResponses: true, payload: "2.0"}}}
//	  legacy: {type: rest, stage: dev, port: 3001, stageVariables: {a: b}}   # rest: payload 1.0, stage dev by default
//	  admin:  {type: http, payload: "1.0", basePath: /admin}               # port 0 (default) shares the main port under basePath
//	functions:
//	  users:                           # [a-zA-Z0-9-_]{1,64}
//	    handler: ./functions/users     # Go main package, relative, inside the project directory
//	    memory: 256                    # MB, 128..10240, default 128
//	    timeout: 10s                   # whole seconds (a bare integer is seconds), 1s..900s, default 3s
//	    concurrency: 5                 # reserved concurrency, 0..1000, default 10
//	    architecture: x86_64           # or arm64
//	    runtime: docker                # optional override of the project runtime
//	    image: public.ecr.aws/lambda/provided:al2023   # optional docker image
//	    environment: {TABLE: users}    # keys [A-Za-z][A-Za-z0-9_]+, not reserved by Lambda, 4 KB in total
//	    events:
//	      - http: GET /users/{id}      # "METHOD /path", "ANY /path" or "$default" on the default API
//	      - http: {method: POST, path: /users, api: legacy, authorizer: auth}
//	      - sns: orders                # topic name; undeclared topics are created
//	      - sns: {topic: orders, filterPolicy: {kind: [paid]}, filterPolicyScope: MessageAttributes}
//	      - dynamodb: {table: users, batchSize: 100, startingPosition: LATEST, batchWindow: 0s,
//	                   maximumRetryAttempts: -1, bisectBatchOnFunctionError: false, reportBatchItemFailures: true, enabled: true}
//	topics:
//	  orders: {fifo: false, contentBasedDeduplication: false, attributes: {DisplayName: Orders}}
//	subscriptions:                     # protocol lambda (endpoint: function name), http or https (endpoint: URL)
//	  - {topic: orders, protocol: https, endpoint: "https://example.com/hook", filterPolicy: {kind: [paid]}, rawMessageDelivery: true}
//	tables:
//	  users:                           # [a-zA-Z0-9_.-]{3,255}
//	    hashKey: id:S                  # "name:TYPE", "name" (type S) or {name: id, type: S}; TYPE is S, N or B
//	    rangeKey: sk:S
//	    stream: NEW_AND_OLD_IMAGES     # KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES; needed by dynamodb events
//	    ttl: expiresAt
//	    billingMode: PAY_PER_REQUEST   # or PROVISIONED
//	    globalIndexes: {byEmail: {hashKey: email:S, rangeKey: name:S, projection: INCLUDE, nonKeyAttributes: [phone]}}
//	    localIndexes:  {byDate: {rangeKey: created:N, projection: KEYS_ONLY}}   # hash key is the table's
//	    seed: seed/users.json          # relative, inside the project directory
//
// testdata/full.yaml is a complete example.
func Parse(dir, file string, data []byte) (*Project, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve project directory: %w", err)
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	shown := file
	if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
		shown = rel
	}

	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{syntaxError(shown, err)}
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if isNull(doc) || doc.Kind == yaml.DocumentNode {
		return nil, &noProjectError{fmt.Sprintf("%s in %s is empty; run slsx init or pass --dir", shown, dir)}
	}

	l := &loader{decoder: decoder{file: shown}, p: &Project{
		Dir: dir, File: file, Name: filepath.Base(dir), Region: "us-east-1", Runtime: "process",
	}}
	l.project(doc)
	l.link()
	if len(l.errs) > 0 {
		return nil, l.errs.sorted()
	}
	return l.p, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 error into an Error with the line split out.
func syntaxError(file string, err error) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// loader decodes one file into a Project, remembering where references were
// written so link can report them at the right line.
type loader struct {
	decoder
	p *Project

	apiAt    map[string]*yaml.Node // key node of each declared API
	routes   []at[*Route]
	subs     []at[*Subscription]
	triggers []at[*StreamTrigger]
	// onFailure are the triggers with an on-failure topic, at that field.
	onFailure []at[*StreamTrigger]
	auths     []at[*Authorizer]
	topicAt   map[string]*yaml.Node
}

// at is a decoded value and the node and field path it came from.
type at[T any] struct {
	v    T
	n    *yaml.Node
	path string
}

var (
	projectNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	regionRE       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	simpleNameRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	stageRE        = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	stageVarRE     = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	envKeyRE       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]+$`)
	topicNameRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	fifoTopicRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,251}\.fifo$`)
	tableNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
	feedbackAttrRE = regexp.MustCompile(`^(HTTP|Lambda|SQS|Firehose|Application)(Success|Failure)Feedback(RoleArn|SampleRate)$`)
)

func (l *loader) project(doc *yaml.Node) {
	top := l.object(doc, "", "name", "region", "runtime", "apis", "functions", "topics", "subscriptions", "tables")
	if e, ok := top["name"]; ok {
		if s, ok := l.str(e.val, "name"); ok {
			if projectNameRE.MatchString(s) {
				l.p.Name = s
			} else {
				l.errorf(e.val, "name", "%s is not a project name; use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit", quote(s))
			}
		}
	}
	if e, ok := top["region"]; ok {
		if s, ok := l.str(e.val, "region"); ok {
			if regionRE.MatchString(s) {
				l.p.Region = s
			} else {
				l.errorf(e.val, "region", "%s is not an AWS region; use e.g. us-east-1", quote(s))
			}
		}
	}
	if e, ok := top["runtime"]; ok {
		if s, ok := l.enum(e.val, "runtime", "process", "docker"); ok {
			l.p.Runtime = s
		}
	}
	l.apiAt = map[string]*yaml.Node{}
	for _, e := range l.mapping(top["apis"].val, "apis") {
		l.api(e, join("apis", e.name))
	}
	for _, e := range l.mapping(top["functions"].val, "functions") {
		l.function(e, join("functions", e.name))
	}
	l.topicAt = map[string]*yaml.Node{}
	for _, e := range l.mapping(top["topics"].val, "topics") {
		l.topic(e, join("topics", e.name))
	}
	l.subscriptions(top["subscriptions"].val)
	for _, e := range l.mapping(top["tables"].val, "tables") {
		l.table(e, join("tables", e.name))
	}
}

// ---- APIs

func (l *loader) api(e entry, p string) {
	if !simpleNameRE.MatchString(e.name) {
		l.errorf(e.key, p, "%s is not an API name; use 1 to 128 letters, digits, '-' or '_'", quote(e.name))
		return
	}
	f := l.object(e.val, p, "type", "payload", "stage", "port", "basePath", "stageVariables", "cors", "authorizers")
	a := &API{Name: e.name, Type: "http"}
	l.apiAt[e.name] = e.key
	l.p.APIs = append(l.p.APIs, a)
	if v, ok := l.enum(f["type"].val, join(p, "type"), "http", "rest"); ok {
		a.Type = v
	}
	rest := a.Type == "rest"
	if rest {
		a.Payload, a.Stage = "1.0", "dev"
	} else {
		a.Payload, a.Stage = "2.0", "$default"
	}
	if fe, ok := f["payload"]; ok {
		if v, ok := l.enum(fe.val, join(p, "payload"), "2.0", "1.0"); ok {
			if rest && v != "1.0" {
				l.errorf(fe.val, join(p, "payload"), "rest APIs always send payload 1.0; remove payload or use type: http")
			} else {
				a.Payload = v
			}
		}
	}
	if fe, ok := f["stage"]; ok {
		if v, ok := l.str(fe.val, join(p, "stage")); ok {
			switch {
			case v == "$default" && rest:
				l.errorf(fe.val, join(p, "stage"), "rest APIs have no $default stage; use a name such as dev")
			case v == "$default" || stageRE.MatchString(v):
				a.Stage = v
			default:
				l.errorf(fe.val, join(p, "stage"), "%s is not a stage name; use $default or 1 to 128 letters, digits, '-' or '_'", quote(v))
			}
		}
	}
	if fe, ok := f["port"]; ok {
		a.Port, _ = l.integer(fe.val, join(p, "port"), 0, 65535, " (0 shares the main API port)")
	}
	if fe, ok := f["basePath"]; ok {
		if v, ok := l.str(fe.val, join(p, "basePath")); ok {
			if msg := checkBasePath(v); msg != "" {
				l.errorf(fe.val, join(p, "basePath"), "%s %s", quote(v), msg)
			} else {
				a.BasePath = v
			}
		}
	}
	if fe, ok := f["stageVariables"]; ok {
		a.StageVariables = l.strMap(fe.val, join(p, "stageVariables"), func(e entry, p string) {
			if !stageVarRE.MatchString(e.name) {
				l.errorf(e.key, p, "stage variable names use only letters, digits and '_'")
			}
		})
	}
	if fe, ok := f["cors"]; ok {
		if rest {
			l.errorf(fe.key, join(p, "cors"), "only http APIs have a cors setting; a rest API answers OPTIONS from its own routes")
		} else {
			a.CORS = l.cors(fe.val, join(p, "cors"))
		}
	}
	if fe, ok := f["authorizers"]; ok {
		a.Authorizers = map[string]*Authorizer{}
		for _, ae := range l.mapping(fe.val, join(p, "authorizers")) {
			if z := l.authorizer(ae, join(join(p, "authorizers"), ae.name), a); z != nil {
				a.Authorizers[ae.name] = z
			}
		}
	}
}

func checkBasePath(v string) string {
	if v == "" {
		return ""
	}
	if !strings.HasPrefix(v, "/") || v == "/" || strings.HasSuffix(v, "/") {
		return "is not a base path; use \"/prefix\" (a leading '/', no trailing '/')"
	}
	for _, seg := range strings.Split(v[1:], "/") {
		if seg == "" || strings.ContainsAny(seg, "{}?#% \t") {
			return "is not a base path; use literal segments such as /admin or /v1/admin"
		}
	}
	return ""
}

// httpMethods are the route methods API Gateway accepts.
var httpMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}

func (l *loader) cors(n *yaml.Node, p string) *CORS {
	f := l.object(n, p, "allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge", "allowCredentials")
	c := &CORS{
		AllowOrigins:  l.strList(f["allowOrigins"].val, join(p, "allowOrigins")),
		AllowMethods:  l.strList(f["allowMethods"].val, join(p, "allowMethods")),
		AllowHeaders:  l.strList(f["allowHeaders"].val, join(p, "allowHeaders")),
		ExposeHeaders: l.strList(f["exposeHeaders"].val, join(p, "exposeHeaders")),
	}
	for i, m := range c.AllowMethods {
		up := strings.ToUpper(m)
		if up != "*" && (up == "ANY" || !contains(httpMethods, up)) {
			l.errorf(f["allowMethods"].val, join(p, "allowMethods"), "%s is not a method; use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or *", quote(m))
			continue
		}
		c.AllowMethods[i] = up
	}
	if e, ok := f["maxAge"]; ok {
		// API Gateway's range: -1 disables caching, 86400 is a day.
		c.MaxAge, _ = l.integer(e.val, join(p, "maxAge"), -1, 86400, " seconds")
	}
	if e, ok := f["allowCredentials"]; ok {
		c.AllowCredentials, _ = l.boolean(e.val, join(p, "allowCredentials"))
		if c.AllowCredentials && contains(c.AllowOrigins, "*") {
			l.errorf(e.val, join(p, "allowCredentials"), "cannot be true when allowOrigins contains '*'; list the origins")
		}
	}
	return c
}

func (l *loader) authorizer(e entry, p string, a *API) *Authorizer {
	if !simpleNameRE.MatchString(e.name) {
		l.errorf(e.key, p, "%s is not an authorizer name; use 1 to 128 letters, digits, '-' or '_'", quote(e.name))
		return nil
	}
	f := l.object(e.val, p, "function", "identitySource", "ttl", "simpleResponses", "payload")
	z := &Authorizer{Name: e.name, PayloadVersion: "2.0"}
	if a.Type == "rest" {
		z.PayloadVersion = "1.0"
		z.IdentitySource = []string{"method.request.header.Authorization"}
		z.TTL = 300 * time.Second // REST's default result cache
	} else {
		z.IdentitySource = []string{"$request.header.Authorization"}
	}
	if fn, ok := l.str(f["function"].val, join(p, "function")); ok && fn != "" {
		z.Function = fn
		l.auths = append(l.auths, at[*Authorizer]{z, f["function"].val, join(p, "function")})
	} else {
		l.errorf(e.key, join(p, "function"), "missing; name the function that decides, e.g. function: authz")
	}
	if fe, ok := f["identitySource"]; ok {
		if src := l.strList(fe.val, join(p, "identitySource")); len(src) > 0 {
			z.IdentitySource = src
		}
	}
	if fe, ok := f["ttl"]; ok {
		// 3600s is API Gateway's maximum authorizer cache TTL.
		z.TTL, _ = l.duration(fe.val, join(p, "ttl"), 0, 3600*time.Second, true)
	}
	if fe, ok := f["payload"]; ok {
		if v, ok := l.enum(fe.val, join(p, "payload"), "2.0", "1.0"); ok {
			if a.Type == "rest" && v != "1.0" {
				l.errorf(fe.val, join(p, "payload"), "rest API authorizers always use payload 1.0")
			} else {
				z.PayloadVersion = v
			}
		}
	}
	if fe, ok := f["simpleResponses"]; ok {
		z.SimpleResponses, _ = l.boolean(fe.val, join(p, "simpleResponses"))
		if z.SimpleResponses && (a.Type == "rest" || z.PayloadVersion != "2.0") {
			l.errorf(fe.val, join(p, "simpleResponses"), "simple responses need an http API authorizer with payload 2.0")
		}
	}
	return z
}

// ---- functions

// reservedEnv are the variables Lambda sets itself and refuses in a
// function's configuration.
var reservedEnv = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}

// maxEnvBytes is Lambda's limit on the total size of a function's variables.
const maxEnvBytes = 4096

func (l *loader) function(e entry, p string) {
	if !functionNameRE.MatchString(e.name) {
		l.errorf(e.key, p, "%s is not a function name; use 1 to 64 letters, digits, '-' or '_'", quote(e.name))
		return
	}
	f := l.object(e.val, p, "handler", "memory", "timeout", "concurrency", "architecture", "runtime", "image", "environment", "events")
	fn := &Function{
		Name: e.name, MemoryMB: DefaultMemoryMB, Timeout: DefaultTimeout,
		Concurrency: DefaultConcurrency, Architecture: "x86_64",
	}
	l.p.Functions = append(l.p.Functions, fn)
	if h, ok := l.relPath(f["handler"].val, join(p, "handler")); ok {
		fn.Handler = "./" + h
		if h == "." {
			fn.Handler = "."
		}
	} else if isNull(deref(f["handler"].val)) {
		l.errorf(e.key, join(p, "handler"), "missing; set it to the function's Go main package, e.g. ./functions/%s", e.name)
	}
	if fe, ok := f["memory"]; ok {
		if v, ok := l.integer(fe.val, join(p, "memory"), 128, 10240, " (MB)"); ok {
			fn.MemoryMB = v
		}
	}
	if fe, ok := f["timeout"]; ok {
		if v, ok := l.duration(fe.val, join(p, "timeout"), time.Second, 900*time.Second, true); ok {
			fn.Timeout = v
		}
	}
	if fe, ok := f["concurrency"]; ok {
		if v, ok := l.integer(fe.val, join(p, "concurrency"), 0, MaxConcurrency, ""); ok {
			fn.Concurrency = reservedConcurrency(v)
		}
	}
	if fe, ok := f["architecture"]; ok {
		if v, ok := l.enum(fe.val, join(p, "architecture"), "x86_64", "arm64"); ok {
			fn.Architecture = v
		}
	}
	if fe, ok := f["runtime"]; ok {
		fn.Runtime, _ = l.enum(fe.val, join(p, "runtime"), "process", "docker")
	}
	if fe, ok := f["image"]; ok {
		fn.Image, _ = l.str(fe.val, join(p, "image"))
	}
	if fe, ok := f["environment"]; ok {
		l.environment(fn, fe.val, join(p, "environment"))
	}
	if fe, ok := f["events"]; ok {
		l.events(fn, fe.val, join(p, "events"))
	}
}

func (l *loader) environment(fn *Function, n *yaml.Node, p string) {
	fn.Environment = l.strMap(n, p, func(e entry, p string) {
		switch {
		case contains(reservedEnv, e.name):
			l.errorf(e.key, p, "reserved by Lambda, which sets it itself; choose another name")
		case !envKeyRE.MatchString(e.name):
			l.errorf(e.key, p, "not a valid variable name; use a letter then at least one more letter, digit or '_'")
		}
	})
	size := 0
	for k, v := range fn.Environment {
		size += len(k) + len(v)
	}
	if size > maxEnvBytes {
		l.errorf(deref(n), p, "variables take %d bytes; Lambda allows %d in total", size, maxEnvBytes)
	}
}

// relPath reads a path that must be relative and stay inside the project
// directory; it returns it cleaned, with forward slashes.
func (l *loader) relPath(n *yaml.Node, p string) (string, bool) {
	s, ok := l.str(n, p)
	if !ok {
		return "", false
	}
	switch {
	case s == "":
		l.errorf(n, p, "is empty; use a path relative to the project directory")
		return "", false
	case filepath.IsAbs(s) || strings.HasPrefix(s, "/") || strings.HasPrefix(s, `\`) || filepath.VolumeName(s) != "":
		l.errorf(n, p, "%s is absolute; use a path relative to the project directory", quote(s))
		return "", false
	}
	c := path.Clean(filepath.ToSlash(s))
	if c == ".." || strings.HasPrefix(c, "../") {
		l.errorf(n, p, "%s leaves the project directory; keep it inside", quote(s))
		return "", false
	}
	return c, true
}

func (l *loader) events(fn *Function, n *yaml.Node, p string) {
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, p, "must be a list of events (- http: ..., - sns: ..., - dynamodb: ...); got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		ip := index(p, i)
		before := len(l.errs)
		f := l.object(item, ip, "http", "sns", "dynamodb")
		if len(f) != 1 {
			if len(l.errs) == before {
				l.errorf(deref(item), ip, "an event has exactly one of http, sns or dynamodb")
			}
			continue
		}
		for kind, e := range f {
			switch kind {
			case "http":
				l.httpEvent(fn, e.val, join(ip, kind))
			case "sns":
				l.snsEvent(fn, e.val, join(ip, kind))
			case "dynamodb":
				l.dynamodbEvent(fn, e.val, join(ip, kind))
			}
		}
	}
}

func (l *loader) httpEvent(fn *Function, n *yaml.Node, p string) {
	r := &Route{API: DefaultAPIName, Function: fn.Name}
	n = deref(n)
	if n != nil && n.Kind == yaml.ScalarNode && !isNull(n) {
		parts := strings.Fields(n.Value)
		switch {
		case len(parts) == 1 && parts[0] == "$default":
			r.Path = "$default"
		case len(parts) == 2:
			if !l.method(r, n, p, parts[0]) || !l.routePath(r, n, p, parts[1]) {
				return
			}
		default:
			l.errorf(n, p, "%s is not a route; use \"METHOD /path\" (e.g. GET /users/{id}), \"ANY /path\" or \"$default\"", quote(n.Value))
			return
		}
	} else {
		if n != nil && n.Kind != yaml.MappingNode {
			l.errorf(n, p, "must be \"METHOD /path\" or a mapping with method, path, api and authorizer; got %s", describe(n))
			return
		}
		f := l.object(n, p, "method", "path", "api", "authorizer")
		path, ok := l.str(f["path"].val, join(p, "path"))
		if !ok || path == "" {
			if isNull(deref(f["path"].val)) {
				l.errorf(n, join(p, "path"), "missing; use a path such as /users/{id}, or $default")
			}
			return
		}
		if path == "$default" {
			r.Path = path
			if _, ok := f["method"]; ok {
				l.errorf(f["method"].key, join(p, "method"), "the $default route has no method; remove it")
				return
			}
		} else {
			m, ok := l.str(f["method"].val, join(p, "method"))
			if !ok {
				if isNull(deref(f["method"].val)) {
					l.errorf(n, join(p, "method"), "missing; use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY")
				}
				return
			}
			if !l.method(r, f["method"].val, join(p, "method"), m) || !l.routePath(r, f["path"].val, join(p, "path"), path) {
				return
			}
		}
		if v, ok := l.str(f["api"].val, join(p, "api")); ok && v != "" {
			r.API = v
		}
		if v, ok := l.str(f["authorizer"].val, join(p, "authorizer")); ok {
			r.Authorizer = v
		}
	}
	l.routes = append(l.routes, at[*Route]{r, n, p})
}

func (l *loader) method(r *Route, n *yaml.Node, p, m string) bool {
	up := strings.ToUpper(m)
	if !contains(httpMethods, up) {
		l.errorf(n, p, "%s is not a method; use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY", quote(m))
		return false
	}
	r.Method = up
	return true
}

func (l *loader) routePath(r *Route, n *yaml.Node, p, path string) bool {
	if msg := checkRoutePath(path); msg != "" {
		l.errorf(n, p, "route path %s %s", quote(path), msg)
		return false
	}
	r.Path = path
	return true
}

var pathVarRE = regexp.MustCompile(`^\{([A-Za-z0-9_.-]+)(\+?)\}$`)

// checkRoutePath returns what is wrong with an API Gateway route path, or
// "": it starts with '/', has no empty segments, and variables are whole
// segments {name}, with a greedy {name+} only last.
func checkRoutePath(path string) string {
	if !strings.HasPrefix(path, "/") {
		return "must start with '/'"
	}
	if path == "/" {
		return ""
	}
	segs := strings.Split(path[1:], "/")
	names := map[string]bool{}
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
			return "has a malformed variable " + quote(seg) + "; a variable is a whole segment {name} or {name+}"
		}
		if m[2] == "+" && i != len(segs)-1 {
			return "has greedy " + quote(seg) + " before the end; {name+} must be the last segment"
		}
		if names[m[1]] {
			return "uses variable {" + m[1] + "} twice"
		}
		names[m[1]] = true
	}
	return ""
}

func (l *loader) snsEvent(fn *Function, n *yaml.Node, p string) {
	s := &Subscription{Protocol: "lambda", Endpoint: fn.Name}
	n = deref(n)
	if n != nil && n.Kind == yaml.ScalarNode && !isNull(n) {
		s.Topic = n.Value
		l.subs = append(l.subs, at[*Subscription]{s, n, p})
		return
	}
	if n != nil && n.Kind != yaml.MappingNode {
		l.errorf(n, p, "must be a topic name or a mapping with topic, filterPolicy, filterPolicyScope; got %s", describe(n))
		return
	}
	f := l.object(n, p, "topic", "filterPolicy", "filterPolicyScope", "rawMessageDelivery")
	if !l.subscriptionFields(s, n, f, p) {
		return
	}
	l.subs = append(l.subs, at[*Subscription]{s, n, p})
}

// subscriptionFields decodes the fields shared by sns events and the
// subscriptions list; it reports false when topic is missing.
func (l *loader) subscriptionFields(s *Subscription, n *yaml.Node, f map[string]entry, p string) bool {
	t, ok := l.str(f["topic"].val, join(p, "topic"))
	if !ok || t == "" {
		if isNull(deref(f["topic"].val)) {
			l.errorf(n, join(p, "topic"), "missing; name the SNS topic, e.g. topic: orders")
		}
		return false
	}
	s.Topic = t
	if e, ok := f["filterPolicy"]; ok {
		s.FilterPolicy = l.filterPolicy(e.val, join(p, "filterPolicy"))
		if s.FilterPolicy != nil {
			s.FilterPolicyScope = "MessageAttributes"
		}
	}
	if e, ok := f["filterPolicyScope"]; ok {
		if v, ok := l.enum(e.val, join(p, "filterPolicyScope"), "MessageAttributes", "MessageBody"); ok {
			s.FilterPolicyScope = v
		}
	}
	if e, ok := f["rawMessageDelivery"]; ok {
		s.RawMessageDelivery, _ = l.boolean(e.val, join(p, "rawMessageDelivery"))
		if s.RawMessageDelivery && s.Protocol == "lambda" {
			l.errorf(e.val, join(p, "rawMessageDelivery"), "SNS does not support raw message delivery to lambda; remove it")
		}
	}
	return true
}

// filterPolicy returns the policy as JSON: a YAML mapping, or a string
// holding a JSON object. Its rules are checked by SNS at subscribe time.
func (l *loader) filterPolicy(n *yaml.Node, p string) json.RawMessage {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		var obj map[string]any
		if err := json.Unmarshal([]byte(n.Value), &obj); err != nil || obj == nil {
			l.errorf(n, p, "must be a mapping such as {kind: [paid]} or a JSON object string")
			return nil
		}
		return json.RawMessage(n.Value)
	}
	if n.Kind != yaml.MappingNode {
		l.errorf(n, p, "must be a mapping such as {kind: [paid]}; got %s", describe(n))
		return nil
	}
	return l.mappingJSON(n, p)
}

func (l *loader) dynamodbEvent(fn *Function, n *yaml.Node, p string) {
	t := &StreamTrigger{
		Function: fn.Name, BatchSize: 100, StartingPosition: "LATEST",
		MaximumRetryAttempts: -1, Enabled: true,
	}
	n = deref(n)
	if n != nil && n.Kind == yaml.ScalarNode && !isNull(n) {
		t.Table = n.Value
		l.triggers = append(l.triggers, at[*StreamTrigger]{t, n, p})
		return
	}
	if n != nil && n.Kind != yaml.MappingNode {
		l.errorf(n, p, "must be a table name or a mapping with table, batchSize, startingPosition, ...; got %s", describe(n))
		return
	}
	f := l.object(n, p, "table", "batchSize", "startingPosition", "batchWindow", "maximumRetryAttempts",
		"bisectBatchOnFunctionError", "reportBatchItemFailures", "enabled", "filters", "maximumRecordAge", "onFailure", "tumblingWindow")
	name, ok := l.str(f["table"].val, join(p, "table"))
	if !ok || name == "" {
		if isNull(deref(f["table"].val)) {
			l.errorf(n, join(p, "table"), "missing; name the table whose stream invokes the function")
		}
		return
	}
	t.Table = name
	// Ranges are Lambda's CreateEventSourceMapping limits for DynamoDB.
	if e, ok := f["batchSize"]; ok {
		if v, ok := l.integer(e.val, join(p, "batchSize"), 1, 10000, ""); ok {
			t.BatchSize = v
		}
	}
	if e, ok := f["startingPosition"]; ok {
		if v, ok := l.enum(e.val, join(p, "startingPosition"), "LATEST", "TRIM_HORIZON"); ok {
			t.StartingPosition = v
		}
	}
	if e, ok := f["batchWindow"]; ok {
		t.BatchingWindow, _ = l.duration(e.val, join(p, "batchWindow"), 0, 300*time.Second, true)
	}
	if e, ok := f["maximumRetryAttempts"]; ok {
		if v, ok := l.integer(e.val, join(p, "maximumRetryAttempts"), -1, 10000, " (-1 retries until the record expires)"); ok {
			t.MaximumRetryAttempts = v
		}
	}
	if e, ok := f["bisectBatchOnFunctionError"]; ok {
		t.BisectBatchOnFunctionError, _ = l.boolean(e.val, join(p, "bisectBatchOnFunctionError"))
	}
	if e, ok := f["reportBatchItemFailures"]; ok {
		t.ReportBatchItemFailures, _ = l.boolean(e.val, join(p, "reportBatchItemFailures"))
	}
	if e, ok := f["enabled"]; ok {
		if v, ok := l.boolean(e.val, join(p, "enabled")); ok {
			t.Enabled = v
		}
	}
	if e, ok := f["filters"]; ok {
		t.Filters = l.filterPatterns(e.val, join(p, "filters"))
	}
	if e, ok := f["maximumRecordAge"]; ok {
		t.MaximumRecordAge = l.recordAge(e.val, join(p, "maximumRecordAge"))
	}
	if e, ok := f["tumblingWindow"]; ok {
		t.TumblingWindow, _ = l.duration(e.val, join(p, "tumblingWindow"), 0, 900*time.Second, true)
	}
	if e, ok := f["onFailure"]; ok {
		if v, ok := l.str(e.val, join(p, "onFailure")); ok {
			t.OnFailureTopic = v
			l.onFailure = append(l.onFailure, at[*StreamTrigger]{t, e.val, join(p, "onFailure")})
		}
	}
	l.triggers = append(l.triggers, at[*StreamTrigger]{t, n, p})
}

// recordAge reads maximumRecordAge: -1 (keep until the records expire, the
// default) or a duration of 60s to 604800s in whole seconds, Lambda's
// MaximumRecordAgeInSeconds range.
func (l *loader) recordAge(n *yaml.Node, p string) time.Duration {
	if m := deref(n); m != nil && m.Kind == yaml.ScalarNode && strings.TrimSpace(m.Value) == "-1" {
		return 0
	}
	v, ok := l.duration(n, p, 60*time.Second, 604800*time.Second, true)
	if !ok {
		return 0
	}
	return v
}

// filterPatterns reads a list of Lambda filter patterns, each a mapping or
// a string holding a JSON object, and returns them as checked JSON.
func (l *loader) filterPatterns(n *yaml.Node, p string) []string {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, p, "must be a list of patterns such as [{eventName: [INSERT]}]; got %s", describe(n))
		return nil
	}
	if len(n.Content) > MaxStreamFilters {
		l.errorf(n, p, "has %d patterns; Lambda allows at most %d per event source", len(n.Content), MaxStreamFilters)
		return nil
	}
	var out []string
	for i, item := range n.Content {
		ip := index(p, i)
		b := l.patternJSON(item, ip)
		if b == nil {
			continue
		}
		if msg := CheckFilterPattern(b); msg != "" {
			l.errorf(item, ip, "%s", msg)
			continue
		}
		out = append(out, string(b))
	}
	return out
}

// mappingJSON writes a YAML mapping as JSON (filter policies and patterns).
func (l *loader) mappingJSON(n *yaml.Node, p string) []byte {
	// Node.Decode applies yaml.v3's guards against alias bombs and cycles.
	var v any
	if err := n.Decode(&v); err != nil {
		l.errorf(n, p, "cannot be read: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		l.errorf(n, p, "cannot be written as JSON (keys must be strings, numbers finite): %v", err)
		return nil
	}
	return b
}

func (l *loader) patternJSON(n *yaml.Node, p string) []byte {
	n = deref(n)
	switch {
	case n == nil || isNull(n):
		l.errorf(n, p, "is empty; write a pattern such as {eventName: [INSERT]}")
		return nil
	case n.Kind == yaml.ScalarNode:
		return []byte(n.Value)
	case n.Kind != yaml.MappingNode:
		l.errorf(n, p, "must be a pattern mapping such as {eventName: [INSERT]} or a JSON object string; got %s", describe(n))
		return nil
	}
	return l.mappingJSON(n, p)
}

// ---- topics and subscriptions

// topicAttributes are the CreateTopic attributes a topic may set besides
// fifo and contentBasedDeduplication (which have their own fields).
var topicAttributes = []string{
	"DisplayName", "Policy", "DeliveryPolicy", "KmsMasterKeyId", "TracingConfig", "SignatureVersion",
	"MaximumMessageSize", "FifoThroughputScope", "ArchivePolicy",
}

func (l *loader) topic(e entry, p string) {
	f := l.object(e.val, p, "fifo", "contentBasedDeduplication", "attributes")
	t := &Topic{Name: e.name}
	if fe, ok := f["fifo"]; ok {
		t.Fifo, _ = l.boolean(fe.val, join(p, "fifo"))
	}
	if fe, ok := f["contentBasedDeduplication"]; ok {
		t.ContentBasedDeduplication, _ = l.boolean(fe.val, join(p, "contentBasedDeduplication"))
		if t.ContentBasedDeduplication && !t.Fifo {
			l.errorf(fe.val, join(p, "contentBasedDeduplication"), "only FIFO topics deduplicate; set fifo: true (and a .fifo name) or remove it")
		}
	}
	if msg := checkTopicName(t.Name, t.Fifo); msg != "" {
		l.errorf(e.key, p, "%s", msg)
		return
	}
	if fe, ok := f["attributes"]; ok {
		t.Attributes = l.strMap(fe.val, join(p, "attributes"), func(ae entry, ap string) {
			switch {
			case ae.name == "FifoTopic":
				l.errorf(ae.key, ap, "set it with fifo: true")
			case ae.name == "ContentBasedDeduplication":
				l.errorf(ae.key, ap, "set it with contentBasedDeduplication: true")
			case contains(topicAttributes, ae.name) || feedbackAttrRE.MatchString(ae.name):
			default:
				hint := suggest(ae.name, topicAttributes)
				if hint == "" {
					hint = "; use " + oneOf(topicAttributes)
				}
				l.errorf(ae.key, ap, "unknown topic attribute%s", hint)
			}
		})
	}
	l.topicAt[t.Name] = e.key
	l.p.Topics = append(l.p.Topics, t)
}

// checkTopicName applies SNS's naming rule, including that a name ends in
// .fifo exactly when the topic is FIFO.
func checkTopicName(name string, fifo bool) string {
	q := quote(name)
	switch {
	case fifo && !fifoTopicRE.MatchString(name):
		if strings.HasSuffix(name, ".fifo") {
			return q + " is not a topic name; use 1 to 251 letters, digits, '-' or '_', then .fifo"
		}
		return q + " is FIFO, so its name must end in .fifo"
	case !fifo && strings.HasSuffix(name, ".fifo"):
		return q + " ends in .fifo; set fifo: true or rename it"
	case !fifo && !topicNameRE.MatchString(name):
		return q + " is not a topic name; use 1 to 256 letters, digits, '-' or '_'"
	}
	return ""
}

func (l *loader) subscriptions(n *yaml.Node) {
	const p = "subscriptions"
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, p, "must be a list of {topic, protocol, endpoint}; got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		ip := index(p, i)
		f := l.object(item, ip, "topic", "protocol", "endpoint", "filterPolicy", "filterPolicyScope", "rawMessageDelivery")
		item = deref(item)
		if item == nil || item.Kind != yaml.MappingNode {
			continue
		}
		s := &Subscription{}
		proto, ok := l.enum(f["protocol"].val, join(ip, "protocol"), "lambda", "http", "https")
		if !ok {
			if isNull(deref(f["protocol"].val)) {
				l.errorf(item, join(ip, "protocol"), "missing; use lambda, http or https")
			}
			continue
		}
		s.Protocol = proto
		ep, ok := l.str(f["endpoint"].val, join(ip, "endpoint"))
		if !ok || ep == "" {
			if isNull(deref(f["endpoint"].val)) {
				l.errorf(item, join(ip, "endpoint"), "missing; use a function name for lambda, a URL for http and https")
			}
			continue
		}
		if proto != "lambda" {
			if msg := checkURL(ep, proto); msg != "" {
				l.errorf(f["endpoint"].val, join(ip, "endpoint"), "%s %s", quote(ep), msg)
				continue
			}
		}
		s.Endpoint = ep
		if !l.subscriptionFields(s, item, f, ip) {
			continue
		}
		l.subs = append(l.subs, at[*Subscription]{s, f["endpoint"].val, join(ip, "endpoint")})
	}
}

func checkURL(s, scheme string) string {
	rest, ok := strings.CutPrefix(s, scheme+"://")
	if !ok {
		return "is not an " + scheme + " URL; it must start with " + scheme + "://"
	}
	if host, _, _ := strings.Cut(rest, "/"); host == "" || strings.ContainsAny(s, " \t") {
		return "is not a URL; use e.g. " + scheme + "://localhost:8080/hook"
	}
	return ""
}

// ---- tables

func (l *loader) table(e entry, p string) {
	if !tableNameRE.MatchString(e.name) {
		l.errorf(e.key, p, "%s is not a table name; use 3 to 255 letters, digits, '_', '-' or '.'", quote(e.name))
		return
	}
	f := l.object(e.val, p, "hashKey", "rangeKey", "stream", "ttl", "billingMode", "globalIndexes", "localIndexes", "seed")
	t := &Table{Name: e.name, BillingMode: "PAY_PER_REQUEST"}
	l.p.Tables = append(l.p.Tables, t)
	types := map[string]string{} // attribute name -> type, across all key schemas
	if k, ok := l.keyAttr(f["hashKey"].val, join(p, "hashKey"), types); ok {
		t.HashKey = k
	} else if isNull(deref(f["hashKey"].val)) {
		l.errorf(e.key, join(p, "hashKey"), "missing; name the partition key, e.g. hashKey: id:S")
	}
	if fe, ok := f["rangeKey"]; ok {
		if k, ok := l.keyAttr(fe.val, join(p, "rangeKey"), types); ok {
			t.RangeKey = &k
		}
	}
	if fe, ok := f["stream"]; ok {
		t.StreamView, _ = l.enum(fe.val, join(p, "stream"), "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
	}
	if fe, ok := f["ttl"]; ok {
		if v, ok := l.str(fe.val, join(p, "ttl")); ok {
			if v == "" || len(v) > 255 {
				l.errorf(fe.val, join(p, "ttl"), "must be an attribute name of 1 to 255 characters")
			} else {
				t.TTLAttribute = v
			}
		}
	}
	if fe, ok := f["billingMode"]; ok {
		if v, ok := l.enum(fe.val, join(p, "billingMode"), "PAY_PER_REQUEST", "PROVISIONED"); ok {
			t.BillingMode = v
		}
	}
	names := map[string]bool{}
	if fe, ok := f["globalIndexes"]; ok {
		for _, ie := range l.mapping(fe.val, join(p, "globalIndexes")) {
			if ix := l.index(ie, join(join(p, "globalIndexes"), ie.name), nil, types, names); ix != nil {
				t.GSIs = append(t.GSIs, ix)
			}
		}
		// DynamoDB's default quota.
		if len(t.GSIs) > 20 {
			l.errorf(deref(fe.val), join(p, "globalIndexes"), "%d indexes; DynamoDB allows 20", len(t.GSIs))
		}
	}
	if fe, ok := f["localIndexes"]; ok {
		entries := l.mapping(fe.val, join(p, "localIndexes"))
		if t.RangeKey == nil && len(entries) > 0 {
			l.errorf(fe.key, join(p, "localIndexes"), "need the table to have a rangeKey")
		}
		for _, ie := range entries {
			if ix := l.index(ie, join(join(p, "localIndexes"), ie.name), &t.HashKey, types, names); ix != nil {
				t.LSIs = append(t.LSIs, ix)
			}
		}
		if len(t.LSIs) > 5 {
			l.errorf(deref(fe.val), join(p, "localIndexes"), "%d indexes; DynamoDB allows 5", len(t.LSIs))
		}
	}
	if fe, ok := f["seed"]; ok {
		t.Seed, _ = l.relPath(fe.val, join(p, "seed"))
	}
}

// keyAttr reads "name:TYPE", "name" (type S) or {name, type}. types records
// each attribute's type so one name cannot have two types in one table.
func (l *loader) keyAttr(n *yaml.Node, p string, types map[string]string) (KeyAttr, bool) {
	n = deref(n)
	if isNull(n) {
		return KeyAttr{}, false
	}
	k := KeyAttr{Type: "S"}
	switch n.Kind {
	case yaml.ScalarNode:
		k.Name = n.Value
		if i := strings.LastIndex(n.Value, ":"); i >= 0 {
			k.Name, k.Type = n.Value[:i], n.Value[i+1:]
		}
	case yaml.MappingNode:
		f := l.object(n, p, "name", "type")
		name, ok := l.str(f["name"].val, join(p, "name"))
		if !ok {
			if isNull(deref(f["name"].val)) {
				l.errorf(n, join(p, "name"), "missing; name the key attribute")
			}
			return KeyAttr{}, false
		}
		k.Name = name
		if fe, ok := f["type"]; ok {
			k.Type, _ = l.str(fe.val, join(p, "type"))
		}
	default:
		l.errorf(n, p, "must be \"name:TYPE\" (e.g. id:S) or {name: id, type: S}; got %s", describe(n))
		return KeyAttr{}, false
	}
	if k.Name == "" || len(k.Name) > 255 {
		l.errorf(n, p, "key attribute names have 1 to 255 characters; use e.g. id:S")
		return KeyAttr{}, false
	}
	if k.Type != "S" && k.Type != "N" && k.Type != "B" {
		l.errorf(n, p, "%s is not a key type; use S, N or B", quote(k.Type))
		return KeyAttr{}, false
	}
	if prev, ok := types[k.Name]; ok && prev != k.Type {
		l.errorf(n, p, "attribute %s is %s in another key; one attribute has one type", quote(k.Name), prev)
		return KeyAttr{}, false
	}
	types[k.Name] = k.Type
	return k, true
}

// index reads a secondary index. For a local index hash is the table's
// hash key and the index gives only rangeKey.
func (l *loader) index(e entry, p string, hash *KeyAttr, types map[string]string, names map[string]bool) *Index {
	if !tableNameRE.MatchString(e.name) {
		l.errorf(e.key, p, "%s is not an index name; use 3 to 255 letters, digits, '_', '-' or '.'", quote(e.name))
		return nil
	}
	if names[e.name] {
		l.errorf(e.key, p, "duplicate index name %s", quote(e.name))
		return nil
	}
	names[e.name] = true
	f := l.object(e.val, p, "hashKey", "rangeKey", "projection", "nonKeyAttributes")
	ix := &Index{Name: e.name, Projection: "ALL"}
	if hash != nil {
		if fe, ok := f["hashKey"]; ok {
			l.errorf(fe.key, join(p, "hashKey"), "a local index always uses the table's hashKey; remove it")
			return nil
		}
		ix.HashKey = *hash
		k, ok := l.keyAttr(f["rangeKey"].val, join(p, "rangeKey"), types)
		if !ok {
			if isNull(deref(f["rangeKey"].val)) {
				l.errorf(e.key, join(p, "rangeKey"), "missing; a local index sorts by its own rangeKey, e.g. created:N")
			}
			return nil
		}
		ix.RangeKey = &k
	} else {
		k, ok := l.keyAttr(f["hashKey"].val, join(p, "hashKey"), types)
		if !ok {
			if isNull(deref(f["hashKey"].val)) {
				l.errorf(e.key, join(p, "hashKey"), "missing; name the index's partition key, e.g. hashKey: email:S")
			}
			return nil
		}
		ix.HashKey = k
		if fe, ok := f["rangeKey"]; ok {
			if k, ok := l.keyAttr(fe.val, join(p, "rangeKey"), types); ok {
				ix.RangeKey = &k
			}
		}
	}
	if fe, ok := f["projection"]; ok {
		if v, ok := l.enum(fe.val, join(p, "projection"), "ALL", "KEYS_ONLY", "INCLUDE"); ok {
			ix.Projection = v
		}
	}
	if fe, ok := f["nonKeyAttributes"]; ok {
		ix.NonKeyAttributes = l.strList(fe.val, join(p, "nonKeyAttributes"))
		if ix.Projection != "INCLUDE" && len(ix.NonKeyAttributes) > 0 {
			l.errorf(fe.key, join(p, "nonKeyAttributes"), "only used with projection: INCLUDE")
		}
	} else if ix.Projection == "INCLUDE" {
		l.errorf(e.key, join(p, "nonKeyAttributes"), "missing; projection INCLUDE needs the attributes to include")
	}
	return ix
}
