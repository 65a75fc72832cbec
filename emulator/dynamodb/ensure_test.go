package dynamodb

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/slsx/slsx/emulator/config"
)

// A project that adds a stream to an existing table, or fixes its label the
// way a SAM template's !GetAtt T.StreamArn does, gets that stream on the
// next EnsureTable; the table keeps its items, and the label survives a
// restart.
func TestEnsureTableStream(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	plain := &config.Table{Name: "orders", HashKey: config.KeyAttr{Name: "id", Type: "S"}}
	withStream := *plain
	withStream.StreamView, withStream.StreamLabel = "NEW_IMAGE", "1970-01-01T00:00:00.000"
	wantARN := "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/1970-01-01T00:00:00.000"

	e := newEnv(t, Options{DataDir: dir})
	if err := e.s.EnsureTable(plain); err != nil {
		t.Fatal(err)
	}
	e.mustRaw(t, "PutItem", `{"TableName":"orders","Item":{"id":{"S":"before"}}}`)
	if err := e.s.EnsureTable(&withStream); err != nil {
		t.Fatal(err)
	}
	e.mustRaw(t, "PutItem", `{"TableName":"orders","Item":{"id":{"S":"after"}}}`)
	streamARN := func(e *env) string {
		t.Helper()
		out, err := e.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
		if err != nil {
			t.Fatal(err)
		}
		if n := aws.ToInt64(out.Table.ItemCount); n != 2 {
			t.Errorf("ItemCount = %d, want 2 (adding a stream must keep the items)", n)
		}
		if v := out.Table.StreamSpecification; v == nil || !aws.ToBool(v.StreamEnabled) || v.StreamViewType != "NEW_IMAGE" {
			t.Errorf("StreamSpecification = %+v, want enabled NEW_IMAGE", v)
		}
		return aws.ToString(out.Table.LatestStreamArn)
	}
	if got := streamARN(e); got != wantARN {
		t.Fatalf("LatestStreamArn = %q, want %q", got, wantARN)
	}
	ds, err := e.st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(wantARN)})
	if err != nil {
		t.Fatal(err)
	}
	it, err := e.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(wantARN),
		ShardId: ds.StreamDescription.Shards[0].ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := e.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Records) != 1 || !strings.Contains(recs.Records[0].Dynamodb.Keys["id"].(*streamtypes.AttributeValueMemberS).Value, "after") {
		t.Errorf("stream records = %+v, want the one write made after the stream was enabled", recs.Records)
	}

	// Restart: same data dir, same model. Nothing changes.
	e.s.Close()
	e2 := newEnv(t, Options{DataDir: dir})
	if err := e2.s.EnsureTable(&withStream); err != nil {
		t.Fatal(err)
	}
	if got := streamARN(e2); got != wantARN {
		t.Errorf("after restart LatestStreamArn = %q, want %q", got, wantARN)
	}
	// A model without a stream leaves the table's stream alone.
	if err := e2.s.EnsureTable(plain); err != nil {
		t.Fatal(err)
	}
	if got := streamARN(e2); got != wantARN {
		t.Errorf("model without stream: LatestStreamArn = %q, want %q", got, wantARN)
	}
}
