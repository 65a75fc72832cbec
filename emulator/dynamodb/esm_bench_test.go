package dynamodb

import (
	"fmt"
	"testing"

	"github.com/slsx/slsx/emulator/sns/filter"
)

// BenchmarkStreamBatch compares, per batch of 100 stream records, the cost
// filtering adds to a mapping against building the Lambda event, which
// every batch pays. Run: go test -bench StreamBatch -benchmem ./emulator/dynamodb/
func BenchmarkStreamBatch(b *testing.B) {
	e := newEnv(b, Options{})
	e.createSimple(b, "bench", false, `,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}`)
	for i := range 100 {
		status := "open"
		if i%4 == 0 {
			status = "paid-card"
		}
		e.mustRaw(b, "PutItem", fmt.Sprintf(`{"TableName":"bench","Item":{"pk":{"S":"order#%d"},"status":{"S":%q},"total":{"N":"%d"},"customer":{"S":"c-%d"},"lines":{"L":[{"M":{"sku":{"S":"x"},"qty":{"N":"2"}}}]}}}`, i, status, i*7, i%13))
	}
	st := e.s.currentStream("bench")
	_, recs := st.retained()
	patterns := []string{
		`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"status":{"S":[{"prefix":"paid"}]}}}}`,
		`{"eventName":["REMOVE"]}`,
	}
	filters, err := parseFilters(patterns)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("event", func(b *testing.B) {
		for b.Loop() {
			buildEvent(recs, st.arn)
		}
	})
	b.Run("filter-none", func(b *testing.B) {
		mp := &mapping{}
		for b.Loop() {
			mp.match(recs, st.arn)
		}
	})
	// Baseline: decoding each record in full for each pattern, as an SNS
	// MessageBody policy does.
	var full []*filter.Policy
	for _, p := range patterns {
		f, _ := filter.ParsePattern([]byte(p))
		full = append(full, f)
	}
	b.Run("filter-2-patterns-full-decode", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			for _, r := range recs {
				buf = r.appendLambda(buf[:0], st.arn)
				for _, f := range full {
					if f.MatchBody(buf) {
						break
					}
				}
			}
		}
	})
	b.Run("filter-2-patterns", func(b *testing.B) {
		mp := &mapping{filters: filters}
		if n := len(mp.match(recs, st.arn)); n != 25 {
			b.Fatalf("%d records match, want 25", n)
		}
		for b.Loop() {
			mp.match(recs, st.arn)
		}
	})
}
