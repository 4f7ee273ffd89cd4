package widgets

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/collm/collm/kernel"
	"github.com/collm/collm/maac"
)

// Dashboard shows live charts of training in a notebook cell as one compact block, a single
// display that is replaced in place (never appended) every Every updates or EverySeconds,
// whichever comes first; the last render stays in the saved notebook. The block is a header row
// per live run (update, env steps, return with its best so far, throughput, ETA, and once
// training stops its end state), then the charts in a grid of two to four columns (see
// DashboardHTML), the rest of them and the latest samples behind "more" toggles. Runs loaded from
// disk can be drawn next to the live ones (compare CC, DC and MAGRPO in one chart). Outside a
// notebook it prints only a progress line to stderr.
type Dashboard struct {
	opts       DashboardOptions
	runs       []*History
	live       []*liveRun
	id         string // the display's id
	lastRender time.Time
	sinceDraw  int
	samples    []maac.EpisodeSample
	started    bool
	unwatch    []func() // removes the dashboard's hooks from the trainers it watches
	end        *endState
}

// DashboardOptions configures a Dashboard. The zero value works.
type DashboardOptions struct {
	// Every redraws after this many updates. Default 5.
	Every int
	// EverySeconds redraws when this much time passed since the last draw. Default 3.
	EverySeconds float64
	// Progress is where the progress line goes outside a notebook. Default os.Stderr.
	Progress io.Writer
}

// EndState is how training ended, as a dashboard's header shows it (see Dashboard.End).
type EndState int

const (
	// Done: training returned normally; the header says "done" when every live run reached its
	// target, else "stopped at update N".
	Done EndState = iota
	// Interrupted: the cell was interrupted (the context was cancelled) and the run saved.
	Interrupted
	// Failed: training stopped with an error, which the caller reports as well.
	Failed
)

type endState struct {
	state   EndState
	message string
	at      time.Time
}

type liveRun struct {
	history  *History
	trainer  *maac.Trainer
	target   int // update the run trains to, for the progress bar
	start    time.Time
	from     int // updates done when watching started
	fromStep int // env steps done when watching started
}

// NewDashboard returns an empty dashboard.
func NewDashboard(o DashboardOptions) *Dashboard {
	if o.Every <= 0 {
		o.Every = 5
	}
	if o.EverySeconds <= 0 {
		o.EverySeconds = 3
	}
	if o.Progress == nil {
		o.Progress = os.Stderr
	}
	return &Dashboard{opts: o}
}

// Compare adds finished runs (e.g. LoadHistory of another method's run directory).
func (d *Dashboard) Compare(runs ...*History) *Dashboard {
	d.runs = append(d.runs, runs...)
	return d
}

// Watch attaches the dashboard to a trainer that will train until update target. history holds
// what the run already logged (nil for a new run); label names the run in the legends.
func (d *Dashboard) Watch(label string, t *maac.Trainer, history *History, target int) *Dashboard {
	if history == nil {
		history = &History{}
	}
	history.Label = label
	if history.Name == "" {
		history.Name = label
	}
	lr := &liveRun{history: history, trainer: t, target: target, start: time.Now(), from: t.Updates(), fromStep: t.EnvSteps()}
	d.live = append(d.live, lr)
	d.runs = append(d.runs, history)
	d.unwatch = append(d.unwatch, t.OnUpdate(func(u maac.UpdateInfo) error {
		lr.history.Metrics = append(lr.history.Metrics, u.Metrics)
		d.samples = u.Samples
		d.sinceDraw++
		if d.sinceDraw >= d.opts.Every || time.Since(d.lastRender).Seconds() >= d.opts.EverySeconds {
			return d.Render()
		}
		return nil
	}))
	return d
}

// Render draws the dashboard now.
func (d *Dashboard) Render() error {
	d.sinceDraw, d.lastRender = 0, time.Now()
	if !kernel.InNotebook() {
		fmt.Fprintf(d.opts.Progress, "\r%s", d.progressText())
		return nil
	}
	if !d.started {
		// The library once per kernel session, before the first chart (see Display).
		if err := showLibrary(); err != nil {
			return err
		}
		d.started = true
	}
	if d.id == "" {
		d.id = "collm_" + kernel.NewUniqueID()
	}
	h, err := d.html()
	if err != nil {
		return err
	}
	kernel.UpdateHTML(d.id, h)
	return nil
}

