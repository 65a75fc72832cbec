package dynamodb

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
)

// Publisher publishes a message to an SNS topic from inside slsx
// (*sns.Service): the stream triggers' on-failure destinations.
type Publisher interface {
	Publish(topicARN, message, traceID string) (messageID string, err error)
}

// Conditions of an on-failure record (Lambda developer guide, "Retaining
// discarded records for a DynamoDB event source").
const (
	condRetries   = "RetryAttemptsExhausted"
	condRecordAge = "RecordAgeExceeded"
)

// expired returns how many records at the head of recs are older than
// maxAge; 0 means the stream's retention (24 h), after which a record a
// mapping still retries has expired. Records are in stream order, so the
// old ones are a prefix.
func expired(recs []*streamRec, maxAge time.Duration, now time.Time) int {
	if maxAge <= 0 {
		maxAge = streamRetention
	}
	n := 0
	for n < len(recs) && now.Sub(recs[n].at) > maxAge {
		n++
	}
	return n
}

// failureRecord is what Lambda sends an on-failure destination for a
// discarded stream batch: where the records are, not the records.
type failureRecord struct {
	RequestContext  failureRequest   `json:"requestContext"`
	ResponseContext *failureResponse `json:"responseContext,omitempty"`
	Version         string           `json:"version"`
	Timestamp       string           `json:"timestamp"`
	BatchInfo       ddbBatchInfo     `json:"DDBStreamBatchInfo"`
}

type failureRequest struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

type failureResponse struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

type ddbBatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamArn                       string `json:"streamArn"`
}

// Time layouts of the failure record, as in AWS's example.
const (
	failureTimestamp = "2006-01-02T15:04:05.000Z"
	arrivalTimestamp = "2006-01-02T15:04:05Z"
)

// buildFailureRecord describes discarded records. invokes is how many
// times the batch was invoked; last is the latest failed invocation, whose
// request id and response it reports (none when nothing was invoked).
func (s *Service) buildFailureRecord(fn string, st *stream, recs []*streamRec, cond string, invokes int, last outcome, now time.Time) []byte {
	rec := failureRecord{
		RequestContext: failureRequest{
			RequestID:              last.res.RequestID,
			FunctionArn:            s.id.ARN("lambda", "function:"+fn),
			Condition:              cond,
			ApproximateInvokeCount: invokes,
		},
		Version:   "1.0",
		Timestamp: now.UTC().Format(failureTimestamp),
		BatchInfo: ddbBatchInfo{
			ShardID:                         st.shardID,
			StartSequenceNumber:             seqString(recs[0].seq),
			EndSequenceNumber:               seqString(recs[len(recs)-1].seq),
			ApproximateArrivalOfFirstRecord: recs[0].at.UTC().Format(arrivalTimestamp),
			ApproximateArrivalOfLastRecord:  recs[len(recs)-1].at.UTC().Format(arrivalTimestamp),
			BatchSize:                       len(recs),
			StreamArn:                       st.arn,
		},
	}
	if rec.RequestContext.RequestID == "" {
		rec.RequestContext.RequestID = awsapi.RequestID()
	}
	if invokes > 0 {
		r := &failureResponse{StatusCode: last.res.StatusCode, ExecutedVersion: last.res.ExecutedVersion, FunctionError: last.res.FunctionError}
		if r.StatusCode == 0 {
			r.StatusCode = 200
		}
		if r.ExecutedVersion == "" {
			r.ExecutedVersion = "$LATEST"
		}
		rec.ResponseContext = r
	}
	b, _ := json.Marshal(rec)
	return b
}

// discard gives up on recs: it logs them and, with an on-failure topic,
// publishes their failure record there. A publish that fails is logged;
// the mapping goes on either way, as Lambda's does.
func (s *Service) discard(mp *mapping, st *stream, recs []*streamRec, cond string, invokes int, last outcome) {
	cfg := mp.cfg
	s.log.Warn("stream batch discarded", "table", cfg.Table, "function", cfg.Function, "condition", cond,
		"records", len(recs), "attempts", invokes, "err", last.errText)
	if cfg.OnFailureTopic == "" {
		return
	}
	arn := cfg.OnFailureTopic
	if !strings.HasPrefix(arn, "arn:") {
		arn = s.id.ARN("sns", arn)
	}
	if s.pub == nil {
		s.log.Error("stream failure record not sent: no SNS service", "topic", arn)
		return
	}
	trace := ""
	for _, r := range recs {
		if r.trace != "" {
			trace = r.trace
			break
		}
	}
	if _, err := s.pub.Publish(arn, string(s.buildFailureRecord(cfg.Function, st, recs, cond, invokes, last, time.Now())), trace); err != nil {
		s.log.Error("stream failure record not sent", "topic", arn, "err", err)
	}
}
