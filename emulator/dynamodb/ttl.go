package dynamodb

import (
	"time"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// ttlMaxAge: items whose TTL lies more than five years in the past are not
// expired (AWS's guard against mass deletion by a mis-scaled attribute).
const ttlMaxAge = 5 * 365 * 24 * time.Hour

func (s *Service) sweepTTL(period time.Duration) {
	defer s.wg.Done()
	tk := time.NewTicker(period)
	defer tk.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tk.C:
			s.expireNow(time.Now())
		}
	}
}

// expireNow deletes every item whose TTL has passed at now.
func (s *Service) expireNow(now time.Time) int {
	s.mu.RLock()
	var ts []*table
	for _, t := range s.tables {
		ts = append(ts, t)
	}
	s.mu.RUnlock()
	n := 0
	for _, t := range ts {
		n += s.expireTable(t, now)
	}
	return n
}

func (s *Service) expireTable(t *table, now time.Time) int {
	t.mu.RLock()
	if !t.meta.TTLEnabled {
		t.mu.RUnlock()
		return 0
	}
	lo, hi := now.Add(-ttlMaxAge).Unix(), now.Unix()
	var due []*entry
	t.items.Scan(func(e *entry) bool {
		if e.ttl != 0 && e.ttl <= hi && e.ttl >= lo {
			due = append(due, e)
		}
		return true
	})
	t.mu.RUnlock()
	if len(due) == 0 {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, e := range due {
		cur := t.get(e.key)
		if cur != e || !t.meta.TTLEnabled || e.ttl == 0 || e.ttl > hi || e.ttl < lo || t.deleted {
			continue // changed since the scan
		}
		oldItem, err := attr.DecodeItem(e.data)
		if err != nil {
			continue
		}
		ch := &change{t: t, key: e.key, old: e, oldItem: oldItem}
		if err := s.commit(ch, "TTL", "", true); err != nil {
			s.log.Error("ttl delete failed", "table", t.meta.Name, "err", err)
			continue
		}
		n++
	}
	return n
}
