package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// logsPane is screen 6: slsx's own log and every function's output, each
// line tagged with its function, tailing like `tail -f` until the user
// scrolls up. The filter also matches a request id.
type logsPane struct {
	follow bool
	off    int // first line shown when not following
	filter filterInput

	rows    []logEntry
	rowsKey [2]any
}

func (p *logsPane) capturing() bool { return p.filter.editing }

func (p *logsPane) hints() string {
	if p.filter.editing {
		return "type to filter  enter apply  esc clear"
	}
	if p.follow {
		return "↑ scroll back  / filter"
	}
	return "↑↓ scroll  G follow  / filter"
}

func (p *logsPane) filtered(m *Model) []logEntry {
	k := [2]any{m.s.logsSeq, p.filter.value}
	if p.rows != nil && p.rowsKey == k {
		return p.rows
	}
	terms := strings.Fields(strings.ToLower(p.filter.value))
	rows := p.rows[:0]
outer:
	for i := 0; i < m.s.logs.len(); i++ {
		l := m.s.logs.at(i)
		if len(terms) > 0 {
			hay := strings.ToLower(l.source + " " + l.reqID + " " + l.level + " " + l.text)
			for _, t := range terms {
				if !strings.Contains(hay, t) {
					continue outer
				}
			}
		}
		rows = append(rows, l)
	}
	p.rows, p.rowsKey = rows, k
	return rows
}

func (p *logsPane) update(m *Model, msg tea.KeyMsg) tea.Cmd {
	if p.filter.editing {
		p.filter.update(msg)
		return nil
	}
	body := m.contentHeight() - 1
	n := len(p.filtered(m))
	if p.follow {
		p.off = max(n-body, 0)
	}
	switch {
	case key.Matches(msg, m.km.Filter):
		p.filter.editing = true
		return nil
	case key.Matches(msg, m.km.Back):
		p.filter.value = ""
		return nil
	case key.Matches(msg, m.km.Up):
		p.off--
	case key.Matches(msg, m.km.Down):
		p.off++
	case key.Matches(msg, m.km.PageUp):
		p.off -= body
	case key.Matches(msg, m.km.PageDown):
		p.off += body
	case key.Matches(msg, m.km.Top):
		p.off = 0
	case key.Matches(msg, m.km.Bottom):
		p.off = n
	default:
		return nil
	}
	last := max(n-body, 0)
	p.off = min(max(p.off, 0), last)
	p.follow = p.off == last
	return nil
}

func (p *logsPane) view(m *Model, w, h int) []string {
	st := m.st
	rows := p.filtered(m)
	body := h - 1
	if p.follow {
		p.off = max(len(rows)-body, 0)
	}
	p.off = min(max(p.off, 0), max(len(rows)-body, 0))
	status := "following"
	if !p.follow {
		status = "scrolled back (G to follow)"
	}
	out := []string{joinLR(p.filter.line(st)+" ", st.dim.Render(status), w)}
	if len(rows) == 0 {
		return append(out, st.dim.Render("no log lines yet"))
	}
	srcW := 6
	for i := p.off; i < len(rows) && i < p.off+body; i++ {
		srcW = max(srcW, min(len(rows[i].source), 16))
	}
	for i := p.off; i < len(rows) && len(out) < h; i++ {
		l := rows[i]
		src := fit(l.source, srcW)
		text := sanitize(l.text)
		switch strings.ToUpper(l.level) {
		case "ERROR":
			text = st.bad.Render(text)
		case "WARN", "WARNING":
			text = st.warn.Render(text)
		case "DEBUG":
			text = st.dim.Render(text)
		}
		out = append(out, st.dim.Render(l.at.Format("15:04:05"))+" "+st.bold.Render(src)+" "+text)
	}
	return out
}