// html is the whole block: the header, the charts and the latest samples.
func (d *Dashboard) html() (string, error) {
	var more []Fold
	if len(d.samples) > 0 {
		more = append(more, Fold{Summary: "Latest samples (prompts, responses, rewards)", HTML: SamplesHTML(d.samples)})
	}
	cs := DashboardCharts(d.runs...)
	all := make([]Chart, len(cs))
	for i, c := range cs {
		all[i] = c
	}
	return DashboardHTML(d.id+"_block", d.headerHTML(), all, more...)
}

// Close draws the final dashboard and ends the progress line; call it when training stops. It is
// End(Done, ""): the header says "done" when every live run reached its target.
func (d *Dashboard) Close() error { return d.End(Done, "") }

// End records how training ended, draws the final dashboard with message (one line; "" for none)
// in its header instead of the ETA, and ends the progress line. Outside a notebook the progress
// line ends with the state and, for Interrupted, the message; a Failed run's message is left to
// the caller, who reports the error. A closed dashboard ignores later updates of the trainers it
// watched, so training them again (with a new dashboard) leaves its final charts as they are.
func (d *Dashboard) End(state EndState, message string) error {
	for _, remove := range d.unwatch {
		remove()
	}
	d.unwatch = nil
	d.end = &endState{state: state, message: message, at: time.Now()}
	err := d.Render()
	if !kernel.InNotebook() {
		if state == Interrupted && message != "" {
			fmt.Fprintf(d.opts.Progress, "\n%s", message)
		}
		fmt.Fprintln(d.opts.Progress)
	}
	kernel.Sync()
	return err
}

// runStats are the numbers of a live run's header.
type runStats struct {
	label           string
	update, target  int
	envSteps        int
	ret, best       float64
	hasReturn       bool
	stepsPerSec     float64
	eta, elapsed    time.Duration
	hasRate, hasETA bool
	reached         bool
	fracDone        float64
	colour          string
}

func (d *Dashboard) stats(lr *liveRun) runStats {
	s := runStats{label: lr.history.Label, update: lr.trainer.Updates(), target: lr.target, envSteps: lr.trainer.EnvSteps()}
	now := time.Now()
	if d.end != nil {
		now = d.end.at
	}
	s.elapsed = now.Sub(lr.start)
	if n := s.update - lr.from; n > 0 && s.elapsed > 0 {
		s.eta = time.Duration(float64(s.elapsed) / float64(n) * float64(max(lr.target-s.update, 0)))
		s.hasETA = true
		s.stepsPerSec = float64(s.envSteps-lr.fromStep) / s.elapsed.Seconds()
		s.hasRate = true
	}
	for _, m := range lr.history.Metrics {
		if v, ok := m[maac.MetricEpisodeReturnMean]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			if !s.hasReturn || v > s.best {
				s.best = v
			}
			s.ret, s.hasReturn = v, true
		}
	}
	s.reached = s.update >= lr.target
	if lr.target > 0 {
		s.fracDone = min(float64(s.update)/float64(lr.target), 1)
	}
	labels, _ := groups(d.runs)
	if len(labels) > 1 {
		s.colour = LabelColour(indexOf(labels, s.label))
	} else {
		s.colour = palette[0]
	}
	return s
}

// endWord is the short end state of a run in the header and the progress line.
func (d *Dashboard) endWord(s runStats) string {
	switch {
	case d.end == nil:
		return ""
	case d.end.state == Interrupted:
		return "interrupted"
	case d.end.state == Failed:
		return "error"
	case s.reached:
		return "done in " + s.elapsed.Round(time.Second).String()
	default:
		return fmt.Sprintf("stopped at update %d of %d", s.update, s.target)
	}
}

