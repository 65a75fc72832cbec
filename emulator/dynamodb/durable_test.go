package dynamodb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
)

// Child-process mode of the kill -9 tests: the test binary re-executed
// with these variables serves a data directory until it is killed.
const (
	envChildDir   = "SLSX_DDB_DURABLE_DIR"
	envChildPoint = "SLSX_DDB_DURABLE_POINT" // transaction hook point to die at
	envChildAfter = "SLSX_DDB_DURABLE_AFTER" // ... at its nth occurrence
	envChildESM   = "SLSX_DDB_DURABLE_ESM"   // file the child's stream trigger appends keys to
)

// childTrigger is the stream trigger of the child and of the service that
// reopens its data directory.
var childTrigger = config.StreamTrigger{Table: "txa", Function: "fn", BatchSize: 10, StartingPosition: "TRIM_HORIZON", MaximumRetryAttempts: -1, Enabled: true}

// fileInvoker appends the keys of every record it is invoked with to a
// file, one per line.
type fileInvoker struct{ path string }

func (f fileInvoker) Invoke(ctx context.Context, req lambda.Request) (lambda.Result, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(req.Payload, &ev); err != nil {
		return lambda.Result{}, err
	}
	var b []byte
	for _, r := range ev.Records {
		b = append(b, r.Change.Keys["pk"].String()+"\n"...)
	}
	fh, err := os.OpenFile(f.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return lambda.Result{}, err
	}
	defer fh.Close()
	if _, err := fh.Write(b); err != nil {
		return lambda.Result{}, err
	}
	return lambda.Result{StatusCode: 200, Payload: []byte("null")}, nil
}

// startChild re-executes the test binary running test, which calls
// durableChild, and returns the address it serves and the process.
func startChild(t *testing.T, test, dir, point string, after int, env ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), envChildDir+"="+dir, envChildPoint+"="+point, envChildAfter+"="+strconv.Itoa(after))
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addrFile := filepath.Join(dir, "addr")
	for i := 0; i < 400; i++ {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			return "http://" + string(b[:len(b)-1]), cmd
		}
		time.Sleep(25 * time.Millisecond) // waiting for the child to start, not timing a result
	}
	t.Fatalf("child did not start: %s", stderr.Bytes())
	return "", nil
}

