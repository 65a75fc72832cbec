package sam

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slsx/slsx/emulator/config"
)

// same fails the test with both values as JSON when got != want; every
// exported field of the model takes part.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if string(g) != string(w) {
		t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
	}
}

func warnings(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

func load(t *testing.T, dir string, overrides map[string]string) (*config.Project, []string) {
	t.Helper()
	p, ws, err := Load(filepath.Join("testdata", dir), overrides)
	if err != nil {
		t.Fatalf("Load %s: %v", dir, err)
	}
	abs, _ := filepath.Abs(filepath.Join("testdata", dir))
	if p.Dir != abs || p.File != filepath.Join(abs, "template.yaml") || p.Name != dir || p.Region != "us-east-1" || p.Runtime != "process" {
		t.Errorf("project header = %q %q %q %q %q", p.Dir, p.File, p.Name, p.Region, p.Runtime)
	}
	return p, warnings(ws)
}

func TestHTTPCrud(t *testing.T) {
	p, ws := load(t, "http-crud", nil)
	same(t, "warnings", ws, []string{
		"template.yaml: PutUserFunction.Properties.Events.Nightly: event type Schedule is not supported by slsx; ignored",
		"template.yaml: PutUserFunction.Properties.Layers: not supported by slsx; ignored",
	})
	api := "ServerlessHttpApi"
	getUser := &config.Route{API: api, Method: "GET", Path: "/users/{id}", Function: "GetUserFunction"}
	def := &config.Route{API: api, Path: "$default", Function: "http-crud-put-user"}
	list := &config.Route{API: api, Method: "GET", Path: "/users", Function: "http-crud-put-user"}
	put := &config.Route{API: api, Method: "PUT", Path: "/users/{id}", Function: "http-crud-put-user"}
	same(t, "functions", p.Functions, []*config.Function{
		{Name: "GetUserFunction", Handler: "./functions/get-user", MemoryMB: 512, Timeout: 10 * time.Second, Concurrency: 10,
			Environment:  map[string]string{"LOG_LEVEL": "debug", "STAGE": "dev", "TABLE": "dev-users"},
			Architecture: "arm64", Routes: []*config.Route{getUser}},
		{Name: "http-crud-put-user", Handler: "./functions/put-user", MemoryMB: 256, Timeout: 10 * time.Second, Concurrency: 5,
			Environment: map[string]string{"STAGE": "dev", "TABLE": "dev-users",
				"TABLE_ARN": "arn:aws:dynamodb:us-east-1:000000000000:table/dev-users"},
			Architecture: "arm64", Routes: []*config.Route{def, list, put}},
	})
	same(t, "apis", p.APIs, []*config.API{{
		Name: api, Type: "http", Payload: "2.0", Stage: "$default",
		CORS:   &config.CORS{AllowOrigins: []string{"https://example.com"}, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"content-type"}, MaxAge: 600},
		Routes: []*config.Route{def, list, getUser, put},
	}})
	same(t, "tables", p.Tables, []*config.Table{{
		Name: "dev-users", HashKey: config.KeyAttr{Name: "id", Type: "S"}, BillingMode: "PAY_PER_REQUEST",
		GSIs: []*config.Index{{Name: "byEmail", HashKey: config.KeyAttr{Name: "email", Type: "S"}, Projection: "KEYS_ONLY"}},
	}})
	if len(p.Topics)+len(p.Subscriptions)+len(p.StreamTriggers) != 0 {
		t.Errorf("unexpected topics/subscriptions/triggers: %v %v %v", p.Topics, p.Subscriptions, p.StreamTriggers)
	}
}

func TestHTTPCrudOverrides(t *testing.T) {
	p, _ := load(t, "http-crud", map[string]string{"Stage": "prod", "TableSuffix": "people"})
	fn := p.Function("GetUserFunction")
	if fn.MemoryMB != 1024 { // !If [IsProd, 1024, 512]
		t.Errorf("MemoryMB = %d, want 1024 with Stage=prod", fn.MemoryMB)
	}
	if p.Tables[0].Name != "prod-people" || fn.Environment["TABLE"] != "prod-people" || fn.Environment["STAGE"] != "prod" {
		t.Errorf("table %q, env %v", p.Tables[0].Name, fn.Environment)
	}

	_, _, err := Load("testdata/http-crud", map[string]string{"Stage": "qa"})
	if err == nil || err.Error() != `template.yaml:7: Parameters.Stage: "qa" is not one of the AllowedValues dev,prod` {
		t.Errorf("AllowedValues error = %v", err)
	}
	_, ws, err := Load("testdata/http-crud", map[string]string{"Nope": "x"})
	if err != nil || !strings.Contains(warnings(ws)[0], "Parameters.Nope: no such parameter in the template; the override is ignored") {
		t.Errorf("unknown override: %v %v", ws, err)
	}
}