func (d *Dashboard) progressText() string {
	var parts []string
	for _, lr := range d.live {
		s := d.stats(lr)
		ret := "-"
		if s.hasReturn {
			ret = fmt.Sprintf("%.3f (best %.3f)", s.ret, s.best)
		}
		text := fmt.Sprintf("%s update %d/%d env_step %d return %s", s.label, s.update, s.target, s.envSteps, ret)
		if s.hasRate {
			text += fmt.Sprintf(" %.0f env steps/s", s.stepsPerSec)
		}
		if w := d.endWord(s); w != "" {
			text += " " + w
		} else if s.hasETA {
			text += " ETA " + s.eta.Round(time.Second).String()
		} else {
			text += " ETA ?"
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, " | ")
}

// headerHTML is one row per live run, a legend of the compared runs, and the end message.
func (d *Dashboard) headerHTML() string {
	var b strings.Builder
	for _, lr := range d.live {
		s := d.stats(lr)
		ret := "–"
		if s.hasReturn {
			ret = fmt.Sprintf("<b>%.3f</b> <span style=\"color:#666\">best %.3f</span>", s.ret, s.best)
		}
		rate := "–"
		if s.hasRate {
			rate = fmt.Sprintf("<b>%.0f</b>", s.stepsPerSec)
		}
		tail := ""
		switch w := d.endWord(s); {
		case w != "":
			colour := "#2e7d32"
			if d.end.state == Interrupted {
				colour = "#b26a00"
			} else if d.end.state == Failed {
				colour = "#c62828"
			} else if !s.reached {
				colour = "#555"
			}
			tail = fmt.Sprintf(`<span class="collm-state" style="color:%s;font-weight:bold">%s</span>`, colour, escape(w))
		case s.hasETA:
			tail = "ETA <b>" + escape(s.eta.Round(time.Second).String()) + "</b>"
		default:
			tail = "ETA ?"
		}
		barColour := s.colour
		fmt.Fprintf(&b, `<div class="collm-progress" style="display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px;font:13px sans-serif;margin:2px 0">`+
			`<span style="font-weight:bold;color:%s">&#9632; %s</span> `+
			`<span style="display:inline-block;width:160px;height:10px;background:#eee;border-radius:2px;overflow:hidden"><span style="display:block;width:%.1f%%;height:10px;background:%s"></span></span> `+
			`<span>update <b>%d</b>/%d</span> <span>env steps <b>%d</b></span> <span>return %s</span> <span>%s env steps/s</span> <span>%s</span></div>`,
			barColour, escape(s.label), 100*s.fracDone, barColour, s.update, s.target, s.envSteps, ret, rate, tail)
	}
	if labels, byLabel := groups(d.runs); len(labels) > len(d.live) {
		b.WriteString(`<div style="font:12px sans-serif;color:#444;margin:2px 0">compared with:`)
		for i, label := range labels {
			liveLabel := false
			for _, lr := range d.live {
				liveLabel = liveLabel || lr.history.Label == label
			}
			if liveLabel {
				continue
			}
			n := 0
			for _, h := range byLabel[label] {
				n = max(n, len(h.Metrics))
			}
			fmt.Fprintf(&b, ` <span style="color:%s;font-weight:bold">&#9632; %s</span> (%d updates)`, LabelColour(i), escape(label), n)
		}
		b.WriteString("</div>")
	}
	if d.end != nil && d.end.message != "" {
		class, colour := "collm-done", "#2e7d32"
		switch d.end.state {
		case Interrupted:
			class, colour = "collm-interrupted", "#b26a00"
		case Failed:
			class, colour = "collm-error", "#c62828"
		}
		fmt.Fprintf(&b, `<div class="%s" style="font:13px sans-serif;color:%s;margin:2px 0"><b>%s</b></div>`, class, colour, escape(d.end.message))
	}
	return b.String()
}

// Fold is a section of a dashboard behind a toggle (an HTML <details>).
type Fold struct {
	Summary string // the toggle's text
	HTML    string // what it shows when open
	Open    bool   // open at first
}

// Layout of a dashboard's charts.
const (
	// DashboardGridCharts is how many charts the grid shows before the "more charts" toggle.
	DashboardGridCharts = 6
	// DashboardChartHeight is the height of every chart of a dashboard.
	DashboardChartHeight = "300px"
	// dashboardMinColumn is the narrowest a grid column gets; columns are also at least 23% of
	// the width, so the grid has at most four columns.
	dashboardMinColumn = "300px"
)

// DashboardHTML lays out a dashboard block whose element id is id (keep it across the redraws of
// a live block): header (HTML, shown as is), then the first DashboardGridCharts charts in a CSS
// grid of columns at least 300 px and 23% wide (two or three columns at notebook width, four in a
// wide window, one in a narrow one), DashboardChartHeight high; the rest of the charts behind a
// "more charts" toggle, then the folds. A toggle's state survives the in-place redraws of a live
// block (the page remembers it by id), and charts inside a toggle are drawn and sized when it
// opens.
func DashboardHTML(id, header string, cs []Chart, folds ...Fold) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="collm-dashboard" id="%s" style="font-family:sans-serif">`, escape(id))
	b.WriteString(header)
	first := cs[:min(len(cs), DashboardGridCharts)]
	g, err := chartGrid(first)
	if err != nil {
		return "", err
	}
	b.WriteString(g)
	if rest := cs[len(first):]; len(rest) > 0 {
		var titles []string
		for _, c := range rest {
			titles = append(titles, chartTitle(c))
		}
		g, err := chartGrid(rest)
		if err != nil {
			return "", err
		}
		folds = append([]Fold{{Summary: fmt.Sprintf("%d more charts: %s", len(rest), strings.Join(titles, ", ")), HTML: g}}, folds...)
	}
	for i, f := range folds {
		open := ""
		if f.Open {
			open = " open"
		}
		fmt.Fprintf(&b, `<details class="collm-more"%s style="margin:4px 0;font:13px sans-serif">`+
			`<summary style="display:list-item;cursor:pointer;color:#1a5fb4;padding:2px 0">%s</summary>`, open, escape(f.Summary))
		b.WriteString(foldStateJS(id, i))
		b.WriteString(f.HTML)
		b.WriteString(`</details>`)
	}
	b.WriteString(`</div>`)
	return b.String(), nil
}

// chartGrid lays charts out in the dashboard's grid.
func chartGrid(cs []Chart) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="collm-grid" style="display:grid;grid-template-columns:repeat(auto-fit,minmax(max(%s,23%%),1fr));gap:6px 10px;margin:6px 0">`, dashboardMinColumn)
	for _, c := range cs {
		h, err := ChartHTML(c, "100%", DashboardChartHeight)
		if err != nil {
			return "", err
		}
		b.WriteString(`<div style="min-width:0;border:1px solid #eee;border-radius:3px">` + h + `</div>`)
	}
	b.WriteString(`</div>`)
	return b.String(), nil
}

