package sns

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// stateFile is the name of the persisted state inside DataDir.
const stateFile = "sns.json"

// state is what is persisted: topics, subscriptions and the signing key,
// so that certificates cached by subscribers stay valid across restarts.
type state struct {
	Topics        []*topic        `json:"topics"`
	Subscriptions []*subscription `json:"subscriptions"`
	KeyPEM        string          `json:"keyPem,omitempty"`
	CertPEM       string          `json:"certPem,omitempty"`
}

type store struct {
	dir string
	mu  sync.Mutex // serialises writers
}

func (st *store) load() (state, error) {
	var s state
	if st.dir == "" {
		return s, nil
	}
	b, err := os.ReadFile(filepath.Join(st.dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read sns state: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("parse sns state %s: %w", filepath.Join(st.dir, stateFile), err)
	}
	return s, nil
}

// write replaces the state file atomically: temp file, fsync, rename.
func (st *store) write(b []byte) error {
	if st.dir == "" {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := os.MkdirAll(st.dir, 0o755); err != nil {
		return fmt.Errorf("create sns data dir: %w", err)
	}
	tmp, err := os.CreateTemp(st.dir, stateFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("write sns state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write sns state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync sns state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write sns state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(st.dir, stateFile)); err != nil {
		return fmt.Errorf("replace sns state: %w", err)
	}
	return nil
}

// save persists the current state. Callers must not hold s.mu.
func (s *Service) save() error {
	if s.opts.DataDir == "" {
		return nil
	}
	s.mu.Lock()
	st := state{KeyPEM: string(s.signer.keyPEM), CertPEM: string(s.signer.certPEM)}
	for _, t := range s.topics {
		st.Topics = append(st.Topics, &topic{ARN: t.ARN, Name: t.Name, Attrs: copyMap(t.Attrs), Tags: copyMap(t.Tags)})
	}
	for _, sub := range s.subs {
		c := *sub
		c.Attrs = copyMap(sub.Attrs)
		c.policy = nil
		st.Subscriptions = append(st.Subscriptions, &c)
	}
	s.mu.Unlock()
	sort.Slice(st.Topics, func(i, j int) bool { return st.Topics[i].ARN < st.Topics[j].ARN })
	sort.Slice(st.Subscriptions, func(i, j int) bool { return st.Subscriptions[i].ARN < st.Subscriptions[j].ARN })
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sns state: %w", err)
	}
	return s.store.write(b)
}

// persist saves and logs a failure; an API call that changed state in
// memory still succeeds, as the change is real for this run.
func (s *Service) persist() {
	if err := s.save(); err != nil {
		s.log.Error("persist sns state", "err", err)
	}
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
