package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// tracesPane is screen 3: recent traces, and for one trace the causal tree
// of everything it touched with a timeline.
type tracesPane struct {
	l      list
	selSeq uint64 // selected trace; 0 follows the newest
	open_  string // trace shown as a tree, "" for the list
	tl     list   // cursor in the tree

	rows    []*trace
	rowsVer uint64
	tree    []treeRow
	treeKey [2]any
}

func (p *tracesPane) capturing() bool { return false }

func (p *tracesPane) hints() string {
	if p.open_ != "" {
		return "↑↓ select  enter open invocation  esc back"
	}
	return "↑↓ select  enter show tree  g newest"
}

func (p *tracesPane) open(id string) {
	p.open_ = id
	p.tl = list{}
	p.treeKey = [2]any{}
}

func (p *tracesPane) update(m *Model, msg tea.KeyMsg) tea.Cmd {
	h := m.contentHeight()
	if p.open_ != "" {
		rows := p.treeRows(m)
		switch {
		case key.Matches(msg, m.km.Back):
			p.open_ = ""
		case key.Matches(msg, m.km.Enter):
			if p.tl.cursor < len(rows) {
				if sp := rows[p.tl.cursor].span; sp.kind == spanInvoke && sp.reqID != "" {
					id := sp.reqID
					return func() tea.Msg { return openInvocationMsg{reqID: id, back: 2} }
				}
			}
		default:
			p.tl.move(m.km, msg, len(rows), h-3)
		}
		return nil
	}
	rows := p.list(m)
	p.l.cursor = p.cursorOf(rows)
	if key.Matches(msg, m.km.Enter) {
		if len(rows) > 0 {
			p.open(rows[p.l.cursor].id)
		}
		return nil
	}
	if p.l.move(m.km, msg, len(rows), h-1) {
		if p.l.cursor == 0 && key.Matches(msg, m.km.Top, m.km.Up) {
			p.selSeq = 0
		} else if len(rows) > 0 {
			p.selSeq = rows[p.l.cursor].seq
		}
	}
	return nil
}

func (p *tracesPane) cursorOf(rows []*trace) int {
	if p.selSeq == 0 {
		return 0
	}
	i := sort.Search(len(rows), func(i int) bool { return rows[i].seq <= p.selSeq })
	if i >= len(rows) {
		i = len(rows) - 1
	}
	return max(i, 0)
}

// list returns kept traces, newest first.
func (p *tracesPane) list(m *Model) []*trace {
	ts := &m.s.traces
	if p.rows != nil && p.rowsVer == ts.version {
		return p.rows
	}
	rows := p.rows[:0]
	for i := 0; i < ts.order.len(); i++ {
		rows = append(rows, ts.order.last(i))
	}
	p.rows, p.rowsVer = rows, ts.version
	return rows
}

func (p *tracesPane) treeRows(m *Model) []treeRow {
	t := m.s.traces.byID[p.open_]
	if t == nil {
		return nil
	}
	k := [2]any{t, t.version}
	if p.treeKey != k {
		p.tree, p.treeKey = t.tree(), k
	}
	return p.tree
}

func (p *tracesPane) view(m *Model, w, h int) []string {
	if p.open_ != "" {
		return p.treeView(m, w, h)
	}
	st := m.st
	rows := p.list(m)
	cols := []col{
		{title: "TIME", w: 8},
		{title: "STARTED BY", w: 28},
		{title: "PATH", flex: true, min: 10},
		{title: "SPANS", w: 5, right: true},
		{title: "TOTAL", w: 8, right: true},
		{title: "ERR", w: 3, right: true},
	}
	if w < 110 {
		cols[1].w = 22
	}
	ws := layout(cols, w)
	out := []string{headerRow(st, cols, ws)}
	if len(rows) == 0 {
		return append(out, st.dim.Render("no traces yet: requests carrying X-Amzn-Trace-Id show up here"))
	}
	p.l.cursor = p.cursorOf(rows)
	p.l.clamp(len(rows), h-1)
	now := m.now()
	for i := p.l.off; i < len(rows) && len(out) < h; i++ {
		t := rows[i]
		r := t.root()
		start, end := t.bounds(now)
		errs := ""
		if n := t.errors(); n > 0 {
			errs = st.bad.Render(fmt.Sprint(n))
		}
		line := row(cols, ws, []string{start.Format("15:04:05"), spanLabel(st, r, false),
			pathSummary(t), fmt.Sprint(len(t.spans)), fmtDur(end.Sub(start)), errs})
		if i == p.l.cursor {
			line = st.sel.Render(fit(ansi.Strip(line), w))
		}
		out = append(out, line)
	}
	return out
}