func TestSNSFanout(t *testing.T) {
	p, ws := load(t, "sns-fanout", nil)
	same(t, "warnings", ws, []string{
		"template.yaml: AdminApi.Properties.Auth.Authorizers.LegacyToken: TOKEN authorizers are not supported by slsx; set FunctionPayloadType: REQUEST. Routes using it are served without authorization",
		"template.yaml: AdminApi.Properties.Cors: CORS on REST APIs is not supported by slsx (HTTP APIs have it); preflight requests reach the routes; ignored",
		"template.yaml: NodeNotifier.Properties.Runtime: runtime nodejs20.x is not Go; slsx runs Go handlers only (provided.al2023, provided.al2, go1.x); function NodeNotifier ignored",
		`template.yaml: OrdersTopic.Properties.Subscription[1]: protocol "email" is not supported by slsx (lambda, http and https are); ignored`,
		"template.yaml: ShippingFunction.Properties.Events.External.Properties.SqsSubscription: slsx has no SQS; the function is subscribed to the topic directly",
		"template.yaml: Uploads: resource type AWS::S3::Bucket is not supported by slsx; ignored",
	})
	health := &config.Route{API: "AdminApi", Method: "GET", Path: "/health", Function: "PublishFunction"}
	resend := &config.Route{API: "AdminApi", Method: "POST", Path: "/orders/{id}/resend", Function: "PublishFunction", Authorizer: "AdminAuth"}
	post := &config.Route{API: "ServerlessRestApi", Method: "POST", Path: "/orders", Function: "PublishFunction"}
	fn := func(name, handler string, env map[string]string, routes ...*config.Route) *config.Function {
		return &config.Function{Name: name, Handler: handler, MemoryMB: 128, Timeout: 5 * time.Second, Concurrency: 10,
			Environment: env, Architecture: "x86_64", Routes: routes}
	}
	// ProdAlarmFunction has Condition: IsProd, false with Env=test.
	same(t, "functions", p.Functions, []*config.Function{
		fn("AuthorizerFunction", "./cmd/authorizer", nil),
		fn("PublishFunction", "./cmd/publish", map[string]string{"DEBUG": "1", "TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:orders-test"}, health, resend, post),
		fn("ShippingFunction", "./cmd/shipping", nil),
		fn("audit", "./cmd/audit", nil),
	})
	same(t, "apis", p.APIs, []*config.API{
		{Name: "AdminApi", Type: "rest", Payload: "1.0", PortOffset: 1, Stage: "v1", StageVariables: map[string]string{"env": "test"},
			Authorizers: map[string]*config.Authorizer{"AdminAuth": {Name: "AdminAuth", Function: "AuthorizerFunction",
				IdentitySource: []string{"method.request.header.X-Api-Key", "method.request.querystring.tenant"},
				TTL:            60 * time.Second, PayloadVersion: "1.0"}},
			Routes: []*config.Route{health, resend}},
		{Name: "ServerlessRestApi", Type: "rest", Payload: "1.0", Stage: "Prod", StageVariables: map[string]string{"env": "test"},
			Routes: []*config.Route{post}},
	})
	same(t, "topics", p.Topics, []*config.Topic{
		{Name: "orders-test", Attributes: map[string]string{"DisplayName": "Orders"}},
		{Name: "partner-events"},
	})
	same(t, "subscriptions", p.Subscriptions, []*config.Subscription{
		{Topic: "orders-test", Protocol: "lambda", Endpoint: "audit"},
		{Topic: "partner-events", Protocol: "lambda", Endpoint: "ShippingFunction"},
		{Topic: "orders-test", Protocol: "lambda", Endpoint: "ShippingFunction",
			FilterPolicy: json.RawMessage(`{"amount":[{"numeric":[">",100]}],"status":["paid"]}`), FilterPolicyScope: "MessageAttributes"},
		{Topic: "orders-test", Protocol: "https", Endpoint: "https://hooks.example.com/orders",
			FilterPolicy: json.RawMessage(`{"status":["paid"]}`), FilterPolicyScope: "MessageBody", RawMessageDelivery: true},
	})

	p, _ = load(t, "sns-fanout", map[string]string{"Env": "prod"})
	if p.Function("ProdAlarmFunction") == nil {
		t.Error("ProdAlarmFunction missing with Env=prod (Condition: IsProd)")
	}
	if _, ok := p.Function("PublishFunction").Environment["DEBUG"]; ok {
		t.Error("DEBUG set with Env=prod; !If [NotProd, ..., AWS::NoValue] should drop it")
	}
}

