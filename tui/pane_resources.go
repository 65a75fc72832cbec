package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// browseLimit is how many items the table browser asks the Source for: a
// screenful or three, enough to check what a handler wrote.
const browseLimit = 100

type tableItemsMsg struct {
	table string
	items []string
	err   error
}

// resourceCountsMsg carries what the Source reported: the tables and
// topics that exist (when listed is set), item counts by table (-1 when
// the table could not be counted) and subscriptions by topic; a nil map
// means the Source does not report that kind.
type resourceCountsMsg struct {
	listed         bool
	gen            uint64 // store.listGen the listing was asked at
	tables, topics []string
	items          map[string]int
	subs           map[string][]Subscription
}

// resourcesPane is screen 4: topics and tables with their traffic, and a
// quick item browser per table.
type resourcesPane struct {
	l list // cursor over topics then tables

	topicDetail string
	tv          textView

	browse   string // table being browsed
	loading  bool
	items    []string
	itemsErr error
	il       list
	item     int  // item shown pretty, -1 for the list
	counting bool // a resourceCountsMsg is on its way
}

func (p *resourcesPane) capturing() bool { return false }

func (p *resourcesPane) hints() string {
	switch {
	case p.browse != "" && p.item >= 0:
		return "↑↓ scroll  esc back"
	case p.browse != "":
		return "↑↓ select  enter show item  r reload  esc back"
	case p.topicDetail != "":
		return "esc back"
	}
	return "↑↓ select  enter browse table / topic details"
}

func (p *resourcesPane) update(m *Model, msg tea.KeyMsg) tea.Cmd {
	h := m.contentHeight()
	s := m.s
	switch {
	case p.browse != "" && p.item >= 0:
		if key.Matches(msg, m.km.Back) {
			p.item = -1
			return nil
		}
		p.tv.update(m.km, msg, h)
		return nil
	case p.browse != "":
		switch {
		case key.Matches(msg, m.km.Back):
			p.browse = ""
		case key.Matches(msg, m.km.Refresh):
			return p.load(m, p.browse)
		case key.Matches(msg, m.km.Enter):
			if p.il.cursor < len(p.items) {
				p.item = p.il.cursor
				p.tv = textView{title: p.browse + " item", lines: prettyJSON([]byte(p.items[p.item]))}
			}
		default:
			p.il.move(m.km, msg, len(p.items), h-1)
		}
		return nil
	case p.topicDetail != "":
		if key.Matches(msg, m.km.Back) {
			p.topicDetail = ""
			return nil
		}
		p.tv.update(m.km, msg, h)
		return nil
	}
	n := len(s.topicOrder) + len(s.tableOrder)
	if p.l.move(m.km, msg, n, h-4) {
		return nil
	}
	if key.Matches(msg, m.km.Enter) && n > 0 {
		if p.l.cursor < len(s.topicOrder) {
			p.topicDetail = s.topicOrder[p.l.cursor]
			p.tv = textView{}
			return nil
		}
		return p.load(m, s.tableOrder[p.l.cursor-len(s.topicOrder)])
	}
	return nil
}

// load starts reading a table's items in a tea.Cmd.
func (p *resourcesPane) load(m *Model, table string) tea.Cmd {
	p.browse, p.item, p.il = table, -1, list{}
	src := m.s.info.Source
	if src == nil {
		p.loading, p.items, p.itemsErr = false, nil, fmt.Errorf("no data source: the item browser needs slsx dev's DynamoDB")
		return nil
	}
	p.loading, p.itemsErr = true, nil
	return func() tea.Msg {
		items, err := src.TableItems(table, browseLimit)
		return tableItemsMsg{table: table, items: items, err: err}
	}
}

// refresh asks the Source which tables and topics exist, then for their
// item counts and subscriptions, one request in flight at a time. It runs
// as the screen opens and on each clock tick while it shows, never while
// hidden: nothing else reads these lists, and the cap bounds what traffic
// adds meanwhile.
func (p *resourcesPane) refresh(m *Model) tea.Cmd {
	rl, lists := m.s.info.Source.(ResourceLister)
	tc, countsItems := m.s.info.Source.(TableCounter)
	sl, listsSubs := m.s.info.Source.(SubscriptionLister)
	if p.counting || !lists && (!countsItems || len(m.s.tableOrder) == 0) && (!listsSubs || len(m.s.topicOrder) == 0) {
		return nil
	}
	p.counting = true
	m.s.listGen++
	gen := m.s.listGen
	tables := append([]string(nil), m.s.tableOrder...)
	topics := append([]string(nil), m.s.topicOrder...)
	return func() tea.Msg {
		msg := resourceCountsMsg{gen: gen}
		if lists {
			if lt, lp, err := rl.Resources(); err == nil {
				msg.listed, msg.tables, msg.topics = true, tidyNames(lt), tidyNames(lp)
				tables, topics = toCount(tables, msg.tables), toCount(topics, msg.topics)
			}
		}
		if countsItems {
			msg.items = make(map[string]int, len(tables))
			for _, t := range tables {
				n, err := tc.ItemCount(t)
				if err != nil {
					n = -1
				}
				msg.items[t] = n
			}
		}
		if listsSubs {
			msg.subs = make(map[string][]Subscription, len(topics))
			for _, t := range topics {
				if subs, err := sl.TopicSubscriptions(t); err == nil {
					msg.subs[t] = subs
				}
			}
		}
		return msg
	}
}

