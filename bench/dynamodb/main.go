// Command dynamodb benchmarks slsx's DynamoDB emulator against moto_server
// and against an HTTP server that answers instantly with a canned body (the
// ceiling the SDK client itself imposes). Each scenario runs N concurrent
// aws-sdk-go-v2 clients for a fixed duration and prints calls per second
// and latency percentiles.
//
//	go run ./bench/dynamodb -duration 5s -clients 8
//
// The servers run in child processes (this binary with -serve) and the
// targets take turns in short rounds (package benchkit).
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
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slsx/slsx/bench/internal/benchkit"
	"github.com/slsx/slsx/emulator/awsapi"
	ddb "github.com/slsx/slsx/emulator/dynamodb"
)

func main() { os.Exit(run()) }

type target struct {
	name string
	url  string
	stop func()
	dbs  []*dynamodb.Client // one per concurrent client, kept across rounds like a handler keeps its client
}

// result is one line of the table: a target's figures for one operation.
type result struct {
	target, op string
	benchkit.Sample
}

func run() int {
	duration := flag.Duration("duration", 5*time.Second, "how long each scenario runs")
	clients := flag.Int("clients", 8, "concurrent SDK clients")
	only := flag.String("targets", "slsx,moto,instant", "comma-separated targets to run")
	dataDir := flag.String("data", "", "data directory for slsx (default: a temporary one, so writes go to the log as in `slsx dev`)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the client process to this file")
	serverProfile := flag.String("server-cpuprofile", "", "write a CPU profile of the slsx server process to this file")
	rounds := flag.Int("rounds", 4, "interleave the targets in this many slices of -duration each, so a change in machine load hits them alike")
	inProcess := flag.Bool("inprocess", false, "run slsx and the instant server inside the benchmark process instead of one child process each")
	baseline := flag.String("baseline", "", "also run slsx from this build of the benchmark (e.g. one built from the last commit) as the target \"baseline\", for a before/after in one run")
	serve := flag.String("serve", "", "internal: serve one target (slsx or instant) and print its URL")
	flag.Parse()
	if *serve != "" {
		return benchkit.ServeChild(*serverProfile, func() (string, func(), error) {
			t, err := startServer(*serve, *dataDir)
			return t.url, t.stop, err
		})
	}
	stopProfile, err := benchkit.StartProfile(*cpuProfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopProfile()

	names := strings.Split(*only, ",")
	if *baseline != "" {
		names = append(names, "baseline")
	}
	var targets []target
	for _, name := range names {
		var t target
		var err error
		switch {
		case name == "moto":
			t, err = startMoto()
		case name == "baseline":
			t, err = startChild(*baseline, "slsx", "", "") // its own temporary directory
			t.name = "baseline"
		case *inProcess:
			t, err = startServer(name, *dataDir)
		default:
			t, err = startChild("", name, *dataDir, *serverProfile)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v (skipped)\n", name, err)
			continue
		}
		defer t.stop()
		if err := setup(client(t.url)); err != nil {
			fmt.Fprintf(os.Stderr, "%s: setup: %v\n", t.name, err)
			continue
		}
		for i := 0; i < *clients; i++ {
			t.dbs = append(t.dbs, client(t.url))
		}
		targets = append(targets, t)
	}
	load0 := benchkit.Loadavg()
	var results []result
	for _, op := range []string{"PutItem", "GetItem", "Query-20-items"} {
		byTarget, _ := benchkit.Interleave(len(targets), *rounds, *duration, func(i, round int, turn time.Duration) (benchkit.Sample, error) {
			return measure(targets[i], op, turn, round), nil
		})
		for i, t := range targets {
			results = append(results, result{target: t.name, op: op, Sample: byTarget[i]})
		}
	}
	load1 := benchkit.Loadavg()
	mode := "each server in its own process"
	if *inProcess {
		mode = "servers in the client's process"
	}
	fmt.Printf("%d clients, %s per target and op in %d interleaved rounds, %s\nload average before %s, after %s\n\n", *clients, *duration, max(*rounds, 1), mode, load0, load1)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "target\top\tcalls/s\tp50\tp99\terrors\t%% of instant\tslsx is\t\n")
	ceiling, slsxRate := map[string]float64{}, map[string]float64{}
	for _, r := range results {
		switch r.target {
		case "instant":
			ceiling[r.op] = r.Rate()
		case "slsx":
			slsxRate[r.op] = r.Rate()
		}
	}
	for _, r := range results {
		rate := r.Rate()
		pct, times := "-", "-"
		if c := ceiling[r.op]; c > 0 {
			pct = fmt.Sprintf("%.0f%%", 100*rate/c)
		}
		if s := slsxRate[r.op]; s > 0 && rate > 0 {
			times = fmt.Sprintf("%.1fx", s/rate)
		}
		fmt.Fprintf(w, "%s\t%s\t%.0f\t%s\t%s\t%d\t%s\t%s\t\n", r.target, r.op, rate, pctl(r.Sample, 0.50), pctl(r.Sample, 0.99), r.Errs, pct, times)
	}
	w.Flush()
	return 0
}

// startChild runs the target in a child process: this binary with
// -serve, or exe (a baseline build) when set.
func startChild(exe, name, dataDir, profile string) (target, error) {
	args := []string{"-serve", name}
	if dataDir != "" {
		args = append(args, "-data", dataDir)
	}
	if name == "slsx" && profile != "" {
		args = append(args, "-server-cpuprofile", profile)
	}
	url, stop, err := benchkit.StartChild(exe, args...)
	if err != nil {
		return target{}, err
	}
	return target{name: name, url: url, stop: stop}, nil
}

func startServer(name, dataDir string) (target, error) {
	switch name {
	case "slsx":
		return startSlsx(dataDir)
	case "instant":
		return startInstant()
	}
	return target{}, fmt.Errorf("unknown target %q", name)
}

func pctl(s benchkit.Sample, p float64) string {
	if len(s.Lat) == 0 {
		return "-"
	}
	return s.Percentile(p).Round(time.Microsecond).String()
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

// measure has every client of t call op for d; the first error of the
// turn is reported on stderr and all are counted.
func measure(t target, op string, d time.Duration, round int) benchkit.Sample {
	ctx := context.Background()
	s := benchkit.Run(len(t.dbs), d, func(c, i int) error {
		db := t.dbs[c]
		switch op {
		case "PutItem":
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item(fmt.Sprintf("r%d-c%d-%d", round, c, i), i)})
			return err
		case "GetItem":
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "get"}, "sk": &types.AttributeValueMemberN{Value: "0"}}})
			if err == nil && out.Item == nil {
				err = errors.New("item missing")
			}
			return err
		default:
			out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :p"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "query"}}})
			if err == nil && len(out.Items) != 20 {
				err = fmt.Errorf("query returned %d items", len(out.Items))
			}
			return err
		}
	})
	if s.FirstErr != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", t.name, op, s.FirstErr)
	}
	return s
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
	url, stop, err := benchkit.StartMoto()
	if err != nil {
		return target{}, err
	}
	return target{name: "moto", url: url, stop: stop}, nil
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
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b)
	})}
	go srv.Serve(ln)
	return target{name: "instant", url: url, stop: func() { srv.Close() }}, nil
}
