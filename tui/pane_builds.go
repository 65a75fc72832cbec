package tui

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// buildsPane is screen 5: reload history, newest first — what changed,
// what was rebuilt, how long it took, and the compiler's words on failure.
type buildsPane struct {
	l      list
	detail *buildEntry
	tv     textView
}

func (p *buildsPane) capturing() bool { return false }

func (p *buildsPane) hints() string {
	if p.detail != nil {
		return "↑↓ scroll  esc back"
	}
	return "↑↓ select  enter full output"
}

func (p *buildsPane) update(m *Model, msg tea.KeyMsg) tea.Cmd {
	h := m.contentHeight()
	if p.detail != nil {
		if key.Matches(msg, m.km.Back) {
			p.detail = nil
			return nil
		}
		p.tv.update(m.km, msg, h)
		return nil
	}
	n := m.s.builds.len()
	if p.l.move(m.km, msg, n, h-1) {
		return nil
	}
	if key.Matches(msg, m.km.Enter) && n > 0 {
		p.l.clamp(n, h-1)
		p.detail = m.s.builds.last(p.l.cursor)
		p.tv = textView{}
	}
	return nil
}

func (p *buildsPane) view(m *Model, w, h int) []string {
	st, s := m.st, m.s
	if b := p.detail; b != nil {
		p.tv.title = buildWhat(b)
		lines := []string{"  " + b.at.Format("15:04:05.000") + "  " + p.resultCell(m, b)}
		if b.reason != "" {
			lines = append(lines, "  reason: "+b.reason)
		}
		if len(b.paths) > 0 {
			lines = section(st, lines, "Changed files", sanitizeAll(append([]string(nil), b.paths...))...)
		}
		if len(b.fns) > 0 {
			lines = section(st, lines, "Functions rebuilt", b.fns...)
		}
		if b.err != "" || b.output != "" {
			out := splitLines(b.output)
			if b.err != "" && !strings.Contains(b.output, b.err) {
				out = append([]string{sanitize(b.err)}, out...)
			}
			lines = section(st, lines, "Output", out...)
		}
		p.tv.lines = lines
		return p.tv.view(st, w, h)
	}
	cols := []col{
		{title: "TIME", w: 8},
		{title: "WHAT", w: 34},
		{title: "RESULT", flex: true, min: 10},
	}
	if w < 100 {
		cols[1].w = 28
	}
	ws := layout(cols, w)
	out := []string{headerRow(st, cols, ws)}
	n := s.builds.len()
	if n == 0 {
		return append(out, st.dim.Render("no builds yet"))
	}
	p.l.clamp(n, h-1)
	for i := p.l.off; i < n && len(out) < h; i++ {
		b := s.builds.last(i)
		line := row(cols, ws, []string{b.at.Format("15:04:05"), buildWhat(b), p.resultCell(m, b)})
		if i == p.l.cursor {
			line = st.sel.Render(fit(ansi.Strip(line), w))
		}
		out = append(out, line)
	}
	return out
}

func buildWhat(b *buildEntry) string {
	switch b.kind {
	case "change":
		if len(b.paths) == 0 {
			return "change"
		}
		s := "change " + filepath.Base(b.paths[0])
		if len(b.paths) > 1 {
			s += fmt.Sprintf(" +%d more", len(b.paths)-1)
		}
		return s
	case "build":
		return fmt.Sprintf("build %s gen %d", b.function, b.gen)
	case "swap":
		return fmt.Sprintf("swap %s %d → %d", b.function, b.oldGen, b.gen)
	case "config":
		return "config reloaded"
	}
	return b.kind
}

func (p *buildsPane) resultCell(m *Model, b *buildEntry) string {
	st := m.st
	switch b.kind {
	case "change":
		if len(b.fns) == 0 {
			return st.dim.Render("no function affected")
		}
		return "→ " + strings.Join(b.fns, ", ")
	case "build":
		switch {
		case b.running:
			return st.warn.Render(spinFrames[m.spin%len(spinFrames)] + " building")
		case b.err != "":
			first := b.err
			if ls := splitLines(b.output); len(ls) > 0 {
				first = ls[0]
				for _, l := range ls { // the first line that names a file is the useful one
					if strings.Contains(l, ".go:") {
						first = l
						break
					}
				}
			}
			return st.bad.Render("✗ "+fmtDur(b.dur)) + " " + sanitize(first)
		default:
			return st.ok.Render("ok") + " " + fmtDur(b.dur)
		}
	case "swap":
		return st.ok.Render("serving")
	case "config":
		if b.err != "" {
			return st.bad.Render("✗ rejected: ") + sanitize(oneLine(b.err))
		}
		return st.ok.Render("ok")
	}
	return ""
}
