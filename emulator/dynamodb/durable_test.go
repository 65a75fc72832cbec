package dynamodb

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
)

// Child-process mode of the kill -9 tests: the test binary re-executed
// with these variables serves a data directory until it is killed.
const (
	envChildDir   = "SLSX_DDB_DURABLE_DIR"
	envChildPoint = "SLSX_DDB_DURABLE_POINT" // transaction hook point to die at
	envChildAfter = "SLSX_DDB_DURABLE_AFTER" // ... at its nth occurrence
)

// startChild re-executes the test binary running test, which calls
// durableChild, and returns the address it serves and the process.
func startChild(t *testing.T, test, dir, point string, after int) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), envChildDir+"="+dir, envChildPoint+"="+point, envChildAfter+"="+strconv.Itoa(after))
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
	s, err := New(Options{DataDir: filepath.Join(dir, "data")})
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			url, cmd := startChild(t, "TestTransactionKill9", dir, tc.point, tc.after)
			db := dbClient(url)
			acked := 0
			for i := 1; i <= dying+5; i++ {
				id := fmt.Sprint("tx-", i)
				var items []types.TransactWriteItem
				if tc.multi {
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
				if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
					break
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
