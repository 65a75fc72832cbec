package slsxcontainer_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/docker/docker/client"
	"github.com/slsx/slsx/slsxcontainer"
)

// image is the slsx image built from this checkout in TestMain.
var image string

// TestMain builds the image once. Without a reachable Docker daemon every
// test (and the Example) is skipped, unless SLSX_REQUIRE_DOCKER=1.
func TestMain(m *testing.M) {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		// Ryuk (the reaper) is an image to pull; tests terminate their
		// containers themselves.
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if _, err := net.InterfaceByName("docker0"); err == nil && os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		// The daemon's bridge is in this network namespace (a daemon on
		// this machine, even when these tests run in a container), so
		// published ports are on loopback; testcontainers would otherwise
		// guess this container's default gateway.
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	err := dockerReachable(ctx)
	if err != nil {
		cancel()
		if os.Getenv("SLSX_REQUIRE_DOCKER") == "1" {
			fmt.Fprintln(os.Stderr, "docker required:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "skipping slsxcontainer tests: docker:", err)
		os.Exit(0)
	}
	image, err = slsxcontainer.BuildImage(ctx, "..")
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func dockerReachable(ctx context.Context) error {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Ping(ctx)
	return err
}

// ExampleRun starts slsx, creates a table and a topic, writes an item and
// publishes a message through aws-sdk-go-v2.
func ExampleRun() {
	ctx := context.Background()
	c, err := slsxcontainer.Run(ctx, image,
		slsxcontainer.WithInMemory(),
		slsxcontainer.WithTables(&dynamodb.CreateTableInput{
			TableName:            aws.String("users"),
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			BillingMode:          types.BillingModePayPerRequest,
		}),
		slsxcontainer.WithTopics("orders"),
	)
	defer c.Terminate(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := c.AWSConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	db := dynamodb.NewFromConfig(cfg)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("users"), Item: map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "42"}, "name": &types.AttributeValueMemberS{Value: "Ada"},
	}}); err != nil {
		fmt.Println(err)
		return
	}
	got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("users"), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "42"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("name:", got.Item["name"].(*types.AttributeValueMemberS).Value)
	fmt.Println("topic:", c.Topics["orders"])
	out, err := sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{TopicArn: aws.String(c.Topics["orders"]), Message: aws.String("order 1 placed")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("published:", aws.ToString(out.MessageId) != "")
	// Output:
	// name: Ada
	// topic: arn:aws:sns:us-east-1:000000000000:orders
	// published: true
}

func TestEndpointAndPersistence(t *testing.T) {
	ctx := context.Background()
	c, err := slsxcontainer.Run(ctx, image) // default: state in /data
	t.Cleanup(func() {
		if err := c.Terminate(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := c.Endpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(cfg.BaseEndpoint) != ep || cfg.Region != "us-east-1" {
		t.Errorf("config endpoint %q region %q, want %q us-east-1", aws.ToString(cfg.BaseEndpoint), cfg.Region, ep)
	}
	// An unknown table gets DynamoDB's own error over the wire.
	_, err = dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("describe missing table: %v", err)
	}
}

func TestRunBadImage(t *testing.T) {
	_, err := slsxcontainer.Run(context.Background(), "slsx-no-such-image:never")
	if err == nil {
		t.Fatal("no error for a missing image")
	}
}

func TestEndpointOfNil(t *testing.T) {
	var c *slsxcontainer.Container
	if _, err := c.Endpoint(context.Background()); err == nil {
		t.Fatal("no error")
	}
}
