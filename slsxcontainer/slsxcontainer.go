// Package slsxcontainer runs slsx in a container for tests, with
// testcontainers-go: DynamoDB, DynamoDB Streams, SNS and the Lambda API on
// one port, and an aws.Config pointed at it.
//
//	c, err := slsxcontainer.Run(ctx, "slsx:latest", slsxcontainer.WithInMemory())
//	defer c.Terminate(ctx)
//	cfg, err := c.AWSConfig(ctx)
//	db := dynamodb.NewFromConfig(cfg)
package slsxcontainer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Port is the AWS edge port inside the container.
const Port = "4566/tcp"

// Region and dummy credentials of the returned aws.Config: slsx accepts any
// credentials, the SDK only needs some to sign.
const (
	Region          = "us-east-1"
	AccessKeyID     = "slsx"
	SecretAccessKey = "slsx"
)

// startupTimeout bounds the wait for the edge to answer; slsx starts in
// well under a second, the rest is headroom for a loaded CI machine.
const startupTimeout = 30 * time.Second

// tableWait bounds the wait for created tables to become ACTIVE.
const tableWait = 30 * time.Second

// ProjectDir is where WithProject mounts the project inside the container.
const ProjectDir = "/project"

// Container is a running slsx container. It is not itself a
// testcontainers.Container (its Endpoint takes no protocol); the
// underlying one is Container.Container.
type Container struct {
	Container *testcontainers.DockerContainer
	// Topics maps each topic created by WithTopics to its ARN.
	Topics map[string]string
}

type settings struct {
	args    []string
	tables  []*dynamodb.CreateTableInput
	topics  []string
	project string
	custom  []testcontainers.ContainerCustomizer
}

// Option configures Run.
type Option func(*settings)

// WithInMemory keeps nothing on disk (slsx serve --in-memory).
func WithInMemory() Option { return func(s *settings) { s.args = append(s.args, "--in-memory") } }

// WithTables creates these tables once slsx answers.
func WithTables(tables ...*dynamodb.CreateTableInput) Option {
	return func(s *settings) { s.tables = append(s.tables, tables...) }
}

// WithTopics creates these SNS topics once slsx answers; their ARNs are in
// Container.Topics.
func WithTopics(names ...string) Option {
	return func(s *settings) { s.topics = append(s.topics, names...) }
}

// WithProject mounts the slsx project in dir at /project and serves its
// functions, APIs, tables and topics (slsx serve --project /project).
func WithProject(dir string) Option {
	return func(s *settings) { s.project = dir }
}

// WithCustomizer passes a testcontainers option through (environment,
// network, log consumer...).
func WithCustomizer(c ...testcontainers.ContainerCustomizer) Option {
	return func(s *settings) { s.custom = append(s.custom, c...) }
}

// Run starts image (an slsx image, see the repository's Dockerfile) and
// returns once the AWS edge answers and the requested tables and topics
// exist. On error after the container started, the container is returned
// too, so the caller can terminate it.
func Run(ctx context.Context, image string, opts ...Option) (*Container, error) {
	var s settings
	for _, o := range opts {
		o(&s)
	}
	custom := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(Port),
		// Any HTTP answer means the edge is up: a GET / is not an AWS call
		// and gets an error document.
		testcontainers.WithWaitStrategy(wait.ForHTTP("/").WithPort(Port).WithForcedIPv4LocalHost().
			WithStatusCodeMatcher(func(int) bool { return true }).WithStartupTimeout(startupTimeout)),
	}
	args := s.args
	if s.project != "" {
		abs, err := filepath.Abs(s.project)
		if err != nil {
			return nil, fmt.Errorf("project dir: %w", err)
		}
		custom = append(custom, testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.Binds = append(hc.Binds, abs+":"+ProjectDir)
		}))
		args = append(args, "--project", ProjectDir)
	}
	if len(args) > 0 {
		custom = append(custom, testcontainers.WithCmdArgs(args...))
	}
	custom = append(custom, s.custom...)
	dc, err := testcontainers.Run(ctx, image, custom...)
	var c *Container
	if dc != nil {
		c = &Container{Container: dc, Topics: map[string]string{}}
	}
	if err != nil {
		return c, fmt.Errorf("run slsx container: %w", err)
	}
	if err := c.seed(ctx, s); err != nil {
		return c, err
	}
	return c, nil
}

func (c *Container) seed(ctx context.Context, s settings) error {
	if len(s.tables) == 0 && len(s.topics) == 0 {
		return nil
	}
	cfg, err := c.AWSConfig(ctx)
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(cfg)
	for _, t := range s.tables {
		if _, err := db.CreateTable(ctx, t); err != nil {
			return fmt.Errorf("create table %s: %w", aws.ToString(t.TableName), err)
		}
	}
	if len(s.tables) > 0 {
		w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay = 100 * time.Millisecond
			o.MaxDelay = time.Second
		})
		for _, t := range s.tables {
			if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: t.TableName}, tableWait); err != nil {
				return fmt.Errorf("wait for table %s: %w", aws.ToString(t.TableName), err)
			}
		}
	}
	client := sns.NewFromConfig(cfg)
	for _, name := range s.topics {
		out, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
		if err != nil {
			return fmt.Errorf("create topic %s: %w", name, err)
		}
		c.Topics[name] = aws.ToString(out.TopicArn)
	}
	return nil
}

// Endpoint is the AWS edge URL on the host, e.g. http://127.0.0.1:32768.
func (c *Container) Endpoint(ctx context.Context) (string, error) {
	if c == nil || c.Container == nil {
		return "", errors.New("slsx container is not running")
	}
	return c.Container.PortEndpoint(ctx, Port, "http")
}

// Terminate stops and removes the container; nil and never-started
// containers are fine, so it can be deferred right after Run.
func (c *Container) Terminate(ctx context.Context) error {
	if c == nil || c.Container == nil {
		return nil
	}
	return c.Container.Terminate(ctx)
}

// AWSConfig returns an aws.Config for aws-sdk-go-v2 clients of any service
// slsx serves: region us-east-1, static dummy credentials, BaseEndpoint the
// container's edge.
func (c *Container) AWSConfig(ctx context.Context) (aws.Config, error) {
	ep, err := c.Endpoint(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(ep),
	}, nil
}
