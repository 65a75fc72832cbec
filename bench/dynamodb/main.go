// Command dynamodb benchmarks slsx's DynamoDB emulator against moto_server
// and against an HTTP server that answers instantly with a canned body (the
// ceiling the SDK client itself imposes). Each scenario runs N concurrent
// aws-sdk-go-v2 clients for a fixed duration and prints calls per second
// and latency percentiles.
//
//	go run ./bench/dynamodb -duration 5s -clients 8
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slsx/slsx/emulator/awsapi"
	ddb "github.com/slsx/slsx/emulator/dynamodb"
)

func main() { os.Exit(run()) }

type target struct {
	name string
	url  string
	stop func()
}

type result struct {
	target, op string
	calls      int
	errs       int
	dur        time.Duration
	lat        []time.Duration
}

func run() int {
	duration := flag.Duration("duration", 5*time.Second, "how long each scenario runs")
	clients := flag.Int("clients", 8, "concurrent SDK clients")
	only := flag.String("targets", "slsx,moto,instant", "comma-separated targets to run")
	dataDir := flag.String("data", "", "data directory for slsx (default: a temporary one, so writes go to the log as in `slsx dev`)")
	flag.Parse()

	var targets []target
	for _, name := range strings.Split(*only, ",") {
		var t target
		var err error
		switch name {
		case "slsx":
			t, err = startSlsx(*dataDir)
		case "moto":
			t, err = startMoto()
		case "instant":
			t, err = startInstant()
		default:
			err = fmt.Errorf("unknown target %q", name)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v (skipped)\n", name, err)
			continue
		}
		targets = append(targets, t)
	}
	defer func() {
		for _, t := range targets {
			t.stop()
		}
	}()
	var results []result
	for _, t := range targets {
		db := client(t.url)
		if err := setup(db); err != nil {
			fmt.Fprintf(os.Stderr, "%s: setup: %v\n", t.name, err)
			continue
		}
		for _, op := range []string{"PutItem", "GetItem", "Query-20-items"} {
			results = append(results, measure(t.name, op, t.url, *clients, *duration))
		}
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "target\top\tcalls/s\tp50\tp99\terrors\t%% of instant\t\n")
	ceiling := map[string]float64{}
	for _, r := range results {
		if r.target == "instant" {
			ceiling[r.op] = float64(r.calls) / r.dur.Seconds()
		}
	}
	for _, r := range results {
		rate := float64(r.calls) / r.dur.Seconds()
		pct := "-"
		if c := ceiling[r.op]; c > 0 {
			pct = fmt.Sprintf("%.0f%%", 100*rate/c)
		}
		fmt.Fprintf(w, "%s\t%s\t%.0f\t%s\t%s\t%d\t%s\t\n", r.target, r.op, rate, pctl(r.lat, 0.50), pctl(r.lat, 0.99), r.errs, pct)
	}
	w.Flush()
	return 0
}

func pctl(l []time.Duration, p float64) string {
	if len(l) == 0 {
		return "-"
	}
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return l[int(p*float64(len(l)-1))].Round(time.Microsecond).String()
}

func client(url string) *dynamodb.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
}

const table = "bench"

// item is a ~1 KB item.
func item(pk string, sk int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":    &types.AttributeValueMemberS{Value: pk},
		"sk":    &types.AttributeValueMemberN{Value: strconv.Itoa(sk)},
		"name":  &types.AttributeValueMemberS{Value: "benchmark item " + pk},
		"count": &types.AttributeValueMemberN{Value: "12345"},
		"tags":  &types.AttributeValueMemberSS{Value: []string{"a", "b", "c"}},
		"pad":   &types.AttributeValueMemberS{Value: strings.Repeat("x", 900)},
	}
}

func setup(db *dynamodb.Client) error {
	ctx := context.Background()
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		BillingMode:          types.BillingModePayPerRequest})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return err
	}
	for i := 0; i < 20; i++ {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("query", i)}); err != nil {
			return err
		}
	}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item("get", 0)})
	return err
}