// durableChild serves tables txa (with a NEW_AND_OLD_IMAGES stream), txb
// and txc from dir/data, and SIGKILLs itself at the configured hook point.
func durableChild(dir string) {
	opts := Options{DataDir: filepath.Join(dir, "data")}
	if p := os.Getenv(envChildESM); p != "" {
		opts.Invoker = fileInvoker{p}
	}
	s, err := New(opts)
	if err != nil {
		panic(err)
	}
	for _, tc := range []*config.Table{
		{Name: "txa", HashKey: config.KeyAttr{Name: "pk", Type: "S"}, StreamView: "NEW_AND_OLD_IMAGES"},
		{Name: "txb", HashKey: config.KeyAttr{Name: "pk", Type: "S"}},
		{Name: "txc", HashKey: config.KeyAttr{Name: "pk", Type: "S"}},
	} {
		if err := s.EnsureTable(tc); err != nil {
			panic(err)
		}
	}
	if opts.Invoker != nil {
		trig := childTrigger
		s.SetStreamTriggers([]*config.StreamTrigger{&trig})
	}
	point := os.Getenv(envChildPoint)
	after, _ := strconv.Atoi(os.Getenv(envChildAfter))
	seen := 0
	s.txHook = func(p string) {
		if p == point {
			if seen++; seen == after {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal is on its way
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	os.WriteFile(filepath.Join(dir, "addr"), []byte(ln.Addr().String()+"\n"), 0o644)
	http.Serve(ln, &awsapi.Edge{DynamoDB: s.Handler(), Streams: s.StreamsHandler()})
}

func txPut(table, pk string, extra map[string]av) types.TransactWriteItem {
	it := map[string]av{"pk": sv(pk)}
	for k, v := range extra {
		it[k] = v
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: it}}
}

// TestTransactionKill9 kills slsx (a child process) at each point between
// the writes of a transaction and checks, after reopening the data
// directory, that every transaction is entirely present or entirely
// absent, that every acknowledged one is present, that the interrupted
// one is ordered correctly against the writes before it, and that the
// stream holds each change exactly once.
func TestTransactionKill9(t *testing.T) {
	if dir := os.Getenv(envChildDir); dir != "" {
		durableChild(dir)
		return
	}
	const dying = 5 // the transaction during which the child dies
	cases := []struct {
		name   string
		multi  bool
		point  string
		after  int
		landed bool // whether the dying transaction must be present
	}{
		{"three tables, after intent", true, "intent", dying, true},
		{"three tables, after first table", true, "part", 3*(dying-1) + 1, true},
		{"three tables, after second table", true, "part", 3*(dying-1) + 2, true},
		{"three tables, after done mark", true, "done", dying, true},
		{"one table three items, after its write", false, "part", dying, true},
		{"PartiQL three tables, after first table", true, "part", 3*(dying-1) + 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			url, cmd := startChild(t, "TestTransactionKill9", dir, tc.point, tc.after)
			db := dbClient(url)
			partiql := strings.HasPrefix(tc.name, "PartiQL")
			if partiql {
				// UPDATE needs the items to exist.
				for _, tb := range []string{"txa", "txb"} {
					if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tb), Item: map[string]av{"pk": sv("shared"), "v": sv("put-0")}}); err != nil {
						t.Fatal(err)
					}
					if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tb), Item: map[string]av{"pk": sv("counter"), "n": nv("0")}}); err != nil {
						t.Fatal(err)
					}
				}
			}
			acked := 0
			for i := 1; i <= dying+5; i++ {
				id := fmt.Sprint("tx-", i)
				var items []types.TransactWriteItem
				if partiql {
					stmt := func(q string, params ...av) types.ParameterizedStatement {
						return types.ParameterizedStatement{Statement: aws.String(q), Parameters: params}
					}
					_, err := db.ExecuteTransaction(ctx, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
						stmt(`INSERT INTO txa VALUE {'pk': ?}`, sv(id)),
						stmt(`UPDATE txa SET v = ? WHERE pk = 'shared'`, sv(id)),
						stmt(`INSERT INTO txb VALUE {'pk': ?}`, sv(id)),
						stmt(`UPDATE txb SET n = ? WHERE pk = 'counter'`, nv(fmt.Sprint(i))),
						stmt(`INSERT INTO txc VALUE {'pk': ?}`, sv(id)),
					}})
					if err != nil {
						break
					}
				} else if tc.multi {
					items = []types.TransactWriteItem{
						txPut("txa", id, nil), txPut("txa", "shared", map[string]av{"v": sv(id)}),
						txPut("txb", id, nil), txPut("txb", "counter", map[string]av{"n": nv(fmt.Sprint(i))}),
						txPut("txc", id, nil),
					}
				} else {
					items = []types.TransactWriteItem{
						txPut("txa", id, nil), txPut("txa", "shared", map[string]av{"v": sv(id)}), txPut("txa", id+"-2", nil),
					}
				}
				if items != nil {
					if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
						break
					}
				}
				acked = i
				// A later single write to the same item: replay must not
				// put the transaction's value back over it.
				for _, pk := range []string{"shared", id} {
					if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("txa"), Item: map[string]av{"pk": sv(pk), "v": sv(fmt.Sprint("put-", i))}}); err != nil {
						t.Fatalf("put after tx %d: %v", i, err)
					}
				}
			}
			_ = cmd.Wait()
			if acked != dying-1 {
				t.Fatalf("child died after %d acknowledged transactions, want %d", acked, dying-1)
			}
			check := func(e *env) {
				t.Helper()
				has := func(table, pk string) bool {
					out, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]av{"pk": sv(pk)}})
					if err != nil {
						t.Fatal(err)
					}
					if table == "txa" && out.Item != nil && !strings.HasSuffix(pk, "-2") {
						_, later := out.Item["v"]
						if n, _ := strconv.Atoi(pk[len("tx-"):]); later != (n < dying) {
							t.Errorf("item %s: overwritten by the later put %v, want %v", pk, later, n < dying)
						}
					}
					return out.Item != nil
				}
				for i := 1; i <= dying; i++ {
					id := fmt.Sprint("tx-", i)
					var got []bool
					if tc.multi {
						got = []bool{has("txa", id), has("txb", id), has("txc", id)}
					} else {
						got = []bool{has("txa", id), has("txa", id+"-2")}
					}
					want := i < dying || tc.landed
					for _, g := range got {
						if g != want {
							t.Fatalf("transaction %d: items present %v, want all %v", i, got, want)
						}
					}
				}
				out, _ := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("txa"), Key: map[string]av{"pk": sv("shared")}})
				wantShared := fmt.Sprint("put-", dying-1)
				if tc.landed {
					wantShared = fmt.Sprint("tx-", dying)
				}
				if v := out.Item["v"].(*types.AttributeValueMemberS).Value; v != wantShared {
					t.Errorf("shared item = %s, want %s (a transaction replayed out of order)", v, wantShared)
				}
				if tc.multi {
					out, _ := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("txb"), Key: map[string]av{"pk": sv("counter")}})
					if n := out.Item["n"].(*types.AttributeValueMemberN).Value; n != fmt.Sprint(dying) {
						t.Errorf("counter = %s, want %d", n, dying)
					}
				}
				// The stream holds every change once, in order: per
				// transaction an INSERT and a shared-item change, and two
				// MODIFYs for each acknowledged one's puts.
				recs := readStream(t, e, "txa")
				want := 2*dying + 2*(dying-1)
				if !tc.multi {
					want += dying
				}
				if partiql {
					want += 2 // the puts that create shared and counter
				}
				if len(recs) != want {
					t.Errorf("stream of a holds %d records, want %d", len(recs), want)
				}
				for i := 1; i < len(recs); i++ {
					if *recs[i].Dynamodb.SequenceNumber <= *recs[i-1].Dynamodb.SequenceNumber {
						t.Fatalf("sequence numbers out of order: %s after %s", *recs[i].Dynamodb.SequenceNumber, *recs[i-1].Dynamodb.SequenceNumber)
					}
				}
			}
			e := newEnv(t, Options{DataDir: filepath.Join(dir, "data")})
			check(e)
			if st, err := os.Stat(filepath.Join(dir, "data", txLogName)); err != nil || st.Size() != 0 {
				t.Errorf("transaction log after recovery: %v %v", st, err)
			}
			// Writes go on after recovery, and a second start changes nothing.
			e.mustRaw(t, "PutItem", `{"TableName":"txc","Item":{"pk":{"S":"after"}}}`)
			e.s.Close()
			e2 := newEnv(t, Options{DataDir: filepath.Join(dir, "data")})
			check(e2)
		})
	}
}