// pathSummary is the chain of services a trace crossed, in tree order:
// "API › λ users › DDB › stream › λ notify".
func pathSummary(t *trace) string {
	if t.pathVer == t.version && t.path != "" {
		return t.path
	}
	var parts []string
	for _, r := range t.tree() {
		var p string
		switch r.span.kind {
		case spanHTTP:
			p = "API"
		case spanInvoke:
			p = "λ " + r.span.function
		case spanWrite:
			p = "DDB"
		case spanStream:
			p = "stream"
		case spanPublish:
			p = "SNS"
		case spanDeliver:
			continue
		}
		if len(parts) == 0 || parts[len(parts)-1] != p {
			parts = append(parts, p)
		}
	}
	t.path, t.pathVer = strings.Join(parts, " › "), t.version
	return t.path
}

// spanLabel describes one span; long adds the detail shown in the tree.
func spanLabel(st styles, sp *span, long bool) string {
	if sp == nil {
		return ""
	}
	switch sp.kind {
	case spanHTTP:
		s := "API " + sp.method + " " + sp.path
		if sp.httpStatus != 0 {
			code := fmt.Sprint(sp.httpStatus)
			switch {
			case sp.httpStatus >= 500:
				code = st.bad.Render(code)
			case sp.httpStatus >= 400:
				code = st.warn.Render(code)
			default:
				code = st.ok.Render(code)
			}
			s += " → " + code
		}
		if long && sp.routeKey != "" && sp.routeKey != sp.method+" "+sp.path {
			s += st.dim.Render("  route " + sp.routeKey)
		}
		return s
	case spanInvoke:
		s := "λ " + st.bold.Render(sp.function)
		if !long {
			return s + " " + st.dim.Render(sp.trigger)
		}
		if sp.running {
			s += " " + st.warn.Render("running")
		} else {
			s += " " + statusCell(st, sp.status)
		}
		if sp.errType != "" {
			s += " " + st.bad.Render(sp.errType)
		}
		if sp.cold {
			c := "cold"
			if sp.initDur > 0 {
				c += " init " + fmtDur(sp.initDur)
			}
			s += " " + st.warn.Render(c)
		}
		return s
	case spanWrite:
		s := "DynamoDB " + sp.op + " " + sp.table
		if long && sp.keys != "" {
			s += " " + st.dim.Render(sp.keys)
		}
		return s
	case spanStream:
		s := fmt.Sprintf("stream %s → %s, %d record", sp.table, sp.function, sp.records)
		if sp.records != 1 {
			s += "s"
		}
		if sp.err != "" {
			s += " " + st.bad.Render(sp.err)
		}
		return s
	case spanPublish:
		s := "SNS publish " + sp.topic
		if long && sp.messageID != "" {
			s += " " + st.dim.Render("msg "+shortID(sp.messageID))
		}
		return s
	case spanDeliver:
		s := "SNS deliver " + sp.protocol + " " + shortEndpoint(sp.endpoint)
		if sp.attempt > 1 {
			s += fmt.Sprintf(" attempt %d", sp.attempt)
		}
		if sp.err != "" {
			s += " " + st.bad.Render("✗ "+sp.err)
		} else {
			s += " " + st.ok.Render("✓")
		}
		return s
	}
	return ""
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// shortEndpoint shows a function name for a Lambda ARN.
func shortEndpoint(e string) string {
	if i := strings.Index(e, ":function:"); i >= 0 {
		return strings.SplitN(e[i+len(":function:"):], ":", 2)[0]
	}
	return e
}

// treePrefix draws the branches in front of a tree row.
func treePrefix(r treeRow) string {
	if r.depth == 0 {
		return ""
	}
	var b strings.Builder
	for lvl := 1; lvl < r.depth; lvl++ {
		if r.last[lvl] {
			b.WriteString("   ")
		} else {
			b.WriteString("│  ")
		}
	}
	if r.last[r.depth] {
		b.WriteString("└─ ")
	} else {
		b.WriteString("├─ ")
	}
	return b.String()
}

func (p *tracesPane) treeView(m *Model, w, h int) []string {
	st := m.st
	t := m.s.traces.byID[p.open_]
	if t == nil {
		return []string{st.title.Render("Trace " + p.open_), st.dim.Render("this trace is no longer kept (esc to go back)")}
	}
	rows := p.treeRows(m)
	now := m.now()
	start, end := t.bounds(now)
	total := end.Sub(start)
	fns := map[string]bool{}
	for i := range t.spans {
		if t.spans[i].kind == spanInvoke {
			fns[t.spans[i].function] = true
		}
	}
	summary := fmt.Sprintf("  %s total · %d spans · %d functions", fmtDur(total), len(t.spans), len(fns))
	if n := t.errors(); n > 0 {
		summary += " · " + st.bad.Render(fmt.Sprintf("%d failed", n))
	}
	if t.omitted > 0 {
		summary += st.dim.Render(fmt.Sprintf(" · %d more not kept", t.omitted))
	}
	out := []string{fit(st.title.Render("Trace "+t.id)+summary, w)}

	barW := 0
	if w >= 70 {
		barW = min(max(w/4, 12), 40)
	}
	cols := []col{
		{title: "AT", w: 7, right: true},
		{title: "STEP", flex: true, min: 10},
		{title: "TOOK", w: 7, right: true},
		{title: "TIMELINE", w: barW},
	}
	ws := layout(cols, w)
	out = append(out, headerRow(st, cols, ws))
	body := h - 2
	p.tl.clamp(len(rows), body)
	for i := p.tl.off; i < len(rows) && len(out) < h; i++ {
		r := rows[i]
		sp := r.span
		took := ""
		if sp.kind == spanInvoke || sp.kind == spanHTTP {
			if sp.running {
				took = "…"
			} else {
				took = fmtDur(sp.end.Sub(sp.start))
			}
		}
		step := st.dim.Render(treePrefix(r)) + spanLabel(st, sp, true)
		line := row(cols, ws, []string{"+" + fmtOffset(sp.start.Sub(start)), step, took,
			timeline(st, sp, start, total, now, barW)})
		if i == p.tl.cursor {
			line = st.sel.Render(fit(ansi.Strip(line), w))
		}
		out = append(out, line)
	}
	return out
}

func fmtOffset(d time.Duration) string {
	if d <= 0 {
		return "0ms"
	}
	return fmtDur(d)
}

// timeline draws where a span sits within the trace: a bar for the time it
// ran, a tick for a point event.
func timeline(st styles, sp *span, t0 time.Time, total time.Duration, now time.Time, w int) string {
	if w <= 0 {
		return ""
	}
	end := sp.end
	if sp.running {
		end = now
	}
	pos := func(t time.Time) int {
		if total <= 0 {
			return 0
		}
		return int(int64(t.Sub(t0)) * int64(w-1) / int64(total))
	}
	a, b := pos(sp.start), pos(end)
	a, b = min(max(a, 0), w-1), min(max(b, 0), w-1)
	var mark string
	if sp.kind == spanInvoke || sp.kind == spanHTTP {
		mark = strings.Repeat("█", b-a+1)
	} else {
		mark = "|"
	}
	style := st.ok
	if sp.failed() {
		style = st.bad
	} else if sp.kind != spanInvoke && sp.kind != spanHTTP {
		style = st.dim
	}
	return strings.Repeat(" ", a) + style.Render(mark)
}
