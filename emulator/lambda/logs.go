package lambda

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Limits on what slsx keeps of a function's output. A handler that floods
// its output must not exhaust slsx's memory: past these bounds lines are
// counted and dropped, and the log says so.
const (
	// DefaultMaxLogBytes is how much of one invocation's output is kept for
	// the dashboard, the InvocationFinished event and LogType Tail. 1 MiB
	// is far more than a screen and far less than a flood.
	DefaultMaxLogBytes = 1 << 20
	// maxLineBytes splits pathological lines; 256 KiB is CloudWatch Logs'
	// maximum event size.
	maxLineBytes = 256 << 10
	// maxInitLogBytes bounds what is kept of output written during Init.
	maxInitLogBytes = 64 << 10
	// tailBytes is the LogType Tail window (the last 4 KB).
	tailBytes = 4096
)

// logBuf collects the lines of one invocation.
type logBuf struct {
	mu      sync.Mutex
	lines   []string
	size    int
	max     int
	dropped int64
	sealed  bool
}

func newLogBuf(max int) *logBuf { return &logBuf{max: max} }

// add appends a line. It reports false when the line was dropped over the
// limit; a line after seal is not kept but still worth publishing.
func (b *logBuf) add(line string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sealed {
		return true
	}
	if b.size+len(line)+1 > b.max {
		b.dropped += int64(len(line)) + 1
		return false
	}
	b.lines = append(b.lines, line)
	b.size += len(line) + 1
	return true
}

// seal stops collection and returns the lines, with a marker when output
// was dropped.
func (b *logBuf) seal() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sealed = true
	if b.dropped > 0 {
		b.lines = append(b.lines, fmt.Sprintf("[slsx] %d bytes of log output dropped (over the %d byte per-invocation limit)", b.dropped, b.max))
		b.dropped = 0
	}
	return b.lines
}

// lineWriter splits an environment's output into lines and hands each to
// emit. Only the executor's single output goroutine (or SyncOutput, under
// the executor's lock) calls Write.
type lineWriter struct {
	partial []byte
	emit    func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := maxLineBytes - len(w.partial)
			if len(p) < room {
				w.partial = append(w.partial, p...)
				return n, nil
			}
			w.partial = append(w.partial, p[:room]...)
			p = p[room:]
			w.flush()
			continue
		}
		if len(w.partial) > 0 {
			if len(w.partial)+i > maxLineBytes {
				w.flush()
			}
			w.partial = append(w.partial, p[:i]...)
			w.flush()
		} else {
			line := p[:i]
			if len(line) > maxLineBytes {
				line = line[:maxLineBytes]
			}
			w.emit(strings.TrimSuffix(string(line), "\r"))
		}
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) flush() {
	if len(w.partial) == 0 {
		return
	}
	w.emit(strings.TrimSuffix(string(w.partial), "\r"))
	w.partial = w.partial[:0]
}

// Platform log lines, exactly as Lambda writes them (tab separated).
func startLine(id string) string { return "START RequestId: " + id + " Version: $LATEST" }
func endLine(id string) string   { return "END RequestId: " + id }

func timeoutLine(at time.Time, id string, timeout time.Duration) string {
	return at.UTC().Format("2006-01-02T15:04:05.000Z") + " " + id + " Task timed out after " + seconds(timeout) + " seconds"
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

type reportFields struct {
	id          string
	duration    time.Duration
	memoryMB    int
	maxMemoryMB int
	init        time.Duration // 0 on warm starts
	status      string        // "", "timeout", "error"
	errorType   string        // platform error type when status is "error"
}

func (r reportFields) line() string {
	var b strings.Builder
	b.Grow(200)
	b.WriteString("REPORT RequestId: ")
	b.WriteString(r.id)
	fmt.Fprintf(&b, "\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		ms(r.duration), billedMs(r.duration), r.memoryMB, r.maxMemoryMB)
	if r.init > 0 {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", ms(r.init))
	}
	if r.status != "" {
		b.WriteString("Status: " + r.status + "\t")
		if r.errorType != "" {
			b.WriteString("Error Type: " + r.errorType + "\t")
		}
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// billedMs is the duration rounded up to the next whole millisecond.
func billedMs(d time.Duration) int64 {
	b := int64((d + time.Millisecond - 1) / time.Millisecond)
	if b < 1 {
		b = 1
	}
	return b
}

// logTail is base64 of the last 4 KB of the newline-joined lines.
func logTail(lines []string) string {
	size := 0
	i := len(lines)
	for i > 0 && size < tailBytes {
		i--
		size += len(lines[i]) + 1
	}
	s := strings.Join(lines[i:], "\n") + "\n"
	if len(s) > tailBytes {
		s = s[len(s)-tailBytes:]
	}
	return base64.StdEncoding.EncodeToString([]byte(s))
}