// readStream returns every record of the table's stream from TRIM_HORIZON.
func readStream(t *testing.T, e *env, table string) []stypes.Record {
	t.Helper()
	ls, err := e.st.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(table)})
	if err != nil || len(ls.Streams) == 0 {
		t.Fatalf("ListStreams: %+v %v", ls, err)
	}
	arn := ls.Streams[len(ls.Streams)-1].StreamArn
	ds, err := e.st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	it, err := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: ds.StreamDescription.Shards[0].ShardId,
		ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	var recs []stypes.Record
	next := it.ShardIterator
	for next != nil {
		gr, err := e.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: next})
		if err != nil {
			t.Fatal(err)
		}
		if len(gr.Records) == 0 {
			break
		}
		recs = append(recs, gr.Records...)
		next = gr.NextShardIterator
	}
	return recs
}

// TestTornTransactionWrites cuts the records of committed transactions
// short, as a kill in the middle of write(2) would, and checks what the
// next start makes of them.
func TestTornTransactionWrites(t *testing.T) {
	cases := []struct {
		name string
		// cut rewrites the files, given their sizes before the
		// transaction and their contents after it.
		cut     func(t *testing.T, dir string, before map[string]int64)
		present bool
	}{
		{"one-table batch torn in half", func(t *testing.T, dir string, before map[string]int64) {
			cutHalf(t, filepath.Join(dir, "torn1.log"), before["torn1.log"])
		}, false},
		{"intent torn in half, no table written", func(t *testing.T, dir string, before map[string]int64) {
			truncate(t, filepath.Join(dir, "torn1.log"), before["torn1.log"])
			truncate(t, filepath.Join(dir, "torn2.log"), before["torn2.log"])
			keepFirstFrame(t, filepath.Join(dir, txLogName))
			cutHalf(t, filepath.Join(dir, txLogName), 0)
		}, false},
		{"intent whole, first table torn, second not written", func(t *testing.T, dir string, before map[string]int64) {
			cutHalf(t, filepath.Join(dir, "torn1.log"), before["torn1.log"])
			truncate(t, filepath.Join(dir, "torn2.log"), before["torn2.log"])
			keepFirstFrame(t, filepath.Join(dir, txLogName))
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := New(Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			e := &env{s: s, url: serve(t, s)}
			e.db = dbClient(e.url)
			e.createSimple(t, "torn1", false, "")
			e.createSimple(t, "torn2", false, "")
			e.mustRaw(t, "PutItem", `{"TableName":"torn1","Item":{"pk":{"S":"before"}}}`)
			before := map[string]int64{}
			for _, f := range []string{"torn1.log", "torn2.log"} {
				st, _ := os.Stat(filepath.Join(dir, f))
				before[f] = st.Size()
			}
			items := []types.TransactWriteItem{txPut("torn1", "x1", nil), txPut("torn1", "x2", nil), txPut("torn1", "x3", nil)}
			if tc.name != "one-table batch torn in half" {
				items = append(items, txPut("torn2", "y1", nil))
			}
			if _, err := e.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			tc.cut(t, dir, before)
			e2 := newEnv(t, Options{DataDir: dir})
			for _, it := range items {
				p := it.Put
				out, err := e2.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: p.TableName, Key: map[string]av{"pk": p.Item["pk"]}})
				if err != nil {
					t.Fatal(err)
				}
				if (out.Item != nil) != tc.present {
					t.Errorf("%s/%s present %v, want %v", *p.TableName, p.Item["pk"].(*types.AttributeValueMemberS).Value, out.Item != nil, tc.present)
				}
			}
			out, _ := e2.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("torn1"), Key: map[string]av{"pk": sv("before")}})
			if out.Item == nil {
				t.Error("the write before the transaction is lost")
			}
			// Appends after the repaired tail survive the next start.
			e2.mustRaw(t, "PutItem", `{"TableName":"torn1","Item":{"pk":{"S":"after"}}}`)
			e2.s.Close()
			e3 := newEnv(t, Options{DataDir: dir})
			if out, _ := e3.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("torn1"), Key: map[string]av{"pk": sv("after")}}); out.Item == nil {
				t.Error("a write after the repaired tail is lost")
			}
		})
	}
}

