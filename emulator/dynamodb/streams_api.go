package dynamodb

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
)

// iteratorTTL is how long a shard iterator stays valid (15 minutes).
const iteratorTTL = 15 * time.Minute

// maxRecordsBytes caps one GetRecords answer (1 MB).
const maxRecordsBytes = 1 << 20

func (s *Service) streamByARN(arn string) *stream {
	s.streamsMu.Lock()
	defer s.streamsMu.Unlock()
	return s.streams[arn]
}

func opListStreams(s *Service, c *call) ([]byte, error) {
	var in struct {
		TableName               *string `json:"TableName"`
		Limit                   *int64  `json:"Limit"`
		ExclusiveStartStreamArn *string `json:"ExclusiveStartStreamArn"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	if in.TableName != nil {
		v.name(*in.TableName, "tableName")
	}
	v.minInt(in.Limit, "limit", 1)
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.TableName != nil && s.table(*in.TableName) == nil {
		return nil, awsapi.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Table: %s not found", *in.TableName)
	}
	limit := 100
	if in.Limit != nil && *in.Limit < 100 {
		limit = int(*in.Limit)
	}
	s.streamsMu.Lock()
	var list []*stream
	for _, st := range s.streams {
		if in.TableName == nil || st.table == *in.TableName {
			list = append(list, st)
		}
	}
	s.streamsMu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].arn < list[j].arn })
	if in.ExclusiveStartStreamArn != nil {
		i := sort.Search(len(list), func(i int) bool { return list[i].arn > *in.ExclusiveStartStreamArn })
		list = list[i:]
	}
	type entry struct {
		StreamArn   string `json:"StreamArn"`
		TableName   string `json:"TableName"`
		StreamLabel string `json:"StreamLabel"`
	}
	out := struct {
		Streams                []entry `json:"Streams"`
		LastEvaluatedStreamArn string  `json:"LastEvaluatedStreamArn,omitempty"`
	}{Streams: []entry{}}
	if len(list) > limit {
		list = list[:limit]
		out.LastEvaluatedStreamArn = list[limit-1].arn
	}
	for _, st := range list {
		out.Streams = append(out.Streams, entry{st.arn, st.table, st.label})
	}
	return marshal(out)
}

func streamNotFound(arn string) error {
	return awsapi.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Stream: %s not found", arn)
}

func validStreamARN(v *verrs, arn *string) {
	if arn == nil {
		v.add(nil, "streamArn", "Member must not be null")
		return
	}
	if len(*arn) < 37 {
		v.add(*arn, "streamArn", "Member must have length greater than or equal to 37")
	} else if len(*arn) > 1024 {
		v.add(*arn, "streamArn", "Member must have length less than or equal to 1024")
	}
}

func opDescribeStream(s *Service, c *call) ([]byte, error) {
	var in struct {
		StreamArn             *string `json:"StreamArn"`
		Limit                 *int64  `json:"Limit"`
		ExclusiveStartShardId *string `json:"ExclusiveStartShardId"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	validStreamARN(&v, in.StreamArn)
	v.minInt(in.Limit, "limit", 1)
	if err := v.err(); err != nil {
		return nil, err
	}
	st := s.streamByARN(*in.StreamArn)
	if st == nil {
		return nil, streamNotFound(*in.StreamArn)
	}
	st.mu.Lock()
	status := "ENABLED"
	rng := map[string]string{"StartingSequenceNumber": seqString(st.startSeq)}
	if st.disabled {
		status = "DISABLED"
		rng["EndingSequenceNumber"] = seqString(st.endSeq)
	}
	st.mu.Unlock()
	shards := []map[string]any{}
	if in.ExclusiveStartShardId == nil || *in.ExclusiveStartShardId < st.shardID {
		shards = append(shards, map[string]any{"ShardId": st.shardID, "SequenceNumberRange": rng})
	}
	return marshal(map[string]any{"StreamDescription": map[string]any{
		"StreamArn":               st.arn,
		"StreamLabel":             st.label,
		"StreamStatus":            status,
		"StreamViewType":          st.view,
		"CreationRequestDateTime": epoch(st.created),
		"TableName":               st.table,
		"KeySchema":               keyOut(st.key),
		"Shards":                  shards,
	}})
}

// An iterator is opaque to clients: base64 of
// "<streamArn>|<shardId>|<position>|<issued unix nanos>", where position is
// the sequence number after which reading continues.
func makeIterator(arn, shard string, pos uint64, issued time.Time) string {
	raw := arn + "|" + shard + "|" + strconv.FormatUint(pos, 10) + "|" + strconv.FormatInt(issued.UnixNano(), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseIterator(it string) (arn, shard string, pos uint64, issued time.Time, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(it)
	if err != nil {
		return "", "", 0, time.Time{}, false
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 {
		return "", "", 0, time.Time{}, false
	}
	pos, err1 := strconv.ParseUint(parts[2], 10, 64)
	ns, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return "", "", 0, time.Time{}, false
	}
	return parts[0], parts[1], pos, time.Unix(0, ns), true
}

func opGetShardIterator(s *Service, c *call) ([]byte, error) {
	var in struct {
		StreamArn         *string `json:"StreamArn"`
		ShardId           *string `json:"ShardId"`
		ShardIteratorType *string `json:"ShardIteratorType"`
		SequenceNumber    *string `json:"SequenceNumber"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	validStreamARN(&v, in.StreamArn)
	if in.ShardId == nil {
		v.add(nil, "shardId", "Member must not be null")
	} else if len(*in.ShardId) < 28 {
		v.add(*in.ShardId, "shardId", "Member must have length greater than or equal to 28")
	} else if len(*in.ShardId) > 65 {
		v.add(*in.ShardId, "shardId", "Member must have length less than or equal to 65")
	}
	if in.ShardIteratorType == nil {
		v.add(nil, "shardIteratorType", "Member must not be null")
	}
	v.enum(in.ShardIteratorType, "shardIteratorType", "TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")
	if in.SequenceNumber != nil {
		if n := len(*in.SequenceNumber); n < 21 || n > 40 {
			if n < 21 {
				v.add(*in.SequenceNumber, "sequenceNumber", "Member must have length greater than or equal to 21")
			} else {
				v.add(*in.SequenceNumber, "sequenceNumber", "Member must have length less than or equal to 40")
			}
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	st := s.streamByARN(*in.StreamArn)
	if st == nil {
		return nil, streamNotFound(*in.StreamArn)
	}
	if *in.ShardId != st.shardID {
		return nil, awsapi.Errorf(400, "ResourceNotFoundException", "Requested resource not found: Shard: %s in Stream: %s not found", *in.ShardId, st.arn)
	}
	var pos uint64
	switch *in.ShardIteratorType {
	case "TRIM_HORIZON":
		st.mu.Lock()
		pos = st.trimmed
		if pos == 0 {
			pos = st.startSeq - 1
		}
		st.mu.Unlock()
	case "LATEST":
		pos = st.last()
	default:
		if in.SequenceNumber == nil {
			return nil, awsapi.ValidationError("SequenceNumber must be specified for %s", *in.ShardIteratorType)
		}
		n, err := strconv.ParseUint(strings.TrimLeft(*in.SequenceNumber, "0"), 10, 64)
		if err != nil && strings.Trim(*in.SequenceNumber, "0") != "" {
			return nil, awsapi.ValidationError("Invalid SequenceNumber: %s", *in.SequenceNumber)
		}
		st.mu.Lock()
		trimmed := st.trimmed
		st.mu.Unlock()
		if n <= trimmed {
			return nil, awsapi.Errorf(400, "TrimmedDataAccessException", "The operation attempted to read past the oldest stream record in a shard")
		}
		pos = n
		if *in.ShardIteratorType == "AT_SEQUENCE_NUMBER" {
			pos = n - 1
		}
	}
	return marshal(map[string]string{"ShardIterator": makeIterator(st.arn, st.shardID, pos, time.Now())})
}

func opGetRecords(s *Service, c *call) ([]byte, error) {
	var in struct {
		ShardIterator *string `json:"ShardIterator"`
		Limit         *int64  `json:"Limit"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	if in.ShardIterator == nil {
		v.add(nil, "shardIterator", "Member must not be null")
	} else if len(*in.ShardIterator) > 2048 {
		v.add(*in.ShardIterator, "shardIterator", "Member must have length less than or equal to 2048")
	}
	v.minInt(in.Limit, "limit", 1)
	v.maxInt(in.Limit, "limit", 1000)
	if err := v.err(); err != nil {
		return nil, err
	}
	arn, _, pos, issued, ok := parseIterator(*in.ShardIterator)
	if !ok {
		return nil, awsapi.ValidationError("Invalid ShardIterator")
	}
	if now := time.Now(); now.Sub(issued) > iteratorTTL {
		return nil, awsapi.Errorf(400, "ExpiredIteratorException", "Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of 900000 milliseconds.",
			issued.UTC().Format(time.RFC1123), now.UTC().Format(time.RFC1123))
	}
	st := s.streamByARN(arn)
	if st == nil {
		return nil, streamNotFound(arn)
	}
	limit := 1000
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	st.mu.Lock()
	trimmed, disabled, endSeq := st.trimmed, st.disabled, st.endSeq
	st.mu.Unlock()
	if trimmed > 0 && pos < trimmed {
		return nil, awsapi.Errorf(400, "TrimmedDataAccessException", "The operation attempted to read past the oldest stream record in a shard")
	}
	recs, _ := st.after(pos, limit)
	b := []byte(`{"Records":[`)
	size := 0
	next := pos
	for i, r := range recs {
		if i > 0 && size+len(r.body) > maxRecordsBytes {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = r.appendAPI(b)
		size += len(r.body)
		next = r.seq
	}
	b = append(b, ']')
	if !(disabled && next >= endSeq) {
		b = append(b, `,"NextShardIterator":`...)
		enc, _ := json.Marshal(makeIterator(st.arn, st.shardID, next, time.Now()))
		b = append(b, enc...)
	}
	return append(b, '}'), nil
}
