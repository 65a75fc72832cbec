package dynamodb

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slsx/slsx/internal/wirebench"
)

// benchItemJSON is a ~1 KB item in wire JSON.
func benchItemJSON(pk string) string {
	return `{"pk":{"S":"` + pk + `"},"name":{"S":"benchmark item"},"count":{"N":"12345"},"tags":{"SS":["a","b","c"]},"pad":{"S":"` + strings.Repeat("x", 900) + `"}}`
}

func benchPut(b *testing.B, h http.Handler, tbl string, i int) {
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"TableName":"`+tbl+`","Item":`+benchItemJSON(fmt.Sprint(i))+`}`))
	req.Header.Set("X-Amz-Target", targetDynamo+"PutItem")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("put: %d %s", rec.Code, rec.Body)
	}
}

func benchTable(b *testing.B, s *Service, name string) {
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"TableName":"`+name+`","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}`))
	req.Header.Set("X-Amz-Target", targetDynamo+"CreateTable")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("create: %s", rec.Body)
	}
}

// BenchmarkStartup100k measures New on a data directory holding 100,000
// items of about 1 KB (target: under 1 s).
func BenchmarkStartup100k(b *testing.B) {
	dir := b.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	benchTable(b, s, "big")
	h := s.Handler()
	for i := 0; i < 100_000; i++ {
		benchPut(b, h, "big", i)
	}
	s.Close()
	b.ResetTimer()
	for b.Loop() {
		s, err := New(Options{DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := s.Tables()[0].ItemCount; n != 100_000 {
			b.Fatalf("%d items after startup", n)
		}
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkMemoryPerItem reports the heap bytes one stored 1 KB item costs
// (target: under 3 KB).
func BenchmarkMemoryPerItem(b *testing.B) {
	for b.Loop() {
		s, _ := New(Options{})
		benchTable(b, s, "mem")
		h := s.Handler()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		const n = 50_000
		for i := 0; i < n; i++ {
			benchPut(b, h, "mem", i)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/item")
		b.ReportMetric(float64(len(benchItemJSON("12345"))), "item-json-bytes")
		runtime.KeepAlive(s)
		s.Close()
	}
}

// benchSDK runs op through 8 concurrent SDK clients over loopback.
func benchSDK(b *testing.B, op string) {
	e := newEnv(b, Options{DataDir: b.TempDir()})
	e.createSimple(b, "sdk", false, "")
	e.mustRaw(b, "PutItem", `{"TableName":"sdk","Item":`+benchItemJSON("get")+`}`)
	var n atomic.Int64
	b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 clients
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		db := dbClient(e.url)
		for pb.Next() {
			i := n.Add(1)
			var err error
			switch op {
			case "PutItem":
				_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("sdk"), Item: map[string]av{"pk": sv(fmt.Sprint(i)), "name": sv("benchmark item"),
					"count": nv("12345"), "pad": sv(strings.Repeat("x", 900))}})
			case "GetItem":
				_, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sdk"), Key: map[string]av{"pk": sv("get")}})
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPutItemSDK(b *testing.B) { benchSDK(b, "PutItem") }
func BenchmarkGetItemSDK(b *testing.B) { benchSDK(b, "GetItem") }

// BenchmarkPutItemHandler is the server side of a PutItem alone.
func BenchmarkPutItemHandler(b *testing.B) {
	s, _ := New(Options{DataDir: b.TempDir()})
	defer s.Close()
	benchTable(b, s, "hpt")
	h := s.Handler()
	i := 0
	for b.Loop() {
		benchPut(b, h, "hpt", i)
		i++
	}
}

// BenchmarkQuery20Handler is the server side of a 20-item Query alone.
func BenchmarkQuery20Handler(b *testing.B) {
	s, _ := New(Options{})
	defer s.Close()
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"TableName":"qry","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST"}`))
	req.Header.Set("X-Amz-Target", targetDynamo+"CreateTable")
	h := s.Handler()
	h.ServeHTTP(httptest.NewRecorder(), req)
	for i := 0; i < 20; i++ {
		it := strings.Replace(benchItemJSON("q"), `{"pk":{"S":"q"}`, fmt.Sprintf(`{"pk":{"S":"q"},"sk":{"N":"%d"}`, i), 1)
		req := httptest.NewRequest("POST", "/", strings.NewReader(`{"TableName":"qry","Item":`+it+`}`))
		req.Header.Set("X-Amz-Target", targetDynamo+"PutItem")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Body)
		}
	}
	body := `{"TableName":"qry","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"q"}}}`
	for b.Loop() {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", targetDynamo+"Query")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"Count":20`) {
			b.Fatal(rec.Body)
		}
	}
}

// BenchmarkGetItemHandler is the server side of a GetItem alone.
func BenchmarkGetItemHandler(b *testing.B) {
	s, _ := New(Options{})
	defer s.Close()
	benchTable(b, s, "get")
	h := s.Handler()
	benchPut(b, h, "get", 1)
	for b.Loop() {
		req := httptest.NewRequest("POST", "/", strings.NewReader(`{"TableName":"get","Key":{"pk":{"S":"1"}}}`))
		req.Header.Set("X-Amz-Target", targetDynamo+"GetItem")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Body)
		}
	}
}

// benchServer is the server's own cost of one operation: the exact bytes
// an SDK client sends, replayed over 8 keep-alive loopback connections by
// a client that does almost nothing (no signing, no JSON), so the time and
// the profile are the edge, net/http and the service.
func benchServer(b *testing.B, send func(db *dynamodb.Client) error) {
	e := newEnv(b, Options{DataDir: b.TempDir()})
	e.mustRaw(b, "CreateTable", `{"TableName":"srv","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST"}`)
	for i := 0; i < 20; i++ {
		it := strings.Replace(benchItemJSON("q"), `{"pk":{"S":"q"}`, fmt.Sprintf(`{"pk":{"S":"q"},"sk":{"N":"%d"}`, i), 1)
		e.mustRaw(b, "PutItem", `{"TableName":"srv","Item":`+it+`}`)
	}
	var raw []byte
	db := dynamodb.NewFromConfig(awsConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(e.url)
		o.HTTPClient = &http.Client{Transport: wirebench.Capture(func(req []byte) { raw = req })}
	})
	if err := send(db); err != nil {
		b.Fatal(err)
	}
	wirebench.Replay(b, strings.TrimPrefix(e.url, "http://"), raw, "")
}

func BenchmarkPutItemServer(b *testing.B) {
	benchServer(b, func(db *dynamodb.Client) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("srv"), Item: map[string]av{"pk": sv("put"), "sk": nv("1"), "name": sv("benchmark item"),
			"count": nv("12345"), "tags": &types.AttributeValueMemberSS{Value: []string{"a", "b", "c"}}, "pad": sv(strings.Repeat("x", 900))}})
		return err
	})
}

func BenchmarkGetItemServer(b *testing.B) {
	benchServer(b, func(db *dynamodb.Client) error {
		_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("srv"), Key: map[string]av{"pk": sv("q"), "sk": nv("3")}})
		return err
	})
}