// serve runs s's APIs on a loopback server for the test's lifetime.
func serve(t *testing.T, s *Service) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: &awsapi.Edge{DynamoDB: s.Handler(), Streams: s.StreamsHandler()}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

// cutHalf drops the second half of what path holds past from.
func cutHalf(t *testing.T, path string, from int64) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() <= from {
		t.Fatalf("%s has nothing past %d", path, from)
	}
	truncate(t, path, from+(st.Size()-from)/2)
}

// keepFirstFrame keeps only the first record of a log (a transaction's
// intent, without its done mark).
func keepFirstFrame(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := splitFrame(b)
	if !ok || len(rest) == 0 {
		t.Fatalf("%s does not hold an intent and a done mark", path)
	}
	truncate(t, path, int64(len(b)-len(rest)))
}

// streamState is what a consumer sees of a table's streams: each stream's
// description and every record, as the SDK parses them.
func streamState(t *testing.T, e *env, table string) []string {
	t.Helper()
	ls, err := e.st.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sm := range ls.Streams {
		ds, err := e.st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: sm.StreamArn})
		if err != nil {
			t.Fatal(err)
		}
		d := ds.StreamDescription
		sh := d.Shards[0]
		out = append(out, fmt.Sprintf("stream %s label %s status %s view %s shard %s range %s-%s", *d.StreamArn, *d.StreamLabel, d.StreamStatus, d.StreamViewType,
			*sh.ShardId, aws.ToString(sh.SequenceNumberRange.StartingSequenceNumber), aws.ToString(sh.SequenceNumberRange.EndingSequenceNumber)))
		it, err := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: sm.StreamArn, ShardId: sh.ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		gr, err := e.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range gr.Records {
			d := r.Dynamodb
			out = append(out, fmt.Sprintf("  %s %s %s keys %v new %d old %d at %v size %d", *d.SequenceNumber, *r.EventID, r.EventName,
				d.Keys["pk"].(*stypes.AttributeValueMemberS).Value, len(d.NewImage), len(d.OldImage), d.ApproximateCreationDateTime.Unix(), *d.SizeBytes))
		}
	}
	return out
}

// TestStreamsAcrossRestart reads a table's streams (the current one and
// one it replaced) through the SDK before and after the service is closed
// and reopened: the same streams, shards, sequence numbers and records
// come back, an iterator issued before the restart goes on working, and
// new records follow the old ones.
func TestStreamsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	e := &env{s: s, url: url, db: dbClient(url), st: streamsClient(url)}
	e.createSimple(t, "rst", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}`)
	e.mustRaw(t, "PutItem", `{"TableName":"rst","Item":{"pk":{"S":"a"},"v":{"N":"1"}}}`)
	e.mustRaw(t, "UpdateItem", `{"TableName":"rst","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"N":"2"}}}`)
	e.mustRaw(t, "DeleteItem", `{"TableName":"rst","Key":{"pk":{"S":"a"}}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"rst","Item":{"pk":{"S":"b"}}}`)
	e.mustRaw(t, "UpdateTable", `{"TableName":"rst","StreamSpecification":{"StreamEnabled":false}}`)
	e.mustRaw(t, "UpdateTable", `{"TableName":"rst","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"rst","Item":{"pk":{"S":"c"}}}`)
	before := streamState(t, e, "rst")
	if len(before) != 2+5 {
		t.Fatalf("before restart:\n%s", strings.Join(before, "\n"))
	}
	latest := readStream(t, e, "rst")
	ls, _ := e.st.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String("rst")})
	cur := ls.Streams[len(ls.Streams)-1]
	ds, _ := e.st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: cur.StreamArn})
	shard := ds.StreamDescription.Shards[0].ShardId
	it, _ := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: cur.StreamArn, ShardId: shard, ShardIteratorType: stypes.ShardIteratorTypeLatest})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	e2 := newEnv(t, Options{DataDir: dir})
	after := streamState(t, e2, "rst")
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Fatalf("streams changed across the restart\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
	d := e2.mustRaw(t, "DescribeTable", `{"TableName":"rst"}`)["Table"].(map[string]any)
	if d["LatestStreamArn"] != *cur.StreamArn || d["LatestStreamLabel"] != *cur.StreamLabel {
		t.Errorf("DescribeTable stream %v %v, want %s", d["LatestStreamArn"], d["LatestStreamLabel"], *cur.StreamArn)
	}
	e2.mustRaw(t, "PutItem", `{"TableName":"rst","Item":{"pk":{"S":"d"}}}`)
	gr, err := e2.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(gr.Records) != 1 || gr.Records[0].Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value != "d" {
		t.Fatalf("iterator from before the restart: %+v %v", gr, err)
	}
	if *gr.Records[0].Dynamodb.SequenceNumber <= *latest[len(latest)-1].Dynamodb.SequenceNumber {
		t.Errorf("new sequence number %s is not past %s", *gr.Records[0].Dynamodb.SequenceNumber, *latest[len(latest)-1].Dynamodb.SequenceNumber)
	}
	// Resuming the replaced stream after its second record.
	old := ls.Streams[0]
	ods, _ := e2.st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: old.StreamArn})
	first, _ := e2.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: old.StreamArn, ShardId: ods.StreamDescription.Shards[0].ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	all, _ := e2.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: first.ShardIterator})
	resume, err := e2.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: old.StreamArn, ShardId: ods.StreamDescription.Shards[0].ShardId,
		ShardIteratorType: stypes.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: all.Records[1].Dynamodb.SequenceNumber})
	if err != nil {
		t.Fatal(err)
	}
	rest, err := e2.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: resume.ShardIterator})
	if err != nil || len(rest.Records) != 2 || rest.Records[0].EventName != stypes.OperationTypeRemove || rest.NextShardIterator != nil {
		t.Fatalf("AFTER_SEQUENCE_NUMBER on the closed stream: %+v %v", rest, err)
	}
}

