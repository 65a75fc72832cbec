package dynamodb

import (
	"fmt"

	"github.com/slsx/slsx/emulator/sns/filter"
)

// parseFilters prepares a trigger's FilterCriteria patterns.
func parseFilters(patterns []string) (*filter.Patterns, error) {
	var ps []*filter.Policy
	for i, p := range patterns {
		f, err := filter.ParsePattern([]byte(p))
		if err != nil {
			return nil, fmt.Errorf("filter %d: %w", i, err)
		}
		ps = append(ps, f)
	}
	return filter.NewPatterns(ps), nil
}

// match returns the records that pass the mapping's filters: with none,
// all of them; else those that match at least one, tested on the record
// as the function would see it.
func (mp *mapping) match(recs []*streamRec, arn string) []*streamRec {
	if mp.filters.Len() == 0 {
		return recs
	}
	out := recs[:0:0]
	var b []byte
	for _, r := range recs {
		b = r.appendLambda(b[:0], arn)
		if mp.filters.Match(b) {
			out = append(out, r)
		}
	}
	return out
}
