package sam

import (
	"errors"
	"testing"
	"time"

	"github.com/slsx/slsx/emulator/config"
)

const streamTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Failures:
    Type: AWS::SNS::Topic
  Tbl:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      CodeUri: ./f
      Events:
        S:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Tbl.StreamArn
            StartingPosition: TRIM_HORIZON
            MaximumRecordAgeInSeconds: 3600
            TumblingWindowInSeconds: 30
            DestinationConfig:
              OnFailure:
                Type: SNS
                Destination: !Ref Failures
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": [{"prefix": "paid"}]}}}}'
                - Pattern: {eventName: [REMOVE]}
  G:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      CodeUri: ./g
      Events:
        T:
          Type: DynamoDB
          Properties: {Stream: !GetAtt Tbl.StreamArn, StartingPosition: LATEST, MaximumRecordAgeInSeconds: -1}
`

func TestStreamEventExtras(t *testing.T) {
	p, ws, err := Parse(t.TempDir(), "template.yaml", []byte(streamTemplate), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 0 {
		t.Errorf("warnings %v", warnings(ws))
	}
	same(t, "stream triggers", p.StreamTriggers, []*config.StreamTrigger{
		{Table: "orders", Function: "F", BatchSize: 100, StartingPosition: "TRIM_HORIZON", MaximumRetryAttempts: -1, Enabled: true,
			Filters: []string{
				`{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": [{"prefix": "paid"}]}}}}`,
				`{"eventName":["REMOVE"]}`,
			},
			MaximumRecordAge: time.Hour, OnFailureTopic: "Failures", TumblingWindow: 30 * time.Second},
		{Table: "orders", Function: "G", BatchSize: 100, StartingPosition: "LATEST", MaximumRetryAttempts: -1, Enabled: true},
	})
	if len(p.Topics) != 1 || p.Topics[0].Name != "Failures" {
		t.Errorf("topics %+v", p.Topics)
	}
}

func TestStreamEventExtraErrors(t *testing.T) {
	const head = "Transform: AWS::Serverless-2016-10-31\nResources:\n" +
		"  Tbl:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n" +
		"      KeySchema: [{AttributeName: id, KeyType: HASH}]\n      StreamSpecification: {StreamViewType: KEYS_ONLY}\n" +
		"  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: provided.al2023\n      CodeUri: ./f\n" +
		"      Events:\n        S:\n          Type: DynamoDB\n          Properties:\n" +
		"            Stream: !GetAtt Tbl.StreamArn\n            StartingPosition: LATEST\n"
	const path = "F.Properties.Events.S.Properties."
	for _, tc := range []struct{ name, yaml, want string }{
		{"bad pattern", head + "            FilterCriteria: {Filters: [{Pattern: '{\"eventName\": \"INSERT\"}'}]}\n",
			`template.yaml:20: ` + path + `FilterCriteria.Filters[0].Pattern: invalid filter pattern: "eventName" must be an object or an array`},
		{"pattern not json", head + "            FilterCriteria:\n              Filters:\n                - Pattern: 'eventName'\n",
			`template.yaml:22: ` + path + `FilterCriteria.Filters[0].Pattern: invalid filter pattern: failed to parse JSON. invalid character 'e' looking for beginning of value`},
		{"no pattern", head + "            FilterCriteria:\n              Filters:\n                - {}\n",
			`template.yaml:22: ` + path + `FilterCriteria.Filters[0]: has no Pattern; write one such as '{"eventName": ["INSERT"]}'`},
		{"filters not a list", head + "            FilterCriteria: {Filters: {Pattern: x}}\n",
			`template.yaml:20: ` + path + `FilterCriteria.Filters: must be a list of {Pattern: ...}; got a mapping`},
		{"record age", head + "            MaximumRecordAgeInSeconds: 30\n",
			`template.yaml:20: ` + path + `MaximumRecordAgeInSeconds: 30 is out of range; use -1 or 60 to 604800 (seconds)`},
		{"record age high", head + "            MaximumRecordAgeInSeconds: 604801\n",
			`template.yaml:20: ` + path + `MaximumRecordAgeInSeconds: 604801 is out of range; use a whole number from -1 to 604800 (seconds; -1 keeps records until they expire)`},
		{"sqs destination", head + "            DestinationConfig: {OnFailure: {Type: SQS, Destination: arn:aws:sqs:us-east-1:000000000000:dlq}}\n",
			`template.yaml:20: ` + path + `DestinationConfig.OnFailure: slsx has no SQS; send failures to an SNS topic (Type: SNS)`},
		{"destination missing", head + "            DestinationConfig: {OnFailure: {Type: SNS}}\n",
			`template.yaml:20: ` + path + `DestinationConfig.OnFailure.Destination: missing; use the topic's ARN, e.g. !Ref FailureTopic`},
		{"destination not a topic", head + "            DestinationConfig: {OnFailure: {Type: SNS, Destination: !GetAtt Tbl.Arn}}\n",
			`template.yaml:20: ` + path + `DestinationConfig.OnFailure.Destination: "arn:aws:dynamodb:us-east-1:000000000000:table/Tbl" is not an SNS topic ARN; use !Ref FailureTopic`},
		{"destination fifo", head + "            DestinationConfig: {OnFailure: {Type: SNS, Destination: !Ref Q}}\n" +
			"  Q:\n    Type: AWS::SNS::Topic\n    Properties: {TopicName: q.fifo, FifoTopic: true}\n",
			`template.yaml:20: ` + path + `DestinationConfig.OnFailure.Destination: topic "q.fifo" is FIFO; Lambda sends discarded stream batches only to standard topics`},
		{"two mappings of one stream", head + "        T: {Type: DynamoDB, Properties: {Stream: !GetAtt Tbl.StreamArn, StartingPosition: LATEST}}\n",
			`template.yaml:20: F.Properties.Events.T.Properties.Stream: table "Tbl" already triggers F through F.Properties.Events.S; Lambda keeps one event source mapping per stream and function (merge the two, using FilterCriteria)`},
		{"tumbling window", head + "            TumblingWindowInSeconds: 901\n",
			`template.yaml:20: ` + path + `TumblingWindowInSeconds: 901 is out of range; use a whole number from 0 to 900 (seconds)`},
		{"destination type", head + "            DestinationConfig: {OnFailure: {Type: Lambda, Destination: x}}\n",
			`template.yaml:20: ` + path + `DestinationConfig.OnFailure.Type: "Lambda" is not a destination type; use SNS`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse(t.TempDir(), "template.yaml", []byte(tc.yaml), nil)
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v (%T), want config.Errors", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("err =\n%s\nwant\n%s", err, tc.want)
			}
		})
	}
}