// TestStreamKill9 writes to a stream table in a child process, reads the
// stream there, kills the child with SIGKILL and checks the reopened data
// directory serves the same records plus every acknowledged later one.
func TestStreamKill9(t *testing.T) {
	if dir := os.Getenv(envChildDir); dir != "" {
		durableChild(dir)
		return
	}
	dir := t.TempDir()
	url, cmd := startChild(t, "TestStreamKill9", dir, "", 0)
	e := &env{url: url, db: dbClient(url), st: streamsClient(url)}
	put := func(i int) {
		if _, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("txa"), Item: map[string]av{"pk": sv(fmt.Sprint("k", i%15)), "v": nv(fmt.Sprint(i))}}); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	for i := 0; i < 40; i++ {
		put(i)
	}
	seen := streamState(t, e, "txa")
	for i := 40; i < 60; i++ {
		put(i)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	e2 := newEnv(t, Options{DataDir: filepath.Join(dir, "data")})
	got := streamState(t, e2, "txa")
	if len(got) != 1+60 {
		t.Fatalf("after kill -9 the stream holds %d records, want 60", len(got)-1)
	}
	if strings.Join(got[:len(seen)], "\n") != strings.Join(seen, "\n") {
		t.Fatalf("records read before the kill changed\nbefore:\n%s\nafter:\n%s", strings.Join(seen, "\n"), strings.Join(got[:len(seen)], "\n"))
	}
}

