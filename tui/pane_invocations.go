package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/slsx/slsx/emulator/telemetry"
)

// invocationsPane is screen 2: the live list of invocations, newest first,
// with a detail view per request.
type invocationsPane struct {
	l      list
	selSeq uint64 // selected invocation; 0 follows the newest
	filter filterInput
	detail *invocation
	back   int // screen Esc returns to from the detail, -1 for this list
	tv     textView

	rows    []*invocation // filtered, newest first; rebuilt per view
	rowsKey [2]any
}

func (p *invocationsPane) capturing() bool { return p.filter.editing }

func (p *invocationsPane) hints() string {
	if p.detail != nil {
		return "↑↓ scroll  t trace  esc back"
	}
	if p.filter.editing {
		return "type to filter  enter apply  esc clear"
	}
	return "↑↓ select  enter details  / filter  g newest"
}

func (p *invocationsPane) open(m *Model, reqID string, back int) {
	if inv, ok := m.s.byReq[reqID]; ok {
		p.detail, p.back = inv, back
		p.tv = textView{}
	}
}

func (p *invocationsPane) update(m *Model, msg tea.KeyMsg) tea.Cmd {
	h := m.contentHeight() - 1
	if p.filter.editing {
		p.filter.update(msg)
		p.selSeq = 0
		return nil
	}
	if p.detail != nil {
		switch {
		case key.Matches(msg, m.km.Back):
			p.detail = nil
			if back := p.back; back >= 0 {
				return func() tea.Msg { return switchMsg(back) }
			}
		case key.Matches(msg, m.km.Trace):
			if id := p.detail.traceID; id != "" {
				p.detail = nil
				return func() tea.Msg { return openTraceMsg{id: id} }
			}
		default:
			p.tv.update(m.km, msg, h)
		}
		return nil
	}
	rows := p.filtered(m)
	p.l.cursor = p.cursorOf(rows)
	switch {
	case key.Matches(msg, m.km.Filter):
		p.filter.editing = true
		return nil
	case key.Matches(msg, m.km.Back):
		p.filter.value = "" // esc on the list clears the filter
		p.selSeq = 0
		return nil
	case key.Matches(msg, m.km.Enter):
		if len(rows) > 0 {
			p.detail, p.back = rows[p.l.cursor], -1
			p.tv = textView{}
		}
		return nil
	}
	if p.l.move(m.km, msg, len(rows), h-1) {
		if p.l.cursor == 0 && key.Matches(msg, m.km.Top, m.km.Up) {
			p.selSeq = 0 // back at the top: follow new invocations again
		} else if len(rows) > 0 {
			p.selSeq = rows[p.l.cursor].seq
		}
	}
	return nil
}

// cursorOf finds the selected invocation in rows (sorted by seq, newest
// first); a vanished selection falls back to the nearest older one.
func (p *invocationsPane) cursorOf(rows []*invocation) int {
	if p.selSeq == 0 {
		return 0
	}
	i := sort.Search(len(rows), func(i int) bool { return rows[i].seq <= p.selSeq })
	if i >= len(rows) {
		i = len(rows) - 1
	}
	return max(i, 0)
}

// filtered returns the invocations matching the filter, newest first.
func (p *invocationsPane) filtered(m *Model) []*invocation {
	k := [2]any{m.s.invSeq, p.filter.value}
	if p.rows != nil && p.rowsKey == k {
		return p.rows
	}
	f := parseFilter(p.filter.value)
	rows := p.rows[:0]
	for i := 0; i < m.s.invs.len(); i++ {
		inv := m.s.invs.last(i)
		if f.match(inv) {
			rows = append(rows, inv)
		}
	}
	p.rows, p.rowsKey = rows, k
	return rows
}

// invFilter is a parsed "/" filter: every term must match.
type invFilter struct {
	fn, status []string
	text       []string
}

func parseFilter(s string) invFilter {
	var f invFilter
	for _, t := range strings.Fields(strings.ToLower(s)) {
		switch {
		case strings.HasPrefix(t, "fn:"), strings.HasPrefix(t, "function:"):
			f.fn = append(f.fn, t[strings.IndexByte(t, ':')+1:])
		case strings.HasPrefix(t, "status:"):
			f.status = append(f.status, t[len("status:"):])
		default:
			f.text = append(f.text, t)
		}
	}
	return f
}

func (f invFilter) match(inv *invocation) bool {
	for _, fn := range f.fn {
		if !strings.Contains(strings.ToLower(inv.function), fn) {
			return false
		}
	}
	for _, st := range f.status {
		ok := inv.status == st || (st == "error" && isFailure(inv.status)) ||
			(st == "cold" && inv.cold) || (st == "warm" && inv.finished && !inv.cold && inv.status != telemetry.StatusThrottled)
		if !ok {
			return false
		}
	}
	for _, t := range f.text {
		hay := strings.ToLower(inv.function + " " + inv.trigger + " " + inv.status + " " + inv.errType + " " + inv.reqID + " " + inv.traceID)
		if !strings.Contains(hay, t) {
			return false
		}
	}
	return true
}