func (p *resourcesPane) handle(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tableItemsMsg:
		if msg.table != p.browse {
			return nil // the user moved on
		}
		p.loading, p.items, p.itemsErr = false, msg.items, msg.err
	case resourceCountsMsg:
		p.counting = false
		if msg.listed {
			// Keep the cursor on its resource as rows come and go.
			s := m.s
			var name string
			var isTopic bool
			if c := p.l.cursor; c < len(s.topicOrder) {
				name, isTopic = s.topicOrder[c], true
			} else if c-len(s.topicOrder) < len(s.tableOrder) {
				name = s.tableOrder[c-len(s.topicOrder)]
			}
			s.listed(msg.gen, msg.topics, msg.tables)
			if i := sort.SearchStrings(s.topicOrder, name); isTopic && i < len(s.topicOrder) && s.topicOrder[i] == name {
				p.l.cursor = i
			} else if i := sort.SearchStrings(s.tableOrder, name); !isTopic && i < len(s.tableOrder) && s.tableOrder[i] == name {
				p.l.cursor = len(s.topicOrder) + i
			}
		}
		for t, n := range msg.items {
			if ts, ok := m.s.tables[t]; ok {
				ts.items = n
			}
		}
		for t, subs := range msg.subs {
			if ts, ok := m.s.topics[t]; ok {
				ts.setSubs(subs)
			}
		}
	}
	return nil
}

func (p *resourcesPane) view(m *Model, w, h int) []string {
	st, s := m.st, m.s
	if p.browse != "" {
		return p.browseView(m, w, h)
	}
	if p.topicDetail != "" {
		if t, ok := s.topics[p.topicDetail]; ok {
			p.tv.title = "Topic " + t.name
			origin := "declared in the project"
			if !t.declared {
				origin = "created at runtime, not declared in the project"
			}
			lines := []string{fmt.Sprintf("  published %d · delivered %d · failed %d", t.published, t.delivered, t.failed),
				"  " + origin}
			var subs []string
			heading := fmt.Sprintf("Subscriptions: %d confirmed, %d pending", t.nConfirmed, t.nPending)
			if t.listed {
				for _, sub := range t.subs {
					line := sub.Protocol + ":" + sub.Endpoint + "  " + st.dim.Render(sub.ARN)
					if sub.Pending {
						line = sub.Protocol + ":" + sub.Endpoint + "  " + st.warn.Render("pending confirmation")
					}
					subs = append(subs, line)
				}
				sort.Strings(subs)
				if more := t.nConfirmed + t.nPending - len(t.subs); more > 0 {
					subs = append(subs, st.dim.Render(fmt.Sprintf("… and %d more", more)))
				}
			} else {
				heading = "Subscriptions seen delivering"
				for arn, ep := range t.seen {
					subs = append(subs, ep+"  "+st.dim.Render(arn))
				}
				sort.Strings(subs)
			}
			p.tv.lines = section(st, lines, heading, orNone(subs)...)
			return p.tv.view(st, w, h)
		}
		p.topicDetail = ""
	}
	n := len(s.topicOrder) + len(s.tableOrder)
	p.l.clamp(n, h-4)

	var out []string
	tcols := []col{
		{title: "TOPIC", flex: true, min: 8},
		{title: "SUBS", w: 5, right: true},
		{title: "PUBLISHED", w: 10, right: true},
		{title: "DELIVERED", w: 10, right: true},
		{title: "FAILED", w: 7, right: true},
	}
	dcols := []col{
		{title: "TABLE", flex: true, min: 8},
		{title: "ITEMS", w: 7, right: true},
		{title: "WRITES", w: 7, right: true},
		{title: "BY OPERATION", w: 26},
		{title: "BATCHES", w: 8, right: true},
		{title: "RECORDS", w: 8, right: true},
		{title: "FAILED", w: 7, right: true},
	}
	if w < 100 {
		dcols[3].w = 0
	}
	// Topics and tables share one cursor; a long list scrolls as one.
	type line struct {
		text string
		idx  int // cursor index, -1 for headings
	}
	var all []line
	tws := layout(tcols, w)
	all = append(all, line{st.bold.Render("Topics"), -1}, line{headerRow(st, tcols, tws), -1})
	if len(s.topicOrder) == 0 {
		all = append(all, line{st.dim.Render("  no topics"), -1})
	}
	for i, name := range s.topicOrder {
		t := s.topics[name]
		failed := fmt.Sprint(t.failed)
		if t.failed > 0 {
			failed = st.bad.Render(failed)
		}
		all = append(all, line{row(tcols, tws, []string{resourceName(st, name, t.declared), fmt.Sprint(t.confirmed()), fmtCount(t.published),
			fmtCount(t.delivered), failed}), i})
	}
	if l := moreLine(st, s.topicsMore); l != "" {
		all = append(all, line{l, -1})
	}
	dws := layout(dcols, w)
	all = append(all, line{"", -1}, line{st.bold.Render("Tables"), -1}, line{headerRow(st, dcols, dws), -1})
	if len(s.tableOrder) == 0 {
		all = append(all, line{st.dim.Render("  no tables"), -1})
	}
	for i, name := range s.tableOrder {
		t := s.tables[name]
		items := "-"
		if t.items >= 0 {
			items = fmtCount(t.items)
		}
		failed := fmt.Sprint(t.batchErrs)
		if t.batchErrs > 0 {
			failed = st.bad.Render(failed)
		}
		all = append(all, line{row(dcols, dws, []string{resourceName(st, name, t.declared), items, fmtCount(t.writes), opsSummary(t.ops),
			fmtCount(t.batches), fmtCount(t.records), failed}), len(s.topicOrder) + i})
	}
	if l := moreLine(st, s.tablesMore); l != "" {
		all = append(all, line{l, -1})
	}
	// Scroll so the cursor line is visible, and on the last row the
	// "… and N more" below it.
	first := 0
	for k, l := range all {
		if l.idx == p.l.cursor && k >= h {
			first = k - h + 1
		}
	}
	if n > 0 && p.l.cursor == n-1 {
		first = max(len(all)-h, 0)
	}
	for k := first; k < len(all) && len(out) < h; k++ {
		l := all[k]
		text := l.text
		if l.idx >= 0 && l.idx == p.l.cursor && n > 0 {
			text = st.sel.Render(fit(ansi.Strip(text), w))
		}
		out = append(out, text)
	}
	return out
}