// TestStreamRetentionAtLoad plants a stream record older than 24 h in a
// table's log: the next start drops it, and a position before it reads
// as trimmed.
func TestStreamRetentionAtLoad(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, Options{DataDir: dir})
	e.createSimple(t, "ret", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}`)
	st := e.s.table("ret").stream
	label, oldSeq := st.label, st.startSeq
	e.s.Close()
	old := &streamRec{seq: oldSeq, at: time.Now().Add(-25 * time.Hour), body: []byte(`{"awsRegion":"us-east-1","dynamodb":{"ApproximateCreationDateTime":1,"Keys":{"pk":{"S":"old"}},"SequenceNumber":"` +
		seqString(oldSeq) + `","SizeBytes":5,"StreamViewType":"KEYS_ONLY"},"eventID":"0","eventName":"INSERT","eventSource":"aws:dynamodb","eventVersion":"1.1"`)}
	f, err := os.OpenFile(filepath.Join(dir, "ret.log"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(appendStreamRecord(nil, label, old))
	f.Close()
	e2 := newEnv(t, Options{DataDir: dir})
	e2.mustRaw(t, "PutItem", `{"TableName":"ret","Item":{"pk":{"S":"new"}}}`)
	recs := readStream(t, e2, "ret")
	if len(recs) != 1 || recs[0].Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value != "new" {
		t.Fatalf("records %+v", recs)
	}
	arn := e2.s.table("ret").stream.arn
	st2, out := e2.raw(t, "GetShardIterator", `{"StreamArn":"`+arn+`","ShardId":"`+e2.s.table("ret").stream.shardID+`","ShardIteratorType":"AT_SEQUENCE_NUMBER","SequenceNumber":"`+seqString(oldSeq)+`"}`)
	if st2 != 400 || out["__type"] != "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException" {
		t.Errorf("iterator at a record past retention: %d %v", st2, out)
	}
}

// TestStreamMemoryBound lowers a stream's byte bound and checks the oldest
// records are trimmed, as retention would, once the stream holds more.
func TestStreamMemoryBound(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.streamMaxBytes = 4000
	e.createSimple(t, "bound", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}`)
	pad := strings.Repeat("x", 300)
	for i := 0; i < 40; i++ {
		e.mustRaw(t, "PutItem", fmt.Sprintf(`{"TableName":"bound","Item":{"pk":{"S":"k%02d"},"pad":{"S":"%s"}}}`, i, pad))
	}
	recs := readStream(t, e, "bound")
	if len(recs) == 0 || len(recs) >= 20 {
		t.Fatalf("%d records kept under a 4000-byte bound", len(recs))
	}
	if k := recs[len(recs)-1].Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value; k != "k39" {
		t.Errorf("newest record is %s", k)
	}
	st := e.s.table("bound").stream
	st.mu.Lock()
	bytes, trimmed := st.bytes, st.trimmed
	st.mu.Unlock()
	if bytes > 4000 {
		t.Errorf("stream holds %d bytes", bytes)
	}
	first, _ := strconv.ParseUint(*recs[0].Dynamodb.SequenceNumber, 10, 64)
	if trimmed != first-1 {
		t.Errorf("trim horizon %d, first record %d", trimmed, first)
	}
	code, out := e.raw(t, "GetShardIterator", `{"StreamArn":"`+st.arn+`","ShardId":"`+st.shardID+`","ShardIteratorType":"AFTER_SEQUENCE_NUMBER","SequenceNumber":"`+seqString(trimmed)+`"}`)
	if code != 400 || out["__type"] != "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException" {
		t.Errorf("iterator at a trimmed record: %d %v", code, out)
	}
}

// delivered returns the keys of every record the invoker received.
func delivered(t *testing.T, calls []lambda.Request) []string {
	var keys []string
	for _, c := range calls {
		for _, r := range decodeEvent(t, c).Records {
			keys = append(keys, r.Change.Keys["pk"].String())
		}
	}
	return keys
}

// waitDelivered waits until the invoker has received n records.
func waitDelivered(t *testing.T, inv *fakeInvoker, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		inv.mu.Lock()
		calls := append([]lambda.Request(nil), inv.calls...)
		inv.mu.Unlock()
		if keys := delivered(t, calls); len(keys) >= n || time.Now().After(deadline) {
			return keys
		}
		select {
		case <-inv.got:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestStreamTriggerResumesAfterRestart checks that an event-source
// mapping resumes after the last batch it delivered before the service
// was closed: nothing is delivered twice, and records written before the
// trigger is configured again are not skipped even with LATEST.
func TestStreamTriggerResumesAfterRestart(t *testing.T) {
	for _, start := range []string{"TRIM_HORIZON", "LATEST"} {
		t.Run(start, func(t *testing.T) {
			dir := t.TempDir()
			trig := &config.StreamTrigger{Table: "esm", Function: "fn", BatchSize: 10, StartingPosition: start, MaximumRetryAttempts: -1, Enabled: true}
			inv := &fakeInvoker{got: make(chan struct{}, 100)}
			e := newEnv(t, Options{DataDir: dir, Invoker: inv})
			e.createSimple(t, "esm", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}`)
			e.mustRaw(t, "PutItem", `{"TableName":"esm","Item":{"pk":{"S":"before-trigger"}}}`)
			e.s.SetStreamTriggers([]*config.StreamTrigger{trig})
			want := []string{"a", "b", "c"}
			if start == "TRIM_HORIZON" {
				want = append([]string{"before-trigger"}, want...)
			} else {
				// LATEST starts at the end of the stream as the mapping
				// starts; wait for it to take its position.
				for {
					if cp, _ := e.s.esm.checkpoints.get("esm\x00fn"); cp.arn != "" {
						break
					}
					time.Sleep(5 * time.Millisecond) // waiting for the mapping to start, not timing a result
				}
			}
			for _, k := range []string{"a", "b", "c"} {
				e.mustRaw(t, "PutItem", `{"TableName":"esm","Item":{"pk":{"S":"`+k+`"}}}`)
			}
			if got := waitDelivered(t, inv, len(want)); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("before restart delivered %v, want %v", got, want)
			}
			e.s.Close()

			inv2 := &fakeInvoker{got: make(chan struct{}, 100)}
			e2 := newEnv(t, Options{DataDir: dir, Invoker: inv2})
			e2.mustRaw(t, "PutItem", `{"TableName":"esm","Item":{"pk":{"S":"while-unconfigured"}}}`)
			e2.s.SetStreamTriggers([]*config.StreamTrigger{trig})
			e2.mustRaw(t, "PutItem", `{"TableName":"esm","Item":{"pk":{"S":"d"}}}`)
			// A redelivered record would arrive before d, the last one.
			if got := waitDelivered(t, inv2, 2); strings.Join(got, ",") != "while-unconfigured,d" {
				t.Fatalf("after restart delivered %v, want [while-unconfigured d]", got)
			}
		})
	}
}

