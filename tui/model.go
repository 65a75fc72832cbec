package tui

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// Default size before the terminal reports its own: the smallest screen the
// dashboard is designed for.
const (
	defaultWidth  = 80
	defaultHeight = 24
	chromeLines   = 4 // two header lines, the tab bar, the footer
)

// clockInterval drives uptime, the one-a-second concurrency samples and the
// moving latency window.
const clockInterval = time.Second

// spinInterval animates the "building" spinner; it only ticks while a
// build runs.
const spinInterval = 120 * time.Millisecond

var spinFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

type clockMsg time.Time
type spinMsg struct{}

// openTraceMsg switches to the trace screen showing one trace.
type openTraceMsg struct{ id string }

// openInvocationMsg switches to the invocations screen showing one
// request; Esc there returns to screen back.
type openInvocationMsg struct {
	reqID string
	back  int
}

// switchMsg switches to a screen.
type switchMsg int

// pane is one screen. The root model routes keys to the active pane.
type pane interface {
	update(m *Model, msg tea.KeyMsg) tea.Cmd
	view(m *Model, w, h int) []string
	hints() string
	// capturing reports that the pane takes text input (a filter), so
	// global keys like q and 1-6 go to it.
	capturing() bool
}

// Model is the root bubbletea model of the dashboard.
type Model struct {
	st   styles
	km   keyMap
	s    *store
	now  func() time.Time
	tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd // tea.Tick; tests stop the clock

	width, height int
	active        int
	help          bool
	spin          int
	spinning      bool

	fnP  *functionsPane
	invP *invocationsPane
	trP  *tracesPane
	resP *resourcesPane
	bldP *buildsPane
	logP *logsPane
}

// NewModel returns the dashboard model for info; Run wraps it in a program.
func NewModel(info Info) *Model {
	return newModel(info, time.Now)
}

func newModel(info Info, now func() time.Time) *Model {
	m := &Model{
		st:     newStyles(),
		km:     newKeyMap(),
		now:    now,
		tick:   tea.Tick,
		width:  defaultWidth,
		height: defaultHeight,
		fnP:    &functionsPane{},
		invP:   &invocationsPane{},
		trP:    &tracesPane{},
		resP:   &resourcesPane{},
		bldP:   &buildsPane{},
		logP:   &logsPane{follow: true},
	}
	m.s = newStore(info, now())
	return m
}

func (m *Model) panes() [6]pane {
	return [6]pane{m.fnP, m.invP, m.trP, m.resP, m.bldP, m.logP}
}

func (m *Model) pane() pane { return m.panes()[m.active] }

// Init starts the clock.
func (m *Model) Init() tea.Cmd { return m.clockTick() }

func (m *Model) clockTick() tea.Cmd {
	return m.tick(clockInterval, func(t time.Time) tea.Msg { return clockMsg(t) })
}

func (m *Model) spinTick() tea.Cmd {
	return m.tick(spinInterval, func(time.Time) tea.Msg { return spinMsg{} })
}

// Update folds a message into the model. It never blocks: events are
// applied in O(1) each, slow work (table reads) is returned as a tea.Cmd.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case EventsMsg:
		for _, e := range msg.Events {
			m.s.apply(e)
		}
		m.s.dropped = msg.Dropped
		return m, m.maybeSpin()
	case InfoMsg:
		m.s.setInfo(Info(msg))
		return m, nil
	case clockMsg:
		m.s.sample()
		var cmd tea.Cmd
		if m.active == screenResources {
			cmd = m.resP.refresh(m)
		}
		return m, tea.Batch(m.clockTick(), cmd)
	case spinMsg:
		m.spin++
		if len(m.s.building) == 0 {
			m.spinning = false
			return m, nil
		}
		return m, m.spinTick()
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case openTraceMsg:
		m.active = 2
		m.trP.open(msg.id)
		return m, nil
	case openInvocationMsg:
		m.active = 1
		m.invP.open(m, msg.reqID, msg.back)
		return m, nil
	case switchMsg:
		return m, m.switchTo(int(msg))
	case tableItemsMsg, resourceCountsMsg:
		return m, m.resP.handle(m, msg)
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) maybeSpin() tea.Cmd {
	if m.spinning || len(m.s.building) == 0 {
		return nil
	}
	m.spinning = true
	return m.spinTick()
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	p := m.pane()
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	if p.capturing() {
		return p.update(m, msg)
	}
	if m.help {
		if key.Matches(msg, m.km.Quit) {
			return tea.Quit
		}
		m.help = false // any key closes help
		return nil
	}
	switch {
	case key.Matches(msg, m.km.Quit):
		return tea.Quit
	case key.Matches(msg, m.km.Help):
		m.help = true
		return nil
	case key.Matches(msg, m.km.Tab):
		return m.switchTo((m.active + 1) % len(screenNames))
	case key.Matches(msg, m.km.BackTab):
		return m.switchTo((m.active + len(screenNames) - 1) % len(screenNames))
	}
	for i, b := range m.km.Screens {
		if key.Matches(msg, b) {
			return m.switchTo(i)
		}
	}
	return p.update(m, msg)
}

// switchTo shows screen i. The resources screen asks for fresh lists and
// counts at once rather than showing stale rows until the next clock tick.
func (m *Model) switchTo(i int) tea.Cmd {
	m.active = i
	if i == screenResources {
		return m.resP.refresh(m)
	}
	return nil
}

// contentHeight is the number of lines the active pane draws.
func (m *Model) contentHeight() int {
	return max(m.height-chromeLines, 1)
}

