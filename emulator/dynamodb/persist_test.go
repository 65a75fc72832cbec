package dynamodb

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
)

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.Handler()}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	e := &env{s: s, url: "http://" + ln.Addr().String()}
	e.mustRaw(t, "CreateTable", `{"TableName":"keep","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],
		"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST",
		"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]}`)
	for i := 0; i < 50; i++ {
		e.mustRaw(t, "PutItem", fmt.Sprintf(`{"TableName":"keep","Item":{"pk":{"S":"k%d"},"g":{"S":"g%d"},"v":{"N":"%d"}}}`, i, i%3, i))
	}
	for i := 0; i < 10; i++ {
		e.mustRaw(t, "DeleteItem", fmt.Sprintf(`{"TableName":"keep","Key":{"pk":{"S":"k%d"}}}`, i))
	}
	e.mustRaw(t, "UpdateItem", `{"TableName":"keep","Key":{"pk":{"S":"k20"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"S":"changed"}}}`)
	e.mustRaw(t, "UpdateTimeToLive", `{"TableName":"keep","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"exp"}}`)
	srv.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, Options{DataDir: dir})
	out, err := e2.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("keep")})
	if err != nil || out.Count != 40 {
		t.Fatalf("after restart: %v items, %v", out.Count, err)
	}
	g := e2.mustRaw(t, "GetItem", `{"TableName":"keep","Key":{"pk":{"S":"k20"}}}`)
	if !strings.Contains(fmt.Sprint(g), "changed") {
		t.Errorf("update lost: %v", g)
	}
	q, err := e2.db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("keep"), IndexName: aws.String("byG"), KeyConditionExpression: aws.String("g = :g"),
		ExpressionAttributeValues: map[string]av{":g": sv("g0")}})
	if err != nil || q.Count != 13 {
		t.Fatalf("GSI after restart: %d %v", q.Count, err)
	}
	ttl := e2.mustRaw(t, "DescribeTimeToLive", `{"TableName":"keep"}`)
	if !strings.Contains(fmt.Sprint(ttl), "ENABLED") {
		t.Errorf("TTL setting lost: %v", ttl)
	}
}

func TestTornLogTail(t *testing.T) {
	dir := t.TempDir()
	s, _ := New(Options{DataDir: dir})
	e := &env{s: s}
	srv := &http.Server{Handler: s.Handler()}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	e.url = "http://" + ln.Addr().String()
	e.createSimple(t, "torn", false, "")
	e.mustRaw(t, "PutItem", `{"TableName":"torn","Item":{"pk":{"S":"a"}}}`)
	e.mustRaw(t, "PutItem", `{"TableName":"torn","Item":{"pk":{"S":"b"}}}`)
	srv.Close()
	s.Close()
	// Simulate a write cut short by kill -9: half of a record.
	rec := appendRecord(nil, recPut, "zzzz", 10, []byte(`{"pk":{"S":"c"}}`))
	f, _ := os.OpenFile(filepath.Join(dir, "torn.log"), os.O_APPEND|os.O_WRONLY, 0)
	f.Write(rec[:len(rec)-5])
	f.Close()
	e2 := newEnv(t, Options{DataDir: dir})
	out, err := e2.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("torn")})
	if err != nil || out.Count != 2 {
		t.Fatalf("after torn tail: %d items, %v", out.Count, err)
	}
	e2.mustRaw(t, "PutItem", `{"TableName":"torn","Item":{"pk":{"S":"d"}}}`)
	e2.s.Close()
	e3 := newEnv(t, Options{DataDir: dir})
	if out, _ := e3.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("torn")}); out.Count != 3 {
		t.Fatalf("append after a torn tail lost data: %d items", out.Count)
	}
}