// TestLogRecordSizes replays a record larger than a transaction's batch
// can be (4 MB of items as JSON, with stream images), and rejects a length
// past the end of the file.
func TestLogRecordSizes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.log")
	big := bytes.Repeat([]byte("x"), 40<<20)
	b, start := beginBatch(nil)
	b = appendRecord(b, recPut, "k1", len(big), big)
	b = appendRecord(b, recDelete, "k0", 0, nil)
	b = endFrame(b, start)
	// Then a record whose length claims more than the file holds.
	b = append(b, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, recPut)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var ops []byte
	n, err := replayLog(path, func(r *logRec) error {
		ops = append(ops, r.op)
		if r.op == recPut && len(r.data) != len(big) {
			t.Errorf("item of %d bytes, want %d", len(r.data), len(big))
		}
		return nil
	})
	if err != nil || n != 2 || string(ops) != "PD" {
		t.Fatalf("replayed %d records %q, %v", n, ops, err)
	}
	if st, _ := os.Stat(path); st.Size() != int64(len(b)-9) {
		t.Errorf("file not cut back to its intact prefix: %d bytes", st.Size())
	}
}

// TestStreamTriggerKill9 runs a stream trigger in a child process, kills
// the child with SIGKILL once the trigger has delivered and checkpointed
// every record, and checks the reopened data directory delivers only
// what is written afterwards.
func TestStreamTriggerKill9(t *testing.T) {
	if dir := os.Getenv(envChildDir); dir != "" {
		durableChild(dir)
		return
	}
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "delivered")
	url, cmd := startChild(t, "TestStreamTriggerKill9", dir, "", 0, envChildESM+"="+keysFile)
	e := &env{url: url, db: dbClient(url), st: streamsClient(url)}
	for i := 1; i <= 5; i++ {
		if _, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("txa"), Item: map[string]av{"pk": sv(fmt.Sprint("k", i))}}); err != nil {
			t.Fatal(err)
		}
	}
	recs := readStream(t, e, "txa")
	last := *recs[len(recs)-1].Dynamodb.SequenceNumber
	cpFile := filepath.Join(dir, "data", cpStoreName)
	for i := 0; ; i++ {
		if b, _ := os.ReadFile(cpFile); bytes.Contains(b, []byte(last)) {
			break
		}
		if i == 1000 {
			t.Fatal("the child's trigger did not checkpoint its last record")
		}
		time.Sleep(10 * time.Millisecond) // waiting for the child's trigger, not timing a result
	}
	if b, _ := os.ReadFile(keysFile); string(b) != "k1\nk2\nk3\nk4\nk5\n" {
		t.Fatalf("child delivered %q", b)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	inv := &fakeInvoker{got: make(chan struct{}, 100)}
	e2 := newEnv(t, Options{DataDir: filepath.Join(dir, "data"), Invoker: inv})
	trig := childTrigger
	e2.s.SetStreamTriggers([]*config.StreamTrigger{&trig})
	e2.mustRaw(t, "PutItem", `{"TableName":"txa","Item":{"pk":{"S":"k6"}}}`)
	if got := waitDelivered(t, inv, 1); strings.Join(got, ",") != "k6" {
		t.Fatalf("after kill -9 delivered %v, want [k6]", got)
	}
}