func (p *invocationsPane) view(m *Model, w, h int) []string {
	if p.detail != nil {
		p.tv.title = "Invocation " + p.detail.reqID
		p.tv.lines = invocationDetail(m, p.detail)
		return p.tv.view(m.st, w, h)
	}
	st := m.st
	rows := p.filtered(m)
	cols := []col{
		{title: "TIME", w: 8},
		{title: "TRIGGER", w: 24},
		{title: "FUNCTION", w: 16},
		{title: "STATUS", w: 9},
		{title: "DURATION", w: 8, right: true},
		{title: "START", w: 5},
		{title: "REQUEST ID", flex: true, min: 8},
	}
	if w < 110 {
		cols[1].w, cols[2].w, cols[3].w = 18, 12, 8
	}
	ws := layout(cols, w)
	var out []string
	status := fmt.Sprintf("%d shown of %d kept", len(rows), m.s.invs.len())
	if p.selSeq == 0 {
		status += " · following newest"
	}
	out = append(out, joinLR(p.filter.line(st), st.dim.Render(status), w))
	out = append(out, headerRow(st, cols, ws))
	body := h - 2
	p.l.cursor = p.cursorOf(rows)
	p.l.clamp(len(rows), body)
	if len(rows) == 0 {
		return append(out, st.dim.Render("no invocations yet"))
	}
	for i := p.l.off; i < len(rows) && len(out) < h; i++ {
		inv := rows[i]
		cold := ""
		if inv.cold {
			cold = "cold"
		} else if inv.finished && inv.status != telemetry.StatusThrottled {
			cold = "warm"
		}
		trig := inv.trigger
		if inv.async {
			trig += " (async)"
		}
		dur := fmtDur(inv.dur)
		if !inv.finished {
			dur = "…"
		}
		line := row(cols, ws, []string{inv.start.Format("15:04:05"), trig, inv.function,
			statusCell(st, inv.status), dur, cold, inv.reqID})
		if i == p.l.cursor {
			line = st.sel.Render(fit(ansi.Strip(line), w))
		}
		out = append(out, line)
	}
	return out
}

func statusCell(st styles, status string) string {
	switch {
	case status == telemetry.StatusOK:
		return st.ok.Render(status)
	case status == statusRunning:
		return st.warn.Render(status)
	case status == telemetry.StatusThrottled:
		return st.warn.Render(status)
	case isFailure(status):
		return st.bad.Render(status)
	}
	return status
}

// invocationDetail is the full story of one request: what came in, what
// went out, what it printed, what it cost.
func invocationDetail(m *Model, inv *invocation) []string {
	st := m.st
	var lines []string
	st1 := statusCell(st, inv.status)
	if inv.errType != "" {
		st1 += " " + st.bad.Render(inv.errType)
	}
	lines = append(lines,
		fmt.Sprintf("  %s  %s  %s", st.bold.Render(inv.function), inv.trigger, st1))
	timing := fmt.Sprintf("  started %s", inv.start.Format("15:04:05.000"))
	if inv.finished {
		timing += fmt.Sprintf(" · duration %s", fmtDur(inv.dur))
	} else {
		timing += " · still running"
	}
	start := "warm start"
	if inv.cold {
		start = "cold start"
		if inv.initDur > 0 {
			start += " (init " + fmtDur(inv.initDur) + ")"
		}
	}
	if inv.async {
		start += " · async"
	}
	lines = append(lines, timing+" · "+start)
	lines = append(lines, fmt.Sprintf("  environment %s · generation %d", orDash(inv.envID), inv.gen))
	if inv.traceID != "" {
		lines = append(lines, fmt.Sprintf("  trace %s  %s", inv.traceID, st.dim.Render("(t opens the trace)")))
	}
	if inv.finished && inv.status != telemetry.StatusThrottled {
		report := fmt.Sprintf("RequestId: %s Duration: %.2f ms Billed Duration: %d ms Memory Size: %d MB Max Memory Used: %d MB",
			inv.reqID, float64(inv.dur.Microseconds())/1000, inv.billedMs, inv.memMB, inv.maxMemMB)
		if inv.initDur > 0 {
			report += fmt.Sprintf(" Init Duration: %.2f ms", float64(inv.initDur.Microseconds())/1000)
		}
		lines = section(st, lines, "REPORT", report)
	}
	lines = section(st, lines, "Event", prettyJSON(inv.event)...)
	if inv.finished {
		lines = section(st, lines, "Response", prettyJSON(inv.response)...)
	}
	logs := make([]string, 0, len(inv.logs))
	for _, l := range inv.logs {
		logs = append(logs, sanitize(l))
	}
	if len(logs) == 0 {
		logs = []string{"(no output)"}
	}
	return section(st, lines, "Logs", logs...)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
