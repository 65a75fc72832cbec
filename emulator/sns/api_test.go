package sns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

var ctx = context.Background() // read-only test context

func TestCreateTopicIdempotentAndAttributes(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "orders", map[string]string{"DisplayName": "Orders"})
	if arn != "arn:aws:sns:us-east-1:000000000000:orders" {
		t.Fatalf("arn = %s", arn)
	}
	if again := e.createTopic(t, "orders", map[string]string{"DisplayName": "Orders"}); again != arn {
		t.Fatalf("second CreateTopic = %s", again)
	}
	if again := e.createTopic(t, "orders", nil); again != arn {
		t.Fatalf("CreateTopic without attributes = %s", again)
	}
	_, err := e.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("orders"), Attributes: map[string]string{"DisplayName": "Other"}})
	wantAPIError(t, err, &types.InvalidParameterException{}, "Invalid parameter: Attributes Reason: Topic already exists with different attributes")

	_, err = e.client.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("orders"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	wantAPIError(t, err, &types.InvalidParameterException{}, "Invalid parameter: Tags Reason: Topic already exists with different tags")

	got, err := e.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"TopicArn": arn, "Owner": "000000000000", "DisplayName": "Orders",
		"SubscriptionsPending": "0", "SubscriptionsConfirmed": "0", "SubscriptionsDeleted": "0",
		"EffectiveDeliveryPolicy": defaultEffectiveDeliveryPolicy,
	}
	for k, v := range want {
		if got.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, got.Attributes[k], v)
		}
	}
	if !strings.Contains(got.Attributes["Policy"], `"Resource":"`+arn+`"`) {
		t.Errorf("Policy = %s", got.Attributes["Policy"])
	}
	if _, ok := got.Attributes["FifoTopic"]; ok {
		t.Error("standard topic reports FifoTopic")
	}

	_, err = e.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("DeliveryPolicy"),
		AttributeValue: aws.String(`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":2,"numRetries":5}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = e.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if !strings.Contains(got.Attributes["EffectiveDeliveryPolicy"], `"numRetries":5`) || !strings.Contains(got.Attributes["EffectiveDeliveryPolicy"], `"headerContentType":"text/plain; charset=UTF-8"`) {
		t.Errorf("EffectiveDeliveryPolicy = %s", got.Attributes["EffectiveDeliveryPolicy"])
	}
	if got.Attributes["DeliveryPolicy"] == "" {
		t.Error("DeliveryPolicy not returned once set")
	}
}

// wantAPIError checks the typed error and its message.
func wantAPIError[T error](t *testing.T, err error, target T, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %T %q", target, msg)
	}
	if !errors.As(err, &target) {
		t.Fatalf("error %v is not %T", err, target)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an APIError", err)
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("message = %q, want %q", ae.ErrorMessage(), msg)
	}
}

func TestTypedErrors(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "t1", nil)
	missing := "arn:aws:sns:us-east-1:000000000000:missing"
	tooMany := make([]types.PublishBatchRequestEntry, 11)
	for i := range tooMany {
		tooMany[i] = types.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), Message: aws.String("m")}
	}
	tags51 := make([]types.Tag, 51)
	for i := range tags51 {
		tags51[i] = types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
	}
	big := strings.Repeat("x", 200000)
	tests := []struct {
		name string
		call func() error
		want error
		msg  string
	}{
		{"NotFound topic attrs", func() error {
			_, err := e.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(missing)})
			return err
		}, &types.NotFoundException{}, "Topic does not exist"},
		{"NotFound publish", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(missing), Message: aws.String("x")})
			return err
		}, &types.NotFoundException{}, "Topic does not exist"},
		{"NotFound subscription", func() error {
			_, err := e.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn + ":0f6c3c9e-4b0a-4c5e-9d6f-1b2c3d4e5f60")})
			return err
		}, &types.NotFoundException{}, "Subscription does not exist"},
		{"bad topic name", func() error {
			_, err := e.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("bad name")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Topic Name"},
		{"fifo name without attribute", func() error {
			_, err := e.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("x.fifo")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Topic Name"},
		{"malformed topic arn", func() error {
			_, err := e.client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String("nope")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: TopicArn"},
		{"unknown set attribute", func() error {
			_, err := e.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("FifoTopic"), AttributeValue: aws.String("true")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: AttributeName"},
		{"empty message", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Empty message"},
		{"message too long", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(big + big)})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Message too long"},
		{"bad attribute type", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Blob"), StringValue: aws.String("x")}}})
			return err
		}, &types.InvalidParameterValueException{}, "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."},
		{"binary without binary", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Binary"), StringValue: aws.String("x")}}})
			return err
		}, &types.InvalidParameterValueException{}, "The message attribute 'a' with type 'Binary' must use field 'Binary'."},
		{"empty string attribute", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String"), StringValue: aws.String("")}}})
			return err
		}, &types.InvalidParameterValueException{}, "The message attribute 'a' must contain non-empty message attribute value for message attribute type 'String'."},
		{"successive dots", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"a..b": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
			return err
		}, &types.InvalidParameterValueException{}, "Message attribute name can not have successive '.' character."},
		{"ResourceNotFound tags", func() error {
			_, err := e.client.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: aws.String(missing)})
			return err
		}, &types.ResourceNotFoundException{}, ""},
		{"TagLimitExceeded", func() error {
			_, err := e.client.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags51})
			return err
		}, &types.TagLimitExceededException{}, ""},
		{"duplicate tag keys", func() error {
			_, err := e.client.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Duplicated keys are not allowed."},
		{"TooManyEntriesInBatchRequest", func() error {
			_, err := e.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: tooMany})
			return err
		}, &types.TooManyEntriesInBatchRequestException{}, "The batch request contains more entries than permissible."},
		{"BatchEntryIdsNotDistinct", func() error {
			_, err := e.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
				{Id: aws.String("a"), Message: aws.String("1")}, {Id: aws.String("a"), Message: aws.String("2")}}})
			return err
		}, &types.BatchEntryIdsNotDistinctException{}, "Two or more batch entries in the request have the same Id."},
		{"InvalidBatchEntryId", func() error {
			_, err := e.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
				{Id: aws.String("a b"), Message: aws.String("1")}}})
			return err
		}, &types.InvalidBatchEntryIdException{}, "The Id of a batch entry in a batch request contains an impermissible character: a b"},
		{"BatchRequestTooLong", func() error {
			_, err := e.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
				{Id: aws.String("a"), Message: aws.String(big)}, {Id: aws.String("b"), Message: aws.String(big)}}})
			return err
		}, &types.BatchRequestTooLongException{}, "The length of all the messages put together is more than the limit."},
		{"unknown protocol", func() error {
			_, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("pigeon"), Endpoint: aws.String("x")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Amazon SNS does not support this protocol string: pigeon"},
		{"endpoint mismatch", func() error {
			_, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("https"), Endpoint: aws.String("http://x")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Endpoint must match the specified protocol"},
		{"raw on lambda", func() error {
			_, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"),
				Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f"), Attributes: map[string]string{"RawMessageDelivery": "true"}})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Attributes Reason: Delivery protocol [lambda] does not support raw message delivery."},
		{"bad filter policy subscribe", func() error {
			_, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"),
				Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f"), Attributes: map[string]string{"FilterPolicy": `{"a":"b"}`}})
			return err
		}, &types.InvalidParameterException{}, `Invalid parameter: Attributes Reason: FilterPolicy: "a" must be an object or an array`},
		{"fifo sqs on standard", func() error {
			_, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:us-east-1:000000000000:q.fifo")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"},
		{"malformed sub arn", func() error {
			_, err := e.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String("bogus")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: SubscriptionId"},
		{"bad token", func() error {
			_, err := e.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: aws.String(arn), Token: aws.String("nope")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Token"},
		{"dedup id on standard", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"), MessageDeduplicationId: aws.String("d")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"},
		{"structure without default", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(`{"lambda":"x"}`), MessageStructure: aws.String("json")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Message Structure - No default entry in JSON message body"},
		{"structure not json", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(`nope`), MessageStructure: aws.String("json")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Message Structure - JSON message body failed to parse"},
		{"subject with newline", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"), Subject: aws.String("a\nb")})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Subject"},
		{"subject too long", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"), Subject: aws.String(strings.Repeat("s", 100))})
			return err
		}, &types.InvalidParameterException{}, "Invalid parameter: Subject"},
		{"number attribute not number", func() error {
			_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("abc")}}})
			return err
		}, &types.InvalidParameterValueException{}, "Could not cast message attribute 'n' value to number."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, tt.call(), tt.want, tt.msg)
		})
	}
}

// TestErrorWireFormat checks the raw XML and headers of an error.
func TestErrorWireFormat(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := http.PostForm(e.url+"/", url.Values{"Action": {"GetTopicAttributes"}, "Version": {"2010-03-31"}, "TopicArn": {"arn:aws:sns:us-east-1:000000000000:none"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rid := resp.Header.Get("x-amzn-RequestId")
	want := `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>` + rid + `</RequestId></ErrorResponse>`
	if resp.StatusCode != 404 || string(body) != want || rid == "" || resp.Header.Get("Content-Type") != "text/xml" {
		t.Fatalf("status %d type %q body\n%s\nwant\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
	}
	// Empty results still carry the Result element; actions without an
	// output shape have none.
	arn := e.createTopic(t, "wire", nil)
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"Action": {"TagResource"}, "ResourceArn": {arn}, "Tags.member.1.Key": {"a"}, "Tags.member.1.Value": {"b"}}, "<TagResourceResult/><ResponseMetadata>"},
		{url.Values{"Action": {"UntagResource"}, "ResourceArn": {arn}, "TagKeys": {""}}, "<UntagResourceResult/><ResponseMetadata>"},
		{url.Values{"Action": {"SetTopicAttributes"}, "TopicArn": {arn}, "AttributeName": {"DisplayName"}, "AttributeValue": {"a<b"}}, `<SetTopicAttributesResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata>`},
		{url.Values{"Action": {"NoSuchThing"}}, "<Code>InvalidAction</Code>"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(c.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), c.want) {
			t.Errorf("%s: body %s lacks %s", c.form.Get("Action"), body, c.want)
		}
	}
	got, _ := e.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if got.Attributes["DisplayName"] != "a<b" {
		t.Errorf("DisplayName = %q", got.Attributes["DisplayName"])
	}
}

func TestListTopicsPaging(t *testing.T) {
	e := newEnv(t, nil)
	for i := 0; i < 230; i++ {
		e.createTopic(t, fmt.Sprintf("t%03d", i), nil)
	}
	var all []string
	pages := 0
	p := awssns.NewListTopicsPaginator(e.client, &awssns.ListTopicsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Topics) > 100 {
			t.Fatalf("page of %d", len(out.Topics))
		}
		for _, tp := range out.Topics {
			all = append(all, *tp.TopicArn)
		}
		if !p.HasMorePages() && out.NextToken != nil {
			t.Fatal("last page carries a NextToken")
		}
	}
	if pages != 3 || len(all) != 230 || all[0] != "arn:aws:sns:us-east-1:000000000000:t000" || all[229] != "arn:aws:sns:us-east-1:000000000000:t229" {
		t.Fatalf("pages=%d n=%d first=%s", pages, len(all), all[0])
	}
	_, err := e.client.ListTopics(ctx, &awssns.ListTopicsInput{NextToken: aws.String("!!!")})
	wantAPIError(t, err, &types.InvalidParameterException{}, "Invalid parameter: NextToken")

	if _, err := e.client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(all[0])}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(all[0])}); err != nil {
		t.Fatalf("DeleteTopic is idempotent: %v", err)
	}
	_, err = e.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(all[0])})
	wantAPIError(t, err, &types.NotFoundException{}, "Topic does not exist")
}

func TestSubscriptionsLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "subs", nil)
	fn := "arn:aws:lambda:us-east-1:000000000000:function:worker"
	out, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"), Endpoint: aws.String(fn),
		Attributes: map[string]string{"FilterPolicy": `{"c":["red"]}`}})
	if err != nil {
		t.Fatal(err)
	}
	subARN := *out.SubscriptionArn
	if !strings.HasPrefix(subARN, arn+":") || len(subARN) != len(arn)+1+36 {
		t.Fatalf("subscription arn %s", subARN)
	}
	again, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"), Endpoint: aws.String(fn)})
	if err != nil || *again.SubscriptionArn != subARN {
		t.Fatalf("resubscribe = %v, %v", again, err)
	}
	_, err = e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"), Endpoint: aws.String(fn),
		Attributes: map[string]string{"FilterPolicy": `{"c":["blue"]}`}})
	wantAPIError(t, err, &types.InvalidParameterException{}, "Invalid parameter: Attributes Reason: Subscription already exists with different attributes")

	// A pending http subscription (nobody listens, so it stays pending).
	pend, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("http"), Endpoint: aws.String("http://127.0.0.1:1/hook")})
	if err != nil || *pend.SubscriptionArn != "pending confirmation" {
		t.Fatalf("pending subscribe = %v, %v", aws.ToString(pend.SubscriptionArn), err)
	}
	pend2, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("http"), Endpoint: aws.String("http://127.0.0.1:1/other"), ReturnSubscriptionArn: true})
	if err != nil || !strings.HasPrefix(*pend2.SubscriptionArn, arn+":") {
		t.Fatalf("ReturnSubscriptionArn = %v, %v", aws.ToString(pend2.SubscriptionArn), err)
	}

	attrs, err := e.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"SubscriptionArn": subARN, "TopicArn": arn, "Owner": "000000000000", "Protocol": "lambda", "Endpoint": fn,
		"PendingConfirmation": "false", "ConfirmationWasAuthenticated": "false", "RawMessageDelivery": "false", "FilterPolicy": `{"c":["red"]}`,
		"SubscriptionPrincipal": "arn:aws:iam::000000000000:root"} {
		if attrs.Attributes[k] != v {
			t.Errorf("%s = %q, want %q", k, attrs.Attributes[k], v)
		}
	}
	pattrs, _ := e.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: pend2.SubscriptionArn})
	if pattrs.Attributes["PendingConfirmation"] != "true" || !strings.Contains(pattrs.Attributes["EffectiveDeliveryPolicy"], `"numRetries":3`) {
		t.Errorf("pending attrs = %v", pattrs.Attributes)
	}

	for _, c := range []struct{ name, value, msg string }{
		{"FilterPolicy", `{"a":[]}`, "Invalid parameter: FilterPolicy: Empty arrays are not allowed"},
		{"RawMessageDelivery", "yes", "Invalid parameter: RawMessageDelivery: Invalid value [yes]. Must be true or false."},
		{"FilterPolicyScope", "MessageBody", ""},
		{"FilterPolicy", `{"a":{"b":["x"]}}`, ""},
		{"FilterPolicyScope", "MessageAttributes", "Invalid parameter: FilterPolicy: Filter policy scope MessageAttributes does not support nested filter policy"},
		{"RedrivePolicy", `{"deadLetterTargetArn":"nope"}`, "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"},
		{"Endpoint", "x", "Invalid parameter: AttributeName"},
	} {
		_, err := e.client.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN), AttributeName: aws.String(c.name), AttributeValue: aws.String(c.value)})
		if c.msg == "" {
			if err != nil {
				t.Errorf("Set %s=%s: %v", c.name, c.value, err)
			}
			continue
		}
		wantAPIError(t, err, &types.InvalidParameterException{}, c.msg)
	}

	list, err := e.client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	pendingShown, confirmed := 0, 0
	for _, s := range list.Subscriptions {
		if *s.SubscriptionArn == "PendingConfirmation" {
			pendingShown++
		} else if *s.SubscriptionArn == subARN && *s.Owner == "000000000000" && *s.Protocol == "lambda" && *s.Endpoint == fn && *s.TopicArn == arn {
			confirmed++
		}
	}
	if pendingShown != 2 || confirmed != 1 || list.NextToken != nil {
		t.Fatalf("ListSubscriptionsByTopic = %+v", list.Subscriptions)
	}
	ta, _ := e.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if ta.Attributes["SubscriptionsConfirmed"] != "1" || ta.Attributes["SubscriptionsPending"] != "2" {
		t.Errorf("topic counts = %v", ta.Attributes)
	}

	if _, err := e.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(subARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(subARN)}); err != nil {
		t.Fatalf("Unsubscribe is idempotent: %v", err)
	}
	_, err = e.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	wantAPIError(t, err, &types.NotFoundException{}, "Subscription does not exist")
	_, err = e.client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn + "x")})
	wantAPIError(t, err, &types.NotFoundException{}, "Topic does not exist")
}

func TestListSubscriptionsPaging(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "many", nil)
	for i := 0; i < 205; i++ {
		_, err := e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"),
			Endpoint: aws.String(fmt.Sprintf("arn:aws:lambda:us-east-1:000000000000:function:f%d", i))})
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	p := awssns.NewListSubscriptionsPaginator(e.client, &awssns.ListSubscriptionsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Subscriptions {
			seen[*s.SubscriptionArn] = true
		}
	}
	bp := awssns.NewListSubscriptionsByTopicPaginator(e.client, &awssns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	n := 0
	for bp.HasMorePages() {
		out, err := bp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Subscriptions)
	}
	if len(seen) != 205 || n != 205 {
		t.Fatalf("ListSubscriptions saw %d, ByTopic %d", len(seen), n)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "tagged", nil)
	_, err := e.client.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{
		{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagResource(ctx, &awssns.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.client.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tags) != 1 || *out.Tags[0].Key != "a" || *out.Tags[0].Value != "1" {
		t.Fatalf("tags = %+v", out.Tags)
	}
}

func TestPermissionsAndDataProtection(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "perm", nil)
	_, err := e.client.AddPermission(ctx, &awssns.AddPermissionInput{TopicArn: aws.String(arn), Label: aws.String("share"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := e.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if !strings.Contains(got.Attributes["Policy"], `"Sid":"share"`) || !strings.Contains(got.Attributes["Policy"], "arn:aws:iam::111122223333:root") {
		t.Fatalf("Policy = %s", got.Attributes["Policy"])
	}
	if _, err := e.client.RemovePermission(ctx, &awssns.RemovePermissionInput{TopicArn: aws.String(arn), Label: aws.String("share")}); err != nil {
		t.Fatal(err)
	}
	got, _ = e.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if strings.Contains(got.Attributes["Policy"], `"Sid":"share"`) {
		t.Fatal("statement not removed")
	}
	if _, err := e.client.PutDataProtectionPolicy(ctx, &awssns.PutDataProtectionPolicyInput{ResourceArn: aws.String(arn), DataProtectionPolicy: aws.String(`{"Name":"p"}`)}); err != nil {
		t.Fatal(err)
	}
	dp, err := e.client.GetDataProtectionPolicy(ctx, &awssns.GetDataProtectionPolicyInput{ResourceArn: aws.String(arn)})
	if err != nil || aws.ToString(dp.DataProtectionPolicy) != `{"Name":"p"}` {
		t.Fatalf("GetDataProtectionPolicy = %v, %v", aws.ToString(dp.DataProtectionPolicy), err)
	}
}

func TestFIFO(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "jobs.fifo", map[string]string{"FifoTopic": "true"})
	attrs, _ := e.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if attrs.Attributes["FifoTopic"] != "true" || attrs.Attributes["ContentBasedDeduplication"] != "false" {
		t.Fatalf("fifo attrs = %v", attrs.Attributes)
	}
	_, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")})
	wantAPIError(t, err, &types.InvalidParameterException{}, "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
	_, err = e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"), MessageGroupId: aws.String("g")})
	wantAPIError(t, err, &types.InvalidParameterException{}, "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	_, err = e.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("lambda"), Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")})
	wantAPIError(t, err, &types.InvalidParameterException{}, "Invalid parameter: Invalid protocol type: lambda")

	p1, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")})
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("y"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")})
	p3, _ := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("z"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d2")})
	if *p1.MessageId != *p2.MessageId || *p1.SequenceNumber != *p2.SequenceNumber {
		t.Fatalf("duplicate not deduplicated: %v %v", *p1.MessageId, *p2.MessageId)
	}
	if *p3.MessageId == *p1.MessageId || !seqLess(*p1.SequenceNumber, *p3.SequenceNumber) {
		t.Fatalf("sequence %s then %s", *p1.SequenceNumber, *p3.SequenceNumber)
	}

	cbd := e.createTopic(t, "cbd.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	a, err := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(cbd), Message: aws.String("same"), MessageGroupId: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(cbd), Message: aws.String("same"), MessageGroupId: aws.String("g")})
	if *a.MessageId != *b.MessageId {
		t.Fatal("content-based dedup did not apply")
	}
	batch, err := e.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(cbd), PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("1"), Message: aws.String("b1"), MessageGroupId: aws.String("g")},
		{Id: aws.String("2"), Message: aws.String("b2")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Successful) != 1 || batch.Successful[0].SequenceNumber == nil || len(batch.Failed) != 1 || *batch.Failed[0].Id != "2" {
		t.Fatalf("fifo batch = %+v / %+v", batch.Successful, batch.Failed)
	}
}

func seqLess(a, b string) bool { return len(a) < len(b) || (len(a) == len(b) && a < b) }

func TestPublishBatchPartialFailure(t *testing.T) {
	e := newEnv(t, nil)
	arn := e.createTopic(t, "batch", nil)
	out, err := e.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("ok1"), Message: aws.String("hello")},
		{Id: aws.String("bad"), Message: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Nope"), StringValue: aws.String("v")}}},
		{Id: aws.String("ok2"), Message: aws.String("again"), Subject: aws.String("s")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 2 || *out.Successful[0].Id != "ok1" || *out.Successful[1].Id != "ok2" || out.Successful[0].MessageId == nil {
		t.Fatalf("Successful = %+v", out.Successful)
	}
	if len(out.Failed) != 1 || *out.Failed[0].Id != "bad" || *out.Failed[0].Code != "ParameterValueInvalid" || !out.Failed[0].SenderFault ||
		!strings.Contains(aws.ToString(out.Failed[0].Message), "invalid message attribute type") {
		t.Fatalf("Failed = %+v", out.Failed)
	}
	_, err = e.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []types.PublishBatchRequestEntry{}})
	var empty *types.EmptyBatchRequestException
	if !errors.As(err, &empty) {
		// The SDK may refuse an empty list client-side; send it raw.
		resp, rerr := http.PostForm(e.url+"/", url.Values{"Action": {"PublishBatch"}, "TopicArn": {arn}, "PublishBatchRequestEntries": {""}})
		if rerr != nil {
			t.Fatal(rerr)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), "<Code>EmptyBatchRequest</Code>") {
			t.Fatalf("empty batch: %d %s (sdk err %v)", resp.StatusCode, body, err)
		}
	}
}