// TestCompactionKeepsStreamRecords drives a stream table's log past the
// compaction threshold and checks the snapshot keeps the records the
// stream still holds and its trim horizon, so a restart serves them with
// the same sequence numbers and event ids.
func TestCompactionKeepsStreamRecords(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.streamMaxBytes = 8 << 10 // a few dozen records
	url := serve(t, s)
	e := &env{s: s, url: url, db: dbClient(url), st: streamsClient(url)}
	e.createSimple(t, "cmp", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}`)
	h := s.Handler()
	for i := 0; i < 6000; i++ {
		req := httptest.NewRequest("POST", "/", strings.NewReader(fmt.Sprintf(`{"TableName":"cmp","Item":{"pk":{"S":"k%d"},"v":{"N":"%d"}}}`, i%7, i)))
		req.Header.Set("X-Amz-Target", targetDynamo+"PutItem")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("put %d: %s", i, rec.Body)
		}
	}
	tb := s.table("cmp")
	tb.mu.Lock()
	records, live := tb.log.records, tb.liveRecords()
	tb.mu.Unlock()
	if records >= 12000 || live < 20 {
		t.Fatalf("log holds %d records for %d live ones: no compaction", records, live)
	}
	before := streamState(t, e, "cmp")
	tb.stream.mu.Lock()
	trimmed := tb.stream.trimmed
	tb.stream.mu.Unlock()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, Options{DataDir: dir})
	after := streamState(t, e2, "cmp")
	// The trim horizon survives too: a position at or before it is trimmed.
	st := e2.s.table("cmp").stream
	code, body := e2.raw(t, "GetShardIterator", `{"StreamArn":"`+st.arn+`","ShardId":"`+st.shardID+`","ShardIteratorType":"AT_SEQUENCE_NUMBER","SequenceNumber":"`+seqString(trimmed)+`"}`)
	if code != 400 || body["__type"] != "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException" {
		t.Errorf("iterator at the trim horizon %d after restart: %d %v", trimmed, code, body)
	}
	// The reopened stream has the default bound, so it may hold older
	// records the small bound had trimmed; the newest must match.
	if len(after) < len(before) || strings.Join(after[len(after)-len(before)+1:], "\n") != strings.Join(before[1:], "\n") {
		t.Fatalf("stream records changed across compaction and restart\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
	out, err := e2.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("cmp")})
	if err != nil || out.Count != 7 {
		t.Fatalf("scan after restart: %d items, %v", out.Count, err)
	}
}

// FuzzReplayLog feeds arbitrary bytes to the log reader: it must not
// panic, must cut the file to a prefix it replays identically a second
// time, and a record appended after the cut must come back.
func FuzzReplayLog(f *testing.F) {
	b, start := beginBatch(nil)
	b = appendRecord(b, recPut, "k", 2, []byte(`{}`))
	b = appendStreamRecord(b, "label", &streamRec{seq: 7, at: time.Unix(1, 0), body: []byte(`{"x":1`), trace: "t"})
	f.Add(endFrame(b, start))
	f.Add(appendRecord(nil, recDelete, "k", 0, nil))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 'B'})
	f.Add(appendTrimRecord(nil, "label", 9))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.log")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		collect := func() []string {
			var out []string
			if _, err := replayLog(path, func(r *logRec) error {
				out = append(out, fmt.Sprintf("%c %q %d %q %q %d %d %v %q", r.op, r.key, r.size, r.data, r.label, r.seq, r.at.UnixNano(), r.ttl, r.trace))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		first := collect()
		if second := collect(); strings.Join(first, "\n") != strings.Join(second, "\n") {
			t.Fatalf("second replay differs:\n%v\n%v", first, second)
		}
		fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fh.Write(appendRecord(nil, recPut, "last", 2, []byte(`{}`)))
		fh.Close()
		if third := collect(); len(third) != len(first)+1 || !strings.HasPrefix(third[len(third)-1], `P "last"`) {
			t.Fatalf("record appended after the cut lost: %v", third)
		}
	})
}

// TestTransactionLogFailure makes the second table's append fail after
// the intent is written: the transaction stands (InternalServerError),
// both tables refuse writes, and the next start completes it.
func TestTransactionLogFailure(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	e := &env{s: s, url: url, db: dbClient(url)}
	e.createSimple(t, "fail1", false, "")
	e.createSimple(t, "fail2", false, "")
	tb := s.table("fail2")
	tb.mu.Lock()
	tb.log.f.Close() // every append to fail2 now fails
	tb.mu.Unlock()
	code, out := e.raw(t, "TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"fail1","Item":{"pk":{"S":"x"}}}},{"Put":{"TableName":"fail2","Item":{"pk":{"S":"y"}}}}]}`)
	if code != 500 || out["__type"] != "com.amazonaws.dynamodb.v20120810#InternalServerError" {
		t.Fatalf("transaction with a failing table log: %d %v", code, out)
	}
	if code, _ := e.raw(t, "PutItem", `{"TableName":"fail1","Item":{"pk":{"S":"later"}}}`); code != 500 {
		t.Fatalf("a write to a table of the incomplete transaction answered %d", code)
	}
	if g := e.mustRaw(t, "GetItem", `{"TableName":"fail1","Key":{"pk":{"S":"x"}}}`); g["Item"] == nil {
		t.Error("the committed transaction is not visible")
	}
	_ = s.Close() // fail2's log is already closed
	e2 := newEnv(t, Options{DataDir: dir})
	for _, k := range []string{`"fail1","Key":{"pk":{"S":"x"}}`, `"fail2","Key":{"pk":{"S":"y"}}`} {
		if g := e2.mustRaw(t, "GetItem", `{"TableName":`+k+`}`); g["Item"] == nil {
			t.Errorf("after restart %s is missing", k)
		}
	}
	if g := e2.mustRaw(t, "GetItem", `{"TableName":"fail1","Key":{"pk":{"S":"later"}}}`); g["Item"] != nil {
		t.Error("a refused write is present")
	}
	e2.mustRaw(t, "PutItem", `{"TableName":"fail1","Item":{"pk":{"S":"later"}}}`)
}
