package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// fit truncates s (which may hold ANSI styles) to w cells and pads it to
// exactly w, so columns line up and no line wraps.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-sw)
}

// fitRight right-aligns s in w cells.
func fitRight(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return fit(s, w)
	}
	return strings.Repeat(" ", w-sw) + s
}

// col is one column of a table; the one flex column takes what is left.
type col struct {
	title string
	w     int
	right bool
	flex  bool
	min   int // flex columns are dropped below this
}

// layout returns the widths to use for cols within width, dropping the
// flex column when it would be narrower than its min.
func layout(cols []col, width int) []int {
	ws := make([]int, len(cols))
	used := 0
	flex := -1
	for i, c := range cols {
		if c.flex {
			flex = i
			continue
		}
		if c.w == 0 {
			continue // hidden at this width
		}
		ws[i] = c.w
		used += c.w + 1
	}
	if flex >= 0 {
		rest := width - used
		if rest >= cols[flex].min {
			ws[flex] = rest
		}
	}
	return ws
}

// row renders cells into columns of widths ws (0 = hidden).
func row(cols []col, ws []int, cells []string) string {
	var b strings.Builder
	first := true
	for i, c := range cols {
		if ws[i] == 0 {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		if c.right {
			b.WriteString(fitRight(cells[i], ws[i]))
		} else {
			b.WriteString(fit(cells[i], ws[i]))
		}
	}
	return b.String()
}

func headerRow(st styles, cols []col, ws []int) string {
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = c.title
	}
	return st.header.Render(row(cols, ws, cells))
}

// fmtDur prints a duration the way people read latency: 3 significant
// figures, no more.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return d.Round(time.Second).String()
	}
}

// fmtUptime prints 1h02m03s style.
func fmtUptime(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	}
	if m > 0 {
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// fmtCount keeps counters narrow: 999, 12.3k, 4.5M.
func fmtCount(n int) string {
	switch {
	case n < 10000:
		return fmt.Sprint(n)
	case n < 1000000:
		return fmt.Sprintf("%.1fk", float64(n)/1000)
	default:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
}

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the newest w samples of r, scaled to max (the
// concurrency limit, or the highest sample when larger). A blank is
// drawn for zero so idle stretches read as empty.
func sparkline(r *ring[int], w, max int) string {
	if w <= 0 {
		return ""
	}
	n := r.len()
	if n > w {
		n = w
	}
	for i := 0; i < n; i++ {
		if v := r.last(i); v > max {
			max = v
		}
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", w-n))
	for i := n - 1; i >= 0; i-- {
		v := r.last(i)
		if v <= 0 || max <= 0 {
			b.WriteRune(' ')
			continue
		}
		k := (v*len(sparkRunes) - 1) / max
		if k >= len(sparkRunes) {
			k = len(sparkRunes) - 1
		}
		b.WriteRune(sparkRunes[k])
	}
	return b.String()
}

// prettyJSON indents JSON for reading; anything else is shown as text.
func prettyJSON(b []byte) []string {
	if len(bytes.TrimSpace(b)) == 0 {
		return []string{"(empty)"}
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return sanitizeAll(strings.Split(strings.TrimRight(string(b), "\n"), "\n"))
	}
	return strings.Split(out.String(), "\n")
}

// oneLine collapses whitespace so a value fits in a list row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// sanitize removes control characters (terminal escapes in user logs or
// payloads must not reach the screen), replaces invalid UTF-8 and expands
// tabs, so what is measured is what the terminal draws.
func sanitize(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, isControl) {
		return s
	}
	s = strings.ToValidUTF8(s, "�")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString("    ")
		case isControl(r):
			b.WriteRune('�')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isControl is C0, DEL and C1 (C1 includes the 8-bit CSI).
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// list is cursor and scroll state for a selectable list of n rows.
type list struct {
	cursor, off int
}

// move handles navigation keys; it reports whether the key was one.
func (l *list) move(km keyMap, msg tea.KeyMsg, n, h int) bool {
	switch {
	case key.Matches(msg, km.Up):
		l.cursor--
	case key.Matches(msg, km.Down):
		l.cursor++
	case key.Matches(msg, km.PageUp):
		l.cursor -= max(h-1, 1)
	case key.Matches(msg, km.PageDown):
		l.cursor += max(h-1, 1)
	case key.Matches(msg, km.Top):
		l.cursor = 0
	case key.Matches(msg, km.Bottom):
		l.cursor = n - 1
	default:
		return false
	}
	l.clamp(n, h)
	return true
}

// clamp keeps the cursor in range and visible in a window of h rows.
func (l *list) clamp(n, h int) {
	if l.cursor >= n {
		l.cursor = n - 1
	}
	if l.cursor < 0 {
		l.cursor = 0
	}
	if h < 1 {
		h = 1
	}
	if l.cursor < l.off {
		l.off = l.cursor
	}
	if l.cursor >= l.off+h {
		l.off = l.cursor - h + 1
	}
	if l.off > n-h {
		l.off = n - h
	}
	if l.off < 0 {
		l.off = 0
	}
}

// textView is a scrollable block of text (details, build output). Long
// lines wrap to the screen width; scrolling counts wrapped lines.
type textView struct {
	title string
	lines []string
	off   int
	n     int // wrapped line count at the last view
}

func (t *textView) update(km keyMap, msg tea.KeyMsg, h int) bool {
	switch {
	case key.Matches(msg, km.Up):
		t.off--
	case key.Matches(msg, km.Down):
		t.off++
	case key.Matches(msg, km.PageUp):
		t.off -= max(h-2, 1)
	case key.Matches(msg, km.PageDown):
		t.off += max(h-2, 1)
	case key.Matches(msg, km.Top):
		t.off = 0
	case key.Matches(msg, km.Bottom):
		t.off = t.n
	default:
		return false
	}
	t.off = min(max(t.off, 0), max(t.n-(h-1), 0))
	return true
}

// view renders the title line and h-1 lines of text.
func (t *textView) view(st styles, w, h int) []string {
	var wrapped []string
	for _, l := range t.lines {
		if ansi.StringWidth(l) <= w {
			wrapped = append(wrapped, l)
			continue
		}
		wrapped = append(wrapped, strings.Split(ansi.Wrap(l, w, ""), "\n")...)
	}
	t.n = len(wrapped)
	body := h - 1
	t.off = min(max(t.off, 0), max(len(wrapped)-body, 0))
	pos := ""
	if len(wrapped) > body {
		pos = fmt.Sprintf("  %d-%d of %d", t.off+1, min(t.off+body, len(wrapped)), len(wrapped))
	}
	out := make([]string, 0, h)
	out = append(out, fit(st.title.Render(t.title)+st.dim.Render(pos), w))
	for i := t.off; i < len(wrapped) && len(out) < h; i++ {
		out = append(out, fit(wrapped[i], w))
	}
	return out
}

// section appends a titled block to lines; body must be sanitized already
// when it holds user text.
func section(st styles, lines []string, title string, body ...string) []string {
	lines = append(lines, "", st.bold.Render(title))
	for _, b := range body {
		lines = append(lines, "  "+b)
	}
	return lines
}

func sanitizeAll(lines []string) []string {
	for i, l := range lines {
		lines[i] = sanitize(l)
	}
	return lines
}
