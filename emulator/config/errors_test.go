package config

import (
	"errors"
	"strings"
	"testing"
)

// fn is a valid function header to build cases on; the function's fields
// start on line 3.
const fn = "functions:\n  users:\n    handler: ./users\n"

// tbl declares a table with a stream, appended after a case's lines.
const tbl = "tables:\n  tbl: {hashKey: id, stream: KEYS_ONLY}\n"

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		// File level.
		{"syntax", "functions:\n  users: [\n",
			"slsx.yaml:2: invalid YAML: did not find expected node content"},
		{"top is a list", "- a\n",
			"slsx.yaml:1: must be a mapping of name: value; got a list"},
		{"unknown top field, close", "fucntions: {}\n",
			"slsx.yaml:1: fucntions: unknown field; did you mean functions?"},
		{"unknown top field, far", "plugins: []\n",
			"slsx.yaml:1: plugins: unknown field; use one of name, region, runtime, apis, functions, topics, subscriptions, tables"},
		{"duplicate key", fn + "  users:\n    handler: ./other\n",
			"slsx.yaml:4: functions.users: duplicate field; first set on line 2"},
		{"bad name", "name: my app\n",
			"slsx.yaml:1: name: 'my app' is not a project name; use 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit"},
		{"bad region", "region: mars\n",
			"slsx.yaml:1: region: 'mars' is not an AWS region; use e.g. us-east-1"},
		{"bad runtime", "runtime: Docker\n",
			"slsx.yaml:1: runtime: 'Docker' is not allowed; did you mean docker?"},
		{"functions is a list", "functions: [a]\n",
			"slsx.yaml:1: functions: must be a mapping of name: value; got a list"},

		// Functions.
		{"unknown function field", fn + "    memroy: 256\n",
			"slsx.yaml:4: functions.users.memroy: unknown field; did you mean memory?"},
		{"unknown function field, far", fn + "    vpc: x\n",
			"slsx.yaml:4: functions.users.vpc: unknown field; use one of handler, memory, timeout, concurrency, architecture, runtime, image, environment, events"},
		{"timeout not a duration", fn + "    timeout: ten\n",
			"slsx.yaml:4: functions.users.timeout: 'ten' is not a duration; use 10s"},
		{"timeout too long", fn + "    timeout: 15m1s\n",
			"slsx.yaml:4: functions.users.timeout: '15m1s' is out of range; use 1s to 900s"},
		{"timeout zero", fn + "    timeout: 0\n",
			"slsx.yaml:4: functions.users.timeout: '0' is out of range; use 1s to 900s"},
		{"timeout fraction", fn + "    timeout: 1500ms\n",
			"slsx.yaml:4: functions.users.timeout: '1500ms' is not a whole number of seconds; use e.g. 2s"},
		{"timeout a list", fn + "    timeout: [1]\n",
			"slsx.yaml:4: functions.users.timeout: must be a duration; got a list"},
		{"memory too small", fn + "    memory: 64\n",
			"slsx.yaml:4: functions.users.memory: 64 is out of range; use 128 to 10240 (MB)"},
		{"memory not a number", fn + "    memory: lots\n",
			"slsx.yaml:4: functions.users.memory: 'lots' is not a whole number; use 128 to 10240 (MB)"},
		{"concurrency too high", fn + "    concurrency: 1001\n",
			"slsx.yaml:4: functions.users.concurrency: 1001 is out of range; use 0 to 1000"},
		{"architecture", fn + "    architecture: x86\n",
			"slsx.yaml:4: functions.users.architecture: 'x86' is not allowed; use x86_64 or arm64"},
		{"function name", "functions:\n  bad.name: {handler: ./x}\n",
			"slsx.yaml:2: functions.bad.name: 'bad.name' is not a function name; use 1 to 64 letters, digits, '-' or '_'"},
		{"handler missing", "functions:\n  users:\n    memory: 256\n",
			"slsx.yaml:2: functions.users.handler: missing; set it to the function's Go main package, e.g. ./functions/users"},
		{"handler absolute", "functions:\n  users: {handler: /src/users}\n",
			"slsx.yaml:2: functions.users.handler: '/src/users' is absolute; use a path relative to the project directory"},
		{"handler escapes", "functions:\n  users: {handler: ./a/../../users}\n",
			"slsx.yaml:2: functions.users.handler: './a/../../users' leaves the project directory; keep it inside"},
		{"handler empty", "functions:\n  users: {handler: ''}\n",
			"slsx.yaml:2: functions.users.handler: is empty; use a path relative to the project directory"},
		{"env reserved", fn + "    environment:\n      AWS_REGION: eu-west-1\n",
			"slsx.yaml:5: functions.users.environment.AWS_REGION: reserved by Lambda, which sets it itself; choose another name"},
		{"env bad key", fn + "    environment: {1X: a}\n",
			"slsx.yaml:4: functions.users.environment.1X: not a valid variable name; use a letter then at least one more letter, digit or '_'"},
		{"env too big", fn + "    environment: {BIG: " + strings.Repeat("x", 4094) + "}\n",
			"slsx.yaml:4: functions.users.environment: variables take 4097 bytes; Lambda allows 4096 in total"},
		{"env value a mapping", fn + "    environment: {A1: {b: c}}\n",
			"slsx.yaml:4: functions.users.environment.A1: must be a string; got a mapping"},

		// Events.
		{"events not a list", fn + "    events: {http: GET /}\n",
			"slsx.yaml:4: functions.users.events: must be a list of events (- http: ..., - sns: ..., - dynamodb: ...); got a mapping"},
		{"event unknown kind", fn + "    events:\n      - htpp: GET /\n",
			"slsx.yaml:5: functions.users.events[0].htpp: unknown field; did you mean http?"},
		{"event two kinds", fn + "    events:\n      - {http: GET /, sns: t}\n",
			"slsx.yaml:5: functions.users.events[0]: an event has exactly one of http, sns or dynamodb"},
		{"http shorthand", fn + "    events: [{http: GET}]\n",
			"slsx.yaml:4: functions.users.events[0].http: 'GET' is not a route; use \"METHOD /path\" (e.g. GET /users/{id}), \"ANY /path\" or \"$default\""},
		{"http method", fn + "    events: [{http: FETCH /}]\n",
			"slsx.yaml:4: functions.users.events[0].http: 'FETCH' is not a method; use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"},
		{"http no slash", fn + "    events: [{http: GET users}]\n",
			"slsx.yaml:4: functions.users.events[0].http: route path 'users' must start with '/'"},
		{"http greedy not last", fn + "    events: [{http: 'GET /a/{proxy+}/b'}]\n",
			"slsx.yaml:4: functions.users.events[0].http: route path '/a/{proxy+}/b' has greedy '{proxy+}' before the end; {name+} must be the last segment"},
		{"http empty segment", fn + "    events: [{http: GET /a//b}]\n",
			"slsx.yaml:4: functions.users.events[0].http: route path '/a//b' has an empty segment; remove the doubled or trailing '/'"},
		{"http trailing slash", fn + "    events: [{http: GET /a/}]\n",
			"slsx.yaml:4: functions.users.events[0].http: route path '/a/' has an empty segment; remove the doubled or trailing '/'"},
		{"http partial variable", fn + "    events: [{http: 'GET /a/{id}.json'}]\n",
			"slsx.yaml:4: functions.users.events[0].http: route path '/a/{id}.json' has a malformed variable '{id}.json'; a variable is a whole segment {name} or {name+}"},
		{"http variable twice", fn + "    events: [{http: 'GET /a/{id}/{id}'}]\n",
			"slsx.yaml:4: functions.users.events[0].http: route path '/a/{id}/{id}' uses variable {id} twice"},
		{"http mapping method", fn + "    events:\n      - http: {method: FETCH, path: /a}\n",
			"slsx.yaml:5: functions.users.events[0].http.method: 'FETCH' is not a method; use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"},
		{"http mapping no method", fn + "    events:\n      - http: {path: /a}\n",
			"slsx.yaml:5: functions.users.events[0].http.method: missing; use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"},
		{"http mapping no path", fn + "    events:\n      - http: {method: GET}\n",
			"slsx.yaml:5: functions.users.events[0].http.path: missing; use a path such as /users/{id}, or $default"},
		{"http $default with method", fn + "    events:\n      - http: {method: GET, path: $default}\n",
			"slsx.yaml:5: functions.users.events[0].http.method: the $default route has no method; remove it"},
		{"http mapping unknown field", fn + "    events:\n      - http: {method: GET, path: /, auth: a}\n",
			"slsx.yaml:5: functions.users.events[0].http.auth: unknown field; did you mean authorizer?"},
		{"duplicate route", fn + "    events:\n      - http: GET /a/{id}\n  other:\n    handler: ./other\n    events:\n      - http: get /a/{id}\n",
			"slsx.yaml:9: functions.other.events[0].http: route GET /a/{id} on api default is already defined by function users on line 5"},
		{"conflicting route", fn + "    events:\n      - http: GET /a/{id}\n      - http: GET /a/{name}\n",
			"slsx.yaml:6: functions.users.events[1].http: route GET /a/{name} on api default conflicts with GET /a/{id} of function users on line 5; use the same variable names"},
		{"api undeclared", "apis:\n  legacy: {type: rest}\n" + fn + "    events:\n      - http: {method: GET, path: /, api: legasy}\n",
			"slsx.yaml:7: functions.users.events[0].http: api 'legasy' is not declared under apis; did you mean legacy?"},
		{"rest $default", "apis:\n  default: {type: rest}\n" + fn + "    events: [{http: $default}]\n",
			"slsx.yaml:6: functions.users.events[0].http: rest API default has no $default route; use ANY /{proxy+}"},
		{"authorizer undeclared", "apis:\n  default: {authorizers: {jwt: {function: users}}}\n" + fn + "    events: [{http: {method: GET, path: /, authorizer: jwtt}}]\n",
			"slsx.yaml:6: functions.users.events[0].http: authorizer 'jwtt' is not declared under apis.default.authorizers; did you mean jwt?"},

		// SNS events and subscriptions.
		{"sns bad topic", fn + "    events: [{sns: 'my topic'}]\n",
			"slsx.yaml:4: functions.users.events[0].sns: topic 'my topic' is not a topic name; use 1 to 256 letters, digits, '-' or '_'"},
		{"sns fifo", fn + "    events: [{sns: orders.fifo}]\n",
			"slsx.yaml:4: functions.users.events[0].sns: topic 'orders.fifo' is FIFO; SNS delivers FIFO topics only to SQS queues, not to lambda"},
		{"sns raw delivery", fn + "    events:\n      - sns: {topic: t, rawMessageDelivery: true}\n",
			"slsx.yaml:5: functions.users.events[0].sns.rawMessageDelivery: SNS does not support raw message delivery to lambda; remove it"},
		{"sns filter policy list", fn + "    events:\n      - sns: {topic: t, filterPolicy: [a]}\n",
			"slsx.yaml:5: functions.users.events[0].sns.filterPolicy: must be a mapping such as {kind: [paid]}; got a list"},
		{"sns filter policy string", fn + "    events:\n      - sns: {topic: t, filterPolicy: 'kind=paid'}\n",
			"slsx.yaml:5: functions.users.events[0].sns.filterPolicy: must be a mapping such as {kind: [paid]} or a JSON object string"},
		{"sns filter policy scope", fn + "    events:\n      - sns: {topic: t, filterPolicyScope: body}\n",
			"slsx.yaml:5: functions.users.events[0].sns.filterPolicyScope: 'body' is not allowed; use MessageAttributes or MessageBody"},
		{"sns no topic", fn + "    events:\n      - sns: {filterPolicy: {a: [b]}}\n",
			"slsx.yaml:5: functions.users.events[0].sns.topic: missing; name the SNS topic, e.g. topic: orders"},
		{"sns twice", fn + "    events: [{sns: t}, {sns: t}]\n",
			"slsx.yaml:4: functions.users.events[1].sns: lambda 'users' already subscribes to topic 't' on line 4; SNS keeps one subscription per endpoint"},
		{"subscriptions not a list", "subscriptions: {a: b}\n",
			"slsx.yaml:1: subscriptions: must be a list of {topic, protocol, endpoint}; got a mapping"},
		{"subscription protocol missing", "subscriptions:\n  - {topic: t, endpoint: x}\n",
			"slsx.yaml:2: subscriptions[0].protocol: missing; use lambda, http or https"},
		{"subscription protocol", "subscriptions:\n  - {topic: t, protocol: sqs, endpoint: x}\n",
			"slsx.yaml:2: subscriptions[0].protocol: 'sqs' is not allowed; use one of lambda, http, https"},
		{"subscription url", "subscriptions:\n  - {topic: t, protocol: https, endpoint: 'http://x'}\n",
			"slsx.yaml:2: subscriptions[0].endpoint: 'http://x' is not an https URL; it must start with https://"},
		{"subscription function", fn + "subscriptions:\n  - {topic: t, protocol: lambda, endpoint: user}\n",
			"slsx.yaml:5: subscriptions[0].endpoint: function 'user' is not declared under functions; did you mean users?"},

		// DynamoDB events.
		{"dynamodb undeclared", fn + "    events: [{dynamodb: user}]\ntables:\n  users: {hashKey: id, stream: KEYS_ONLY}\n",
			"slsx.yaml:4: functions.users.events[0].dynamodb: table 'user' is not declared under tables; did you mean users?"},
		{"dynamodb no stream", fn + "    events: [{dynamodb: users}]\ntables:\n  users: {hashKey: id}\n",
			"slsx.yaml:4: functions.users.events[0].dynamodb: table 'users' has no stream; set tables.users.stream, e.g. NEW_AND_OLD_IMAGES"},
		{"dynamodb batch size", fn + "    events:\n      - dynamodb: {table: tbl, batchSize: 0}\n" + tbl,
			"slsx.yaml:5: functions.users.events[0].dynamodb.batchSize: 0 is out of range; use 1 to 10000"},
		{"dynamodb position", fn + "    events:\n      - dynamodb: {table: tbl, startingPosition: latest}\n" + tbl,
			"slsx.yaml:5: functions.users.events[0].dynamodb.startingPosition: 'latest' is not allowed; did you mean LATEST?"},
		{"dynamodb window", fn + "    events:\n      - dynamodb: {table: tbl, batchWindow: 5m1s}\n" + tbl,
			"slsx.yaml:5: functions.users.events[0].dynamodb.batchWindow: '5m1s' is out of range; use 0s to 300s"},
		{"dynamodb retries", fn + "    events:\n      - dynamodb: {table: tbl, maximumRetryAttempts: -2}\n" + tbl,
			"slsx.yaml:5: functions.users.events[0].dynamodb.maximumRetryAttempts: -2 is out of range; use -1 to 10000 (-1 retries until the record expires)"},
		{"dynamodb enabled", fn + "    events:\n      - dynamodb: {table: tbl, enabled: yes}\n" + tbl,
			"slsx.yaml:5: functions.users.events[0].dynamodb.enabled: 'yes' is not a boolean; use true or false"},
		{"dynamodb no table", fn + "    events:\n      - dynamodb: {batchSize: 10}\n",
			"slsx.yaml:5: functions.users.events[0].dynamodb.table: missing; name the table whose stream invokes the function"},

		// Topics.
		{"topic fifo without suffix", "topics:\n  orders: {fifo: true}\n",
			"slsx.yaml:2: topics.orders: 'orders' is FIFO, so its name must end in .fifo"},
		{"topic suffix without fifo", "topics:\n  orders.fifo: {}\n",
			"slsx.yaml:2: topics.orders.fifo: 'orders.fifo' ends in .fifo; set fifo: true or rename it"},
		{"topic dedup without fifo", "topics:\n  orders:\n    contentBasedDeduplication: true\n",
			"slsx.yaml:3: topics.orders.contentBasedDeduplication: only FIFO topics deduplicate; set fifo: true (and a .fifo name) or remove it"},
		{"topic attribute typo", "topics:\n  orders: {attributes: {DisplayNam: x}}\n",
			"slsx.yaml:2: topics.orders.attributes.DisplayNam: unknown topic attribute; did you mean DisplayName?"},
		{"topic attribute fifo", "topics:\n  orders: {attributes: {FifoTopic: 'true'}}\n",
			"slsx.yaml:2: topics.orders.attributes.FifoTopic: set it with fifo: true"},

		// Tables.
		{"table name", "tables:\n  ab: {hashKey: id}\n",
			"slsx.yaml:2: tables.ab: 'ab' is not a table name; use 3 to 255 letters, digits, '_', '-' or '.'"},
		{"table hash key missing", "tables:\n  users:\n    stream: NEW_IMAGE\n",
			"slsx.yaml:2: tables.users.hashKey: missing; name the partition key, e.g. hashKey: id:S"},
		{"table key type", "tables:\n  users: {hashKey: id:X}\n",
			"slsx.yaml:2: tables.users.hashKey: 'X' is not a key type; use S, N or B"},
		{"table key mapping", "tables:\n  users: {hashKey: {name: id, typ: N}}\n",
			"slsx.yaml:2: tables.users.hashKey.typ: unknown field; did you mean type?"},
		{"table key types clash", "tables:\n  users:\n    hashKey: id:S\n    globalIndexes: {byId: {hashKey: id:N}}\n",
			"slsx.yaml:4: tables.users.globalIndexes.byId.hashKey: attribute 'id' is S in another key; one attribute has one type"},
		{"table stream", "tables:\n  users: {hashKey: id, stream: NEW_AND_OLD}\n",
			"slsx.yaml:2: tables.users.stream: 'NEW_AND_OLD' is not allowed; use one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES"},
		{"table lsi without range key", "tables:\n  users:\n    hashKey: id\n    localIndexes: {byDate: {rangeKey: d:N}}\n",
			"slsx.yaml:4: tables.users.localIndexes: need the table to have a rangeKey"},
		{"table lsi hash key", "tables:\n  users:\n    hashKey: id\n    rangeKey: sk\n    localIndexes: {byDate: {hashKey: d, rangeKey: d:N}}\n",
			"slsx.yaml:5: tables.users.localIndexes.byDate.hashKey: a local index always uses the table's hashKey; remove it"},
		{"table include without attributes", "tables:\n  users:\n    hashKey: id\n    globalIndexes:\n      byEmail: {hashKey: email, projection: INCLUDE}\n",
			"slsx.yaml:5: tables.users.globalIndexes.byEmail.nonKeyAttributes: missing; projection INCLUDE needs the attributes to include"},
		{"table attributes without include", "tables:\n  users:\n    hashKey: id\n    globalIndexes:\n      byEmail: {hashKey: email, nonKeyAttributes: [a]}\n",
			"slsx.yaml:5: tables.users.globalIndexes.byEmail.nonKeyAttributes: only used with projection: INCLUDE"},
		{"table index name reused", "tables:\n  users:\n    hashKey: id\n    rangeKey: sk\n    globalIndexes: {byX: {hashKey: x}}\n    localIndexes: {byX: {rangeKey: y}}\n",
			"slsx.yaml:6: tables.users.localIndexes.byX: duplicate index name 'byX'"},
		{"table seed escapes", "tables:\n  users: {hashKey: id, seed: ../seed.json}\n",
			"slsx.yaml:2: tables.users.seed: '../seed.json' leaves the project directory; keep it inside"},

		// APIs.
		{"api type", "apis:\n  default: {type: grpc}\n",
			"slsx.yaml:2: apis.default.type: 'grpc' is not allowed; use http or rest"},
		{"api payload", "apis:\n  default: {payload: 3.0}\n",
			"slsx.yaml:2: apis.default.payload: '3.0' is not allowed; use 2.0 or 1.0"},
		{"rest payload", "apis:\n  old: {type: rest, payload: '2.0'}\n",
			"slsx.yaml:2: apis.old.payload: rest APIs always send payload 1.0; remove payload or use type: http"},
		{"rest stage", "apis:\n  old: {type: rest, stage: $default}\n",
			"slsx.yaml:2: apis.old.stage: rest APIs have no $default stage; use a name such as dev"},
		{"stage name", "apis:\n  default: {stage: 'my stage'}\n",
			"slsx.yaml:2: apis.default.stage: 'my stage' is not a stage name; use $default or 1 to 128 letters, digits, '-' or '_'"},
		{"rest cors", "apis:\n  old:\n    type: rest\n    cors: {allowOrigins: ['*']}\n",
			"slsx.yaml:4: apis.old.cors: only http APIs have a cors setting; a rest API answers OPTIONS from its own routes"},
		{"cors credentials", "apis:\n  default:\n    cors: {allowOrigins: ['*'], allowCredentials: true}\n",
			"slsx.yaml:3: apis.default.cors.allowCredentials: cannot be true when allowOrigins contains '*'; list the origins"},
		{"cors method", "apis:\n  default:\n    cors: {allowMethods: [GET, FETCH]}\n",
			"slsx.yaml:3: apis.default.cors.allowMethods: 'FETCH' is not a method; use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or *"},
		{"cors max age", "apis:\n  default:\n    cors: {maxAge: 90000}\n",
			"slsx.yaml:3: apis.default.cors.maxAge: 90000 is out of range; use -1 to 86400 seconds"},
		{"base path", "apis:\n  admin: {basePath: admin/}\n",
			"slsx.yaml:2: apis.admin.basePath: 'admin/' is not a base path; use \"/prefix\" (a leading '/', no trailing '/')"},
		{"port", "apis:\n  admin: {port: 70000}\n",
			"slsx.yaml:2: apis.admin.port: 70000 is out of range; use 0 to 65535 (0 shares the main API port)"},
		{"stage variable name", "apis:\n  old: {type: rest, stageVariables: {a-b: c}}\n",
			"slsx.yaml:2: apis.old.stageVariables.a-b: stage variable names use only letters, digits and '_'"},
		{"same port", "apis:\n  a: {port: 3001}\n  b: {port: 3001}\n",
			"slsx.yaml:3: apis.b: is served at port 3001, like api a; give it its own port or basePath"},
		{"same base path", "apis:\n  a: {basePath: /x}\n  b: {basePath: /x}\n",
			"slsx.yaml:3: apis.b: is served at the main port under /x, like api a; give it its own port or basePath"},
		{"clash with implied default", "apis:\n  admin: {type: http}\n" + fn + "    events: [{http: GET /}]\n",
			"slsx.yaml:2: apis.admin: is served at the main port without a basePath, like api default; give it its own port or basePath"},
		{"authorizer function", "apis:\n  default:\n    authorizers:\n      auth: {function: authz}\n" + fn,
			"slsx.yaml:4: apis.default.authorizers.auth.function: function 'authz' is not declared under functions"},
		{"authorizer no function", "apis:\n  default:\n    authorizers:\n      auth: {ttl: 10s}\n",
			"slsx.yaml:4: apis.default.authorizers.auth.function: missing; name the function that decides, e.g. function: authz"},
		{"authorizer ttl", "apis:\n  default:\n    authorizers:\n      auth: {function: users, ttl: 2h}\n" + fn,
			"slsx.yaml:4: apis.default.authorizers.auth.ttl: '2h' is out of range; use 0s to 3600s"},
		{"authorizer simple responses", "apis:\n  default:\n    authorizers:\n      auth: {function: users, payload: '1.0', simpleResponses: true}\n" + fn,
			"slsx.yaml:4: apis.default.authorizers.auth.simpleResponses: simple responses need an http API authorizer with payload 2.0"},

		// Several problems come back together, sorted by line, whichever
		// pass found them.
		{"several, sorted", "functions:\n  users:\n    handler: ./users\n    events: [{dynamodb: nope}]\n    memory: 1\n    timeout: ten\nregion: x\n",
			"slsx.yaml:4: functions.users.events[0].dynamodb: table 'nope' is not declared under tables\n" +
				"slsx.yaml:5: functions.users.memory: 1 is out of range; use 128 to 10240 (MB)\n" +
				"slsx.yaml:6: functions.users.timeout: 'ten' is not a duration; use 10s\n" +
				"slsx.yaml:7: region: 'x' is not an AWS region; use e.g. us-east-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("/proj", "slsx.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error; project %+v", p)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			var list Errors
			if !errors.As(err, &list) {
				t.Errorf("error is %T, not Errors", err)
			}
		})
	}
}