func TestStreamProcessor(t *testing.T) {
	p, ws := load(t, "stream-processor", map[string]string{"Size": "large"})
	same(t, "warnings", ws, []string{
		"template.yaml: Fn::GetAtt OrdersTable.LatestStreamLabel: slsx cannot resolve attribute LatestStreamLabel of AWS::DynamoDB::Table; it resolves to nothing",
		"template.yaml: ArchiveFunction.Metadata.BuildMethod: slsx builds Go functions itself with go build, not with BuildMethod makefile",
		"template.yaml: ArchiveFunction.Properties.Events.Orders.Properties.StartingPosition: missing (SAM requires it); slsx uses LATEST",
		"template.yaml: ProcessorFunction.Properties.Events.Orders.Properties.ParallelizationFactor: not supported by slsx; ignored",
	})
	same(t, "functions", p.Functions, []*config.Function{
		{Name: "ArchiveFunction", Handler: ".", MemoryMB: 2048, Timeout: 3 * time.Second, Concurrency: 10,
			Environment: map[string]string{"PREFIX": "shop"}, Architecture: "x86_64"},
		{Name: "ProcessorFunction", Handler: "./processor", MemoryMB: 2048, Timeout: 3 * time.Second, Concurrency: 10,
			Environment: map[string]string{"COUNTERS": "shop-counters", "PREFIX": "shop",
				"STREAM": "arn:aws:dynamodb:us-east-1:000000000000:table/shop-orders/stream/1970-01-01T00:00:00.000"},
			Architecture: "x86_64"},
	})
	same(t, "tables", p.Tables, []*config.Table{
		{Name: "Sessions", HashKey: config.KeyAttr{Name: "id", Type: "S"}, BillingMode: "PAY_PER_REQUEST"},
		{Name: "shop-counters", HashKey: config.KeyAttr{Name: "name", Type: "S"}, BillingMode: "PAY_PER_REQUEST"},
		{Name: "shop-orders", HashKey: config.KeyAttr{Name: "pk", Type: "S"}, RangeKey: &config.KeyAttr{Name: "sk", Type: "S"},
			GSIs: []*config.Index{{Name: "byStatus", HashKey: config.KeyAttr{Name: "status", Type: "S"},
				RangeKey: &config.KeyAttr{Name: "total", Type: "N"}, Projection: "INCLUDE", NonKeyAttributes: []string{"customer"}}},
			LSIs: []*config.Index{{Name: "byTotal", HashKey: config.KeyAttr{Name: "pk", Type: "S"},
				RangeKey: &config.KeyAttr{Name: "total", Type: "N"}, Projection: "ALL"}},
			StreamView: "NEW_AND_OLD_IMAGES", StreamLabel: streamLabel, TTLAttribute: "expiresAt", BillingMode: "PROVISIONED"},
	})
	same(t, "stream triggers", p.StreamTriggers, []*config.StreamTrigger{
		{Table: "shop-orders", Function: "ArchiveFunction", BatchSize: 100, StartingPosition: "LATEST", MaximumRetryAttempts: -1},
		{Table: "shop-orders", Function: "ProcessorFunction", BatchSize: 500, StartingPosition: "TRIM_HORIZON",
			BatchingWindow: 2 * time.Second, MaximumRetryAttempts: 3, BisectBatchOnFunctionError: true,
			ReportBatchItemFailures: true, Enabled: true},
	})
	if len(p.APIs)+len(p.Topics)+len(p.Subscriptions) != 0 {
		t.Errorf("unexpected apis/topics/subscriptions")
	}
}

const header = "Transform: AWS::Serverless-2016-10-31\nResources:\n"