// View draws the whole screen: exactly height lines, none wider than width.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := make([]string, 0, h)
	lines = append(lines, m.headerLines(w)...)
	lines = append(lines, m.tabBar(w))
	ch := m.contentHeight()
	var body []string
	if m.help {
		body = columns(m.helpLines(), w, ch)
	} else {
		body = m.pane().view(m, w, ch)
	}
	for i := 0; i < ch; i++ {
		if i < len(body) {
			lines = append(lines, fit(body[i], w))
		} else {
			lines = append(lines, "")
		}
	}
	lines = append(lines, m.footer(w))
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

func (m *Model) headerLines(w int) []string {
	st, s := m.st, m.s
	name := s.info.Project
	if name == "" {
		name = "slsx"
	}
	state, fns := s.watcherState()
	var stateStr string
	switch state {
	case "building":
		stateStr = st.warn.Render(spinFrames[m.spin%len(spinFrames)] + " building " + strings.Join(fns, ", "))
	case "build failed":
		stateStr = st.bad.Render("✗ build failed: " + strings.Join(fns, ", "))
	case "config error":
		stateStr = st.bad.Render("✗ config rejected")
	default:
		stateStr = st.ok.Render("● watching")
	}
	left := st.title.Render("slsx · "+name) + "  " + stateStr
	errs := fmt.Sprintf("err %s", fmtCount(s.totErr))
	if s.totErr > 0 {
		errs = st.bad.Render(errs)
	}
	thr := fmt.Sprintf("thr %s", fmtCount(s.totThr))
	if s.totThr > 0 {
		thr = st.warn.Render(thr)
	}
	right := fmt.Sprintf("inv %s  %s  %s  cold %s  up %s", fmtCount(s.totInv), errs, thr,
		fmtCount(s.totCold), fmtUptime(m.now().Sub(s.start)))
	if s.dropped > 0 {
		right = st.warn.Render(fmt.Sprintf("dropped %s", fmtCount(int(s.dropped)))) + "  " + right
	}
	l1 := joinLR(left, right, w)

	var parts []string
	for _, u := range s.info.APIURLs {
		parts = append(parts, st.dim.Render("API ")+u)
	}
	if s.info.AWSURL != "" {
		parts = append(parts, st.dim.Render("AWS ")+s.info.AWSURL)
	}
	if s.info.Executor != "" {
		parts = append(parts, st.dim.Render("executor ")+s.info.Executor)
	}
	return []string{l1, fit(strings.Join(parts, "   "), w)}
}

// joinLR puts right at the right edge of a w-wide line, truncating left.
func joinLR(left, right string, w int) string {
	rw := ansi.StringWidth(right)
	if rw+2 > w {
		return fit(right, w)
	}
	return fit(left, w-rw-1) + " " + right
}

func (m *Model) tabBar(w int) string {
	var b strings.Builder
	for i, n := range screenNames {
		label := fmt.Sprintf("%d %s", i+1, n)
		if w < 72 { // numbers alone still navigate on a narrow screen
			label = fmt.Sprintf("%d %s", i+1, n[:3])
		}
		if i == m.active {
			b.WriteString(m.st.tabActive.Render(label))
		} else {
			b.WriteString(m.st.tab.Render(label))
		}
		b.WriteString("  ")
	}
	return fit(b.String(), w)
}

func (m *Model) footer(w int) string {
	if m.help {
		return fit(m.st.dim.Render("any key closes help"), w)
	}
	return fit(m.st.dim.Render(m.pane().hints()+"  ·  ? help  q quit"), w)
}

func (m *Model) helpLines() []string {
	km := m.km
	groups := []struct {
		title string
		keys  []key.Binding
	}{
		{"Screens", append(km.Screens[:], km.Tab, km.BackTab)},
		{"Move", []key.Binding{km.Up, km.Down, km.PageUp, km.PageDown, km.Top, km.Bottom}},
		{"Act", []key.Binding{km.Enter, km.Back, km.Filter, km.Trace, km.Refresh, km.Help, km.Quit}},
	}
	lines := []string{m.st.title.Render("Keys")}
	for _, g := range groups {
		lines = append(lines, "", m.st.bold.Render(g.title))
		for _, k := range g.keys {
			h := k.Help()
			lines = append(lines, "  "+fit(m.st.key.Render(h.Key), 12)+h.Desc)
		}
	}
	lines = append(lines, "", m.st.dim.Render("Filter (/): words match function, trigger, status, request id;"),
		m.st.dim.Render("fn:NAME and status:error|ok|timeout|crash|throttled narrow further."))
	return lines
}

// filterInput is the one-line editor behind "/".
type filterInput struct {
	editing bool
	value   string
}

// update edits the filter; it reports whether editing ended.
func (f *filterInput) update(msg tea.KeyMsg) {
	switch msg.Type {
	case tea.KeyEnter:
		f.editing = false
	case tea.KeyEsc:
		f.editing, f.value = false, ""
	case tea.KeyBackspace:
		if r := []rune(f.value); len(r) > 0 {
			f.value = string(r[:len(r)-1])
		}
	case tea.KeyCtrlU:
		f.value = ""
	case tea.KeySpace:
		f.value += " "
	case tea.KeyRunes:
		for _, r := range msg.Runes { // a paste may carry control characters
			if !isControl(r) && r != utf8.RuneError {
				f.value += string(r)
			}
		}
	}
}

func (f *filterInput) line(st styles) string {
	if f.editing {
		return "/" + f.value + "█"
	}
	if f.value != "" {
		return st.warn.Render("filter: " + f.value)
	}
	return ""
}

// columns flows lines into as many side-by-side columns as it takes to fit
// h rows (help on a small screen).
func columns(lines []string, w, h int) []string {
	if len(lines) <= h || h < 1 {
		return lines
	}
	n := (len(lines) + h - 1) / h
	cw := w / n
	out := make([]string, h)
	for i, l := range lines {
		out[i%h] += fit(l, cw)
	}
	return out
}