// foldStateJS keeps the fold-th toggle of the block id open across redraws: the state is
// remembered in window.collmFolds.
func foldStateJS(id string, fold int) string {
	return fmt.Sprintf(`<script type="text/javascript">(function(){var b=document.getElementById(%s);if(!b){return;}`+
		`var d=b.querySelectorAll("details.collm-more")[%d],k=%s,s=window.collmFolds=window.collmFolds||{};if(!d){return;}`+
		`if(k in s){d.open=s[k];}d.addEventListener("toggle",function(){s[k]=d.open;});})();</script>`,
		jsString(id), fold, jsString(fmt.Sprintf("%s/%d", id, fold)))
}

func chartTitle(c Chart) string {
	if t, ok := c.JSON()["title"].(opts.Title); ok {
		return t.Title
	}
	return ""
}

// SamplesHTML shows the latest joint actions: every agent's prompt and response, and the reward.
// Model output is HTML-escaped: a response holding <script> stays text.
func SamplesHTML(samples []maac.EpisodeSample) string {
	var b strings.Builder
	b.WriteString(`<table class="collm-samples" style="border-collapse:collapse;font-size:12px;font-family:monospace">` +
		`<tr><th style="text-align:left;padding:2px 6px">task/turn</th><th style="text-align:left;padding:2px 6px">agent</th>` +
		`<th style="text-align:left;padding:2px 6px">prompt</th><th style="text-align:left;padding:2px 6px">response</th>` +
		`<th style="text-align:right;padding:2px 6px">reward</th></tr>`)
	for _, s := range samples {
		for i := range s.Responses {
			prompt := ""
			if i < len(s.Prompts) {
				prompt = s.Prompts[i]
			}
			reward := ""
			if i == 0 {
				reward = fmt.Sprintf("%.4f", s.Reward)
			}
			fmt.Fprintf(&b, `<tr style="border-top:1px solid #ddd"><td style="padding:2px 6px">%d/%d</td><td style="padding:2px 6px">%d</td>`+
				`<td style="padding:2px 6px;text-align:left;vertical-align:top;white-space:pre-wrap">%s</td><td style="padding:2px 6px;text-align:left;vertical-align:top;white-space:pre-wrap">%s</td>`+
				`<td style="padding:2px 6px;text-align:right">%s</td></tr>`,
				s.Task, s.Turn, i, escape(clip(prompt, 400)), escape(clip(s.Responses[i], 400)), reward)
		}
	}
	b.WriteString("</table>")
	return b.String()
}

func escape(s string) string { return html.EscapeString(s) }

// clip shortens s to at most n bytes at a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