func TestErrors(t *testing.T) {
	fn := "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: provided.al2023\n      CodeUri: ./f\n"
	tests := []struct{ name, yaml, want string }{
		{"syntax", "Resources: [\n", "template.yaml:1: invalid YAML: did not find expected node content"},
		{"not a mapping", "- a\n", "template.yaml:1: a template is a mapping with Resources; got a list"},
		{"no resources", "Transform: x\n", "template.yaml:1: Resources: missing or not a mapping; a SAM template declares its functions, APIs, topics and tables under Resources"},
		{"no type", header + "  F:\n    Properties: {}\n", "template.yaml:3: F.Type: missing; every resource has a Type such as AWS::Serverless::Function"},
		{"memory", header + fn + "      MemorySize: 64\n", "template.yaml:8: F.Properties.MemorySize: 64 is out of range; use a whole number from 128 to 10240 (MB)"},
		{"timeout string", header + fn + "      Timeout: soon\n", `template.yaml:8: F.Properties.Timeout: "soon" is not a number`},
		{"no runtime", header + "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: ./f\n", "template.yaml:5: F.Properties.Runtime: missing; Go functions use provided.al2023"},
		{"codeuri outside", header + "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: go1.x\n      CodeUri: ../x\n", `template.yaml:7: F.Properties.CodeUri: "../x" leaves the project directory; keep it inside`},
		{"reserved env", header + fn + "      Environment:\n        Variables:\n          AWS_REGION: x\n", "template.yaml:10: F.Properties.Environment.Variables.AWS_REGION: reserved by Lambda, which sets it itself; choose another name"},
		{"bad path", header + fn + "      Events:\n        E:\n          Type: HttpApi\n          Properties: {Path: users, Method: get}\n", `template.yaml:11: F.Properties.Events.E.Properties.Path: route path "users" must start with '/'`},
		{"duplicate route", header + fn + "      Events:\n        A: {Type: Api, Properties: {Path: '/a/{x}', Method: get}}\n        B: {Type: Api, Properties: {Path: '/a/{y}', Method: GET}}\n",
			"template.yaml:10: F.Properties.Events.B.Properties: route GET /a/{y} on ServerlessRestApi is already defined by F.Properties.Events.A.Properties"},
		{"unknown ref", header + fn + "      Environment: {Variables: {TT: !Ref Nope}}\n", "template.yaml: Ref Nope: no parameter or resource has that name"},
		{"no default", "Parameters:\n  P: {Type: String}\n" + header + fn + "      Environment: {Variables: {TT: !Ref P}}\n", "template.yaml: parameter P has no Default; give it one or pass a value for it"},
		{"stream without stream", header + fn + "      Events:\n        S: {Type: DynamoDB, Properties: {Stream: !GetAtt Tbl.StreamArn, StartingPosition: LATEST}}\n" +
			"  Tbl:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n",
			`template.yaml:9: F.Properties.Events.S.Properties.Stream: table "Tbl" has no stream; set its StreamSpecification, e.g. StreamViewType: NEW_AND_OLD_IMAGES`},
		{"key not defined", header + "  Tbl:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n",
			`template.yaml:6: Tbl.Properties.KeySchema[0]: attribute "id" is not in AttributeDefinitions`},
		{"api of wrong kind", header + fn + "      Events:\n        E: {Type: Api, Properties: {Path: /a, Method: get, RestApiId: !Ref H}}\n  H:\n    Type: AWS::Serverless::HttpApi\n",
			`template.yaml:9: F.Properties.Events.E.Properties.RestApiId: "H" is not an AWS::Serverless::Api of this template; use !Ref MyApi`},
		{"condition cycle", "Conditions:\n  A: !And [!Condition B, true]\n  B: !Not [!Condition A]\n" + header + "  T:\n    Type: AWS::SNS::Topic\n", "template.yaml:2: Conditions.A: refers to itself through Condition; conditions cannot be circular"},
		{"rest stage missing", header + "  A:\n    Type: AWS::Serverless::Api\n    Properties: {}\n", "template.yaml:5: A.Properties.StageName: missing; AWS::Serverless::Api needs a StageName, e.g. Prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse(t.TempDir(), "template.yaml", []byte(tt.yaml), nil)
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v (%T), want config.Errors", err, err)
			}
			if err.Error() != tt.want {
				t.Errorf("err =\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestNoTemplate(t *testing.T) {
	dir := t.TempDir()
	_, _, err := Load(dir, nil)
	if !errors.Is(err, config.ErrNoProject) {
		t.Fatalf("err = %v, want ErrNoProject", err)
	}
	os.WriteFile(filepath.Join(dir, "template.yml"), []byte("# empty\n"), 0o644)
	if _, _, err := Load(dir, nil); !errors.Is(err, config.ErrNoProject) || !strings.Contains(err.Error(), "template.yml") {
		t.Fatalf("empty template.yml: err = %v", err)
	}
}

func TestLoadProject(t *testing.T) {
	p, ws, err := LoadProject("testdata/http-crud", nil)
	if err != nil || p == nil || len(ws) != 2 || !strings.HasPrefix(ws[0], "template.yaml: PutUserFunction.") {
		t.Fatalf("LoadProject = %v, %q, %v", p, ws, err)
	}
}

// TestAPIPorts: with several APIs, the implicit REST API keeps the main
// port and each further API gets the next one.
func TestAPIPorts(t *testing.T) {
	y := header + "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: provided.al2023\n      CodeUri: ./f\n      Events:\n" +
		"        A: {Type: Api, Properties: {Path: /a, Method: get}}\n" +
		"        B: {Type: HttpApi, Properties: {Path: /a, Method: get}}\n" +
		"        C: {Type: HttpApi, Properties: {Path: /a, Method: get, ApiId: !Ref Extra}}\n" +
		"  Extra:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      StageName: beta\n      CorsConfiguration: true\n"
	p, _, err := Parse(t.TempDir(), "template.yaml", []byte(y), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, a := range p.APIs {
		if a.Port != 0 {
			t.Errorf("API %s has the fixed port %d; want it relative to the main API port", a.Name, a.Port)
		}
		got[a.Name+" "+a.Stage] = a.PortOffset
	}
	same(t, "port offsets", got, map[string]int{"ServerlessRestApi Prod": 0, "ServerlessHttpApi $default": 1, "Extra beta": 2})
	same(t, "cors true", p.APIs[0].CORS, &config.CORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}})
}

// TestHTTPAuthorizer covers an HTTP API Lambda authorizer from Globals,
// the DefaultAuthorizer and a route opting out with NONE.
func TestHTTPAuthorizer(t *testing.T) {
	y := "Globals:\n  HttpApi:\n    Auth:\n      DefaultAuthorizer: Lambda\n      Authorizers:\n        Lambda:\n" +
		"          FunctionArn: !GetAtt Authz.Arn\n          AuthorizerPayloadFormatVersion: 2.0\n          EnableSimpleResponses: true\n" +
		"          Identity: {Headers: [Authorization], ReauthorizeEvery: 30}\n" +
		"        Jwt:\n          JwtConfiguration: {issuer: x}\n" + header +
		"  Authz:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: provided.al2023, CodeUri: ./authz}\n" +
		"  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: provided.al2023\n      CodeUri: ./f\n      Events:\n" +
		"        A: {Type: HttpApi, Properties: {Path: /private, Method: get}}\n" +
		"        B: {Type: HttpApi, Properties: {Path: /public, Method: get, Auth: {Authorizer: NONE}}}\n" +
		"        C: {Type: HttpApi, Properties: {Path: /jwt, Method: get, Auth: {Authorizer: Jwt}}}\n"
	p, ws, err := Parse(t.TempDir(), "template.yaml", []byte(y), nil)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "warnings", warnings(ws), []string{"template.yaml: ServerlessHttpApi.Properties.Auth.Authorizers.Jwt: only Lambda authorizers are supported by slsx (not Cognito or JWT); routes using it are served without authorization"})
	a := p.APIs[0]
	same(t, "authorizers", a.Authorizers, map[string]*config.Authorizer{"Lambda": {Name: "Lambda", Function: "Authz",
		IdentitySource: []string{"$request.header.Authorization"}, TTL: 30 * time.Second, SimpleResponses: true, PayloadVersion: "2.0"}})
	got := map[string]string{}
	for _, r := range a.Routes {
		got[r.Path] = r.Authorizer
	}
	same(t, "route authorizers", got, map[string]string{"/private": "Lambda", "/public": "", "/jwt": ""})
}

// TestFifoTopic: an unnamed FIFO topic gets CloudFormation's .fifo name.
func TestFifoTopic(t *testing.T) {
	y := header + "  Q:\n    Type: AWS::SNS::Topic\n    Properties: {FifoTopic: true, ContentBasedDeduplication: \"true\"}\n"
	p, _, err := Parse(t.TempDir(), "template.yaml", []byte(y), nil)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "topics", p.Topics, []*config.Topic{{Name: "Q.fifo", Fifo: true, ContentBasedDeduplication: true}})
}