func BenchmarkQuery20Server(b *testing.B) {
	benchServer(b, func(db *dynamodb.Client) error {
		_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("srv"), KeyConditionExpression: aws.String("pk = :p"),
			ExpressionAttributeValues: map[string]av{":p": sv("q")}})
		return err
	})
}

// benchTx is the server side of a TransactWriteItems of four 1 KB puts,
// over one table or spread over two.
func benchTx(b *testing.B, tables int) {
	s, _ := New(Options{DataDir: b.TempDir()})
	defer s.Close()
	benchTable(b, s, "txa")
	benchTable(b, s, "txb")
	h := s.Handler()
	i := 0
	for b.Loop() {
		var sb strings.Builder
		sb.WriteString(`{"TransactItems":[`)
		for j := 0; j < 4; j++ {
			if j > 0 {
				sb.WriteByte(',')
			}
			tbl := "txa"
			if tables > 1 && j%2 == 1 {
				tbl = "txb"
			}
			sb.WriteString(`{"Put":{"TableName":"` + tbl + `","Item":` + benchItemJSON(fmt.Sprint(i, "-", j)) + `}}`)
		}
		sb.WriteString(`]}`)
		req := httptest.NewRequest("POST", "/", strings.NewReader(sb.String()))
		req.Header.Set("X-Amz-Target", targetDynamo+"TransactWriteItems")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("tx: %d %s", rec.Code, rec.Body)
		}
		i++
	}
}

func BenchmarkTransactWrite1TableHandler(b *testing.B)  { benchTx(b, 1) }
func BenchmarkTransactWrite2TablesHandler(b *testing.B) { benchTx(b, 2) }

// BenchmarkPutItemStreamHandler is PutItem on a table with a
// NEW_AND_OLD_IMAGES stream, whose records are logged with the item.
func BenchmarkPutItemStreamHandler(b *testing.B) {
	s, _ := New(Options{DataDir: b.TempDir()})
	defer s.Close()
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"TableName":"spt","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}`))
	req.Header.Set("X-Amz-Target", targetDynamo+"CreateTable")
	h := s.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("create: %s", rec.Body)
	}
	i := 0
	for b.Loop() {
		benchPut(b, h, "spt", i%1000)
		i++
	}
}
