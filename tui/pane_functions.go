package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// functionsPane is screen 1: one row per function, Enter for its details.
type functionsPane struct {
	l      list
	detail string // function shown in detail, "" for the table
	tv     textView
}

func (p *functionsPane) capturing() bool { return false }

func (p *functionsPane) hints() string {
	if p.detail != "" {
		return "↑↓ scroll  esc back"
	}
	return "↑↓ select  enter details"
}

func (p *functionsPane) update(m *Model, msg tea.KeyMsg) tea.Cmd {
	h := m.contentHeight() - 1
	if p.detail != "" {
		if key.Matches(msg, m.km.Back) {
			p.detail = ""
			return nil
		}
		p.tv.update(m.km, msg, h)
		return nil
	}
	n := len(m.s.fnOrder)
	if p.l.move(m.km, msg, n, h) {
		return nil
	}
	if key.Matches(msg, m.km.Enter) && n > 0 {
		p.l.clamp(n, h)
		p.detail = m.s.fnOrder[p.l.cursor]
		p.tv = textView{}
	}
	return nil
}

func (p *functionsPane) view(m *Model, w, h int) []string {
	if p.detail != "" {
		if f, ok := m.s.fns[p.detail]; ok {
			p.tv.title = f.name
			p.tv.lines = p.detailLines(m, f, w)
			return p.tv.view(m.st, w, h)
		}
		p.detail = ""
	}
	st, s := m.st, m.s
	nameW := 8
	for _, n := range s.fnOrder {
		nameW = max(nameW, len(n))
	}
	nameW = min(nameW, 24)
	cols := []col{
		{title: "FUNCTION", w: nameW},
		{title: "STATE", w: 10},
		{title: "GEN", w: 3, right: true},
		{title: "BUSY/IDLE/MAX", w: 13},
		{title: "INV", w: 6, right: true},
		{title: "ERR", w: 5, right: true},
		{title: "THR", w: 5, right: true},
		{title: "COLD", w: 5, right: true},
		{title: "P50", w: 7, right: true},
		{title: "P99", w: 7, right: true},
		{title: "CONCURRENCY", flex: true, min: 8},
	}
	if w < 100 { // 80 columns: drop what the details screen shows anyway
		cols[2].w, cols[7].w = 0, 0
		cols[3].title, cols[3].w = "B/I/MAX", 8
		cols[4].w, cols[5].w, cols[6].w = 5, 4, 4
		cols[8].w, cols[9].w = 6, 6
		nameW = min(nameW, 14)
		cols[0].w = nameW
	}
	ws := layout(cols, w)
	out := []string{headerRow(st, cols, ws)}
	if len(s.fnOrder) == 0 {
		return append(out, st.dim.Render("no functions yet"))
	}
	body := h - 1
	p.l.clamp(len(s.fnOrder), body)
	now := m.now()
	for i := p.l.off; i < len(s.fnOrder) && len(out) < h; i++ {
		f := s.fns[s.fnOrder[i]]
		p50, p99, _ := f.stats(now)
		envs := fmt.Sprintf("%d/%d/%s", f.busy, f.idle, limitStr(f.limit))
		if f.queued > 0 {
			envs += fmt.Sprintf(" +%dq", f.queued)
		}
		errs := fmt.Sprint(f.errs)
		if f.errs > 0 {
			errs = st.bad.Render(errs)
		}
		thr := fmt.Sprint(f.throttles)
		if f.throttles > 0 {
			thr = st.warn.Render(thr)
		}
		cells := []string{
			f.name, m.buildCell(f), fmt.Sprint(f.gen), envs, fmtCount(f.inv), errs, thr,
			fmtCount(f.colds), fmtDur(p50), fmtDur(p99), "",
		}
		if sw := ws[len(ws)-1]; sw > 0 {
			cells[len(cells)-1] = st.ok.Render(sparkline(&f.spark, sw, f.limit))
		}
		line := row(cols, ws, cells)
		if i == p.l.cursor {
			line = st.sel.Render(fit(ansi.Strip(line), w))
		}
		out = append(out, line)
	}
	return out
}

func limitStr(l int) string {
	if l <= 0 {
		return "-"
	}
	return fmt.Sprint(l)
}

func (m *Model) buildCell(f *fnStats) string {
	switch f.build {
	case buildBuilding:
		return m.st.warn.Render(spinFrames[m.spin%len(spinFrames)] + " building")
	case buildFailed:
		return m.st.bad.Render("✗ failed")
	case buildReady:
		return m.st.ok.Render("● ready")
	}
	return m.st.dim.Render("-")
}

func (p *functionsPane) detailLines(m *Model, f *fnStats, w int) []string {
	st := m.st
	p50, p99, n := f.stats(m.now())
	var lines []string
	state := m.buildCell(f)
	lines = append(lines, fmt.Sprintf("  %s · generation %d · environments %d busy, %d idle, %d queued (limit %s)",
		state, f.gen, f.busy, f.idle, f.queued, limitStr(f.limit)))
	lines = append(lines, fmt.Sprintf("  invocations %d · errors %d · throttles %d · cold starts %d · p50 %s · p99 %s (last %d)",
		f.inv, f.errs, f.throttles, f.colds, fmtDur(p50), fmtDur(p99), n))
	if fi := f.info; fi != nil {
		lines = append(lines, fmt.Sprintf("  handler %s · memory %d MB · timeout %s · concurrency %s",
			fi.Handler, fi.MemoryMB, fi.Timeout, limitStr(fi.Concurrency)))
	}
	sw := max(w-4, 10)
	lines = append(lines, "", st.bold.Render("Concurrency")+st.dim.Render(fmt.Sprintf("  busy environments, last %d s", min(sw, f.spark.len()))),
		"  "+st.ok.Render(sparkline(&f.spark, sw, f.limit)))
	if fi := f.info; fi != nil {
		lines = section(st, lines, "Routes", orNone(sanitizeAll(append([]string(nil), fi.Routes...)))...)
		lines = section(st, lines, "Triggers", orNone(sanitizeAll(append([]string(nil), fi.Triggers...)))...)
		var env []string
		for k, v := range fi.Env {
			env = append(env, sanitize(k+"="+v))
		}
		sort.Strings(env)
		lines = section(st, lines, "Environment", orNone(env)...)
	} else {
		lines = append(lines, "", st.dim.Render("  not in the current project description"))
	}
	title := "Last build"
	if !f.buildAt.IsZero() {
		title += st.dim.Render(fmt.Sprintf("  %s · %s · %s", f.buildAt.Format("15:04:05"), fmtDur(f.buildDur), f.buildReason))
	}
	var out []string
	switch {
	case f.build == buildBuilding:
		out = []string{"building…"}
	case f.buildErr != "":
		out = append([]string{st.bad.Render(f.buildErr)}, splitLines(f.buildOutput)...)
	case f.buildAt.IsZero():
		out = []string{"(no build seen yet)"}
	default:
		out = append([]string{st.ok.Render("ok")}, splitLines(f.buildOutput)...)
	}
	return section(st, lines, title, out...)
}

func orNone(v []string) []string {
	if len(v) == 0 {
		return []string{"(none)"}
	}
	return v
}

func splitLines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return sanitizeAll(strings.Split(s, "\n"))
}