// TestKill9Durability runs the service in a child process (this test
// binary re-executed), writes through the SDK, kills the child with SIGKILL
// right after the last acknowledged write, and checks that every
// acknowledged write is there when the data directory is opened again.
func TestKill9Durability(t *testing.T) {
	if dir := os.Getenv("SLSX_DDB_CHILD_DIR"); dir != "" {
		runChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Durability$")
	cmd.Env = append(os.Environ(), "SLSX_DDB_CHILD_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addrFile := filepath.Join(dir, "addr")
	var addr []byte
	for i := 0; i < 200; i++ {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			addr = b[:len(b)-1]
			break
		}
		time.Sleep(50 * time.Millisecond) // waiting for the child to start, not timing a result
	}
	if addr == nil {
		t.Fatal("child did not start")
	}
	db := dbClient("http://" + string(addr))
	acked := 0
	for i := 0; i < 300; i++ {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("durable"), Item: map[string]av{"pk": sv(fmt.Sprint(i)), "v": nv(fmt.Sprint(i))}})
		if err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
		acked++
	}
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("durable"), Key: map[string]av{"pk": sv("7")},
		UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: map[string]av{":v": sv("last")}}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	e := newEnv(t, Options{DataDir: filepath.Join(dir, "data")})
	out, err := e.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("durable")})
	if err != nil || int(out.Count) != acked {
		t.Fatalf("after kill -9: %d of %d acknowledged items (%v)", out.Count, acked, err)
	}
	g := e.mustRaw(t, "GetItem", `{"TableName":"durable","Key":{"pk":{"S":"7"}}}`)
	if !strings.Contains(fmt.Sprint(g), "last") {
		t.Errorf("last acknowledged update lost: %v", g)
	}
}

func runChild(dir string) {
	s, err := New(Options{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		panic(err)
	}
	if err := s.EnsureTable(&config.Table{Name: "durable", HashKey: config.KeyAttr{Name: "pk", Type: "S"}}); err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	os.WriteFile(filepath.Join(dir, "addr"), []byte(ln.Addr().String()+"\n"), 0o644)
	http.Serve(ln, &awsapi.Edge{DynamoDB: s.Handler()})
}

func TestEnsureTableAndSeed(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, Options{})
	ct := &config.Table{Name: "users", HashKey: config.KeyAttr{Name: "id", Type: "S"}, RangeKey: &config.KeyAttr{Name: "v", Type: "N"},
		GSIs:       []*config.Index{{Name: "byEmail", HashKey: config.KeyAttr{Name: "email", Type: "S"}, Projection: "KEYS_ONLY"}},
		StreamView: "NEW_IMAGE", TTLAttribute: "exp"}
	if err := e.s.EnsureTable(ct); err != nil {
		t.Fatal(err)
	}
	if err := e.s.EnsureTable(ct); err != nil {
		t.Fatalf("second EnsureTable: %v", err)
	}
	seed := filepath.Join(dir, "seed.json")
	os.WriteFile(seed, []byte(`[{"id":{"S":"a"},"v":{"N":"1"},"email":{"S":"a@x"}},{"id":"b","v":2,"tags":["x",1,true,null],"m":{"k":1.5}}]`), 0o644)
	if err := e.s.Seed("users", seed); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(seed, []byte(`[{"id":"c","v":3}]`), 0o644)
	if err := e.s.Seed("users", seed); err != nil {
		t.Fatal(err)
	}
	infos := e.s.Tables()
	if len(infos) != 1 || infos[0].ItemCount != 2 || infos[0].StreamView != "NEW_IMAGE" || infos[0].TTL != "exp" || infos[0].SizeBytes == 0 {
		t.Fatalf("Tables() = %+v (seed must not run on a non-empty table)", infos)
	}
	page, err := e.s.ScanPage("users", 1)
	if err != nil || len(page) != 1 {
		t.Fatalf("ScanPage %v %v", page, err)
	}
	g := e.mustRaw(t, "GetItem", `{"TableName":"users","Key":{"id":{"S":"b"},"v":{"N":"2"}}}`)
	if fmt.Sprint(g["Item"].(map[string]any)["m"]) != "map[M:map[k:map[N:1.5]]]" {
		t.Errorf("plain JSON seed item %v", g)
	}
}