// tidyNames sorts names from the Source, drops repeats and defuses
// control characters, off the UI goroutine.
func tidyNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = sanitize(n)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// toCount is which of listed (sorted) to fetch counts for: the shown ones
// that still exist, then new ones while the cap leaves room.
func toCount(shown, listed []string) []string {
	was := make(map[string]bool, len(shown))
	for _, n := range shown {
		was[n] = true
	}
	var out, added []string
	for _, n := range listed {
		if was[n] {
			out = append(out, n)
		} else if len(added) < maxResources {
			added = append(added, n)
		}
	}
	return append(out, added[:min(len(added), maxResources-len(out))]...)
}

// resourceName tags the resources the project does not declare: created
// through the AWS APIs, or by a handler.
func resourceName(st styles, name string, declared bool) string {
	if declared {
		return name
	}
	return name + " " + st.dim.Render("runtime")
}

// moreLine says how many resources the cap leaves out; more < 0 when
// the count is unknown.
func moreLine(st styles, more int) string {
	switch {
	case more > 0:
		return st.dim.Render(fmt.Sprintf("  … and %d more", more))
	case more < 0:
		return st.dim.Render("  … and more")
	}
	return ""
}

func opsSummary(ops map[string]int) string {
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", strings.TrimSuffix(k, "Item"), ops[k]))
	}
	return strings.Join(parts, " ")
}

func (p *resourcesPane) browseView(m *Model, w, h int) []string {
	st := m.st
	if p.item >= 0 {
		return p.tv.view(st, w, h)
	}
	title := st.title.Render("Table " + p.browse)
	switch {
	case p.loading:
		return []string{title, st.dim.Render("loading…")}
	case p.itemsErr != nil:
		return []string{title, st.bad.Render(p.itemsErr.Error())}
	case len(p.items) == 0:
		return []string{title, st.dim.Render("no items")}
	}
	info := fmt.Sprintf("  %d items", len(p.items))
	if len(p.items) >= browseLimit {
		info = fmt.Sprintf("  first %d items", browseLimit)
	}
	out := []string{title + st.dim.Render(info)}
	p.il.clamp(len(p.items), h-1)
	for i := p.il.off; i < len(p.items) && len(out) < h; i++ {
		text := fit(sanitize(oneLine(p.items[i])), w)
		if i == p.il.cursor {
			text = st.sel.Render(text)
		}
		out = append(out, text)
	}
	return out
}
