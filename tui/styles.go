package tui

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// styles holds every style the dashboard uses. Plain on purpose: bold for
// titles, colour only for state (ok, failing, busy), reverse video for the
// selection, so it reads on light and dark terminals and in 16 colours.
type styles struct {
	title, dim, bold, ok, warn, bad, sel, tab, tabActive, header, key lipgloss.Style
}

func newStyles() styles {
	return styles{
		title:     lipgloss.NewStyle().Bold(true),
		dim:       lipgloss.NewStyle().Faint(true),
		bold:      lipgloss.NewStyle().Bold(true),
		ok:        lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "2", Dark: "10"}),
		warn:      lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "3", Dark: "11"}),
		bad:       lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "1", Dark: "9"}),
		sel:       lipgloss.NewStyle().Reverse(true),
		tab:       lipgloss.NewStyle().Faint(true),
		tabActive: lipgloss.NewStyle().Bold(true).Underline(true),
		header:    lipgloss.NewStyle().Bold(true).Faint(true),
		key:       lipgloss.NewStyle().Bold(true),
	}
}

// keyMap is every binding, in one place; the help screen is built from it.
type keyMap struct {
	Quit, Help, Tab, BackTab, Up, Down, PageUp, PageDown, Top, Bottom,
	Enter, Back, Filter, Trace, Refresh key.Binding
	Screens [6]key.Binding
}

func newKeyMap() keyMap {
	k := keyMap{
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Tab:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next screen")),
		BackTab:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous screen")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d", " "), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "newest / top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "oldest / bottom")),
		Enter:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:     key.NewBinding(key.WithKeys("esc", "backspace", "left", "h"), key.WithHelp("esc", "back")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Trace:    key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "trace of this request")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload items")),
	}
	for i := range k.Screens {
		d := string(rune('1' + i))
		k.Screens[i] = key.NewBinding(key.WithKeys(d), key.WithHelp(d, screenNames[i]))
	}
	return k
}

// screenNames are the tabs, in order.
var screenNames = [6]string{"Functions", "Invocations", "Traces", "Resources", "Builds", "Logs"}

// screenResources is the index of the Resources screen, whose counts are
// refreshed while it shows.
const screenResources = 3