func measure(name, op, url string, clients int, d time.Duration) result {
	var mu sync.Mutex
	res := result{target: name, op: op}
	var calls, errs atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			db := client(url)
			ctx := context.Background()
			var lat []time.Duration
			for i := 0; time.Now().Before(deadline); i++ {
				start := time.Now()
				var err error
				switch op {
				case "PutItem":
					_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item(fmt.Sprintf("c%d-%d", c, i), i)})
				case "GetItem":
					var out *dynamodb.GetItemOutput
					out, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
						"pk": &types.AttributeValueMemberS{Value: "get"}, "sk": &types.AttributeValueMemberN{Value: "0"}}})
					if err == nil && out.Item == nil {
						err = errors.New("item missing")
					}
				default:
					var out *dynamodb.QueryOutput
					out, err = db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :p"),
						ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "query"}}})
					if err == nil && len(out.Items) != 20 {
						err = fmt.Errorf("query returned %d items", len(out.Items))
					}
				}
				lat = append(lat, time.Since(start))
				calls.Add(1)
				if err != nil {
					if errs.Add(1) == 1 {
						fmt.Fprintf(os.Stderr, "%s %s: %v\n", name, op, err)
					}
				}
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	res.calls, res.errs, res.dur = int(calls.Load()), int(errs.Load()), d
	return res
}

func listen() (net.Listener, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	return ln, "http://" + ln.Addr().String(), nil
}

func startSlsx(dir string) (target, error) {
	cleanup := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "slsx-bench-")
		if err != nil {
			return target{}, err
		}
		dir = tmp
		cleanup = func() { os.RemoveAll(tmp) }
	}
	s, err := ddb.New(ddb.Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		cleanup()
		return target{}, err
	}
	ln, url, err := listen()
	if err != nil {
		return target{}, err
	}
	srv := &http.Server{Handler: &awsapi.Edge{DynamoDB: s.Handler()}, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return target{name: "slsx", url: url, stop: func() { srv.Close(); s.Close(); cleanup() }}, nil
}

func startMoto() (target, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return target{}, err
	}
	ln, url, err := listen()
	if err != nil {
		return target{}, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(path, "-p", port, "-H", "127.0.0.1")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return target{}, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	for i := 0; i < 300; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			return target{name: "moto", url: url, stop: stop}, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return target{}, errors.New("moto_server did not start")
}

// startInstant serves canned, valid answers without doing any work.
func startInstant() (target, error) {
	itemJSON := `{"pk":{"S":"get"},"sk":{"N":"0"},"name":{"S":"benchmark item get"},"count":{"N":"12345"},"tags":{"SS":["a","b","c"]},"pad":{"S":"` + strings.Repeat("x", 900) + `"}}`
	var q []string
	for i := 0; i < 20; i++ {
		q = append(q, itemJSON)
	}
	bodies := map[string][]byte{
		"DynamoDB_20120810.CreateTable": []byte(`{"TableDescription":{"TableName":"bench","TableStatus":"ACTIVE"}}`),
		"DynamoDB_20120810.PutItem":     []byte(`{}`),
		"DynamoDB_20120810.GetItem":     []byte(`{"Item":` + itemJSON + `}`),
		"DynamoDB_20120810.Query":       []byte(`{"Items":[` + strings.Join(q, ",") + `],"Count":20,"ScannedCount":20}`),
	}
	crcs := map[string]string{}
	for k, b := range bodies {
		crcs[k] = strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10)
	}
	ln, url, err := listen()
	if err != nil {
		return target{}, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		tgt := r.Header.Get("X-Amz-Target")
		b, ok := bodies[tgt]
		if !ok {
			tgt = "DynamoDB_20120810.PutItem"
			b = bodies[tgt]
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("x-amz-crc32", crcs[tgt])
		w.Header().Set("x-amzn-RequestId", "instant")
		_, _ = w.Write(b)
	})}
	go srv.Serve(ln)
	return target{name: "instant", url: url, stop: func() { srv.Close() }}, nil
}
