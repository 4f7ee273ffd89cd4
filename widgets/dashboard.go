package widgets

import (
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"time"

	"github.com/collm/collm/kernel"
	"github.com/collm/collm/maac"
)

// Dashboard shows live charts of training in a notebook cell: every chart is one display that is
// replaced in place (never appended) every Every updates or EverySeconds, whichever comes first,
// and the last render stays in the saved notebook. Runs loaded from disk can be drawn next to
// the live ones (compare CC, DC and MAGRPO in one chart). Outside a notebook it prints only a
// progress line to stderr.
type Dashboard struct {
	opts       DashboardOptions
	runs       []*History
	live       []*liveRun
	ids        map[string]string // chart title -> display id
	lastRender time.Time
	sinceDraw  int
	samples    []maac.EpisodeSample
	started    bool
	unwatch    []func() // removes the dashboard's hooks from the trainers it watches
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

type liveRun struct {
	history *History
	trainer *maac.Trainer
	target  int // update the run trains to, for the progress bar
	start   time.Time
	from    int // updates done when watching started
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
	return &Dashboard{opts: o, ids: map[string]string{}}
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
	lr := &liveRun{history: history, trainer: t, target: target, start: time.Now(), from: t.Updates()}
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

// Render draws every chart now.
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
	d.update("progress", d.progressHTML())
	for _, c := range AllCharts(d.runs...) {
		h, err := ChartHTML(c, "100%", "340px")
		if err != nil {
			return err
		}
		d.update(c.Title.Title, h)
	}
	if len(d.samples) > 0 {
		d.update("samples", SamplesHTML(d.samples))
	}
	return nil
}

// Close draws the final charts and ends the progress line; call it when training stops, also
// after an interrupt. A closed dashboard ignores later updates of the trainers it watched, so
// training them again (with a new dashboard) leaves its final charts as they are.
func (d *Dashboard) Close() error {
	for _, remove := range d.unwatch {
		remove()
	}
	d.unwatch = nil
	err := d.Render()
	if !kernel.InNotebook() {
		fmt.Fprintln(d.opts.Progress)
	}
	kernel.Sync()
	return err
}

func (d *Dashboard) update(key, content string) {
	id, ok := d.ids[key]
	if !ok {
		id = "collm_" + kernel.NewUniqueID()
		d.ids[key] = id
	}
	kernel.UpdateHTML(id, content)
}

func (d *Dashboard) progressText() string {
	var parts []string
	for _, lr := range d.live {
		done := lr.trainer.Updates()
		eta := "?"
		if n := done - lr.from; n > 0 {
			left := time.Duration(float64(time.Since(lr.start)) / float64(n) * float64(lr.target-done))
			eta = left.Round(time.Second).String()
		}
		ret := 0.0
		if k := len(lr.history.Metrics); k > 0 {
			ret = lr.history.Metrics[k-1][maac.MetricEpisodeReturnMean]
		}
		parts = append(parts, fmt.Sprintf("%s update %d/%d env_step %d return %.3f ETA %s",
			lr.history.Label, done, lr.target, lr.trainer.EnvSteps(), ret, eta))
	}
	return strings.Join(parts, " | ")
}

func (d *Dashboard) progressHTML() string {
	var b strings.Builder
	for _, lr := range d.live {
		frac := 0.0
		if lr.target > 0 {
			frac = float64(lr.trainer.Updates()) / float64(lr.target)
		}
		fmt.Fprintf(&b, `<div class="collm-progress" style="font-family:sans-serif;font-size:13px;margin:4px 0">`+
			`<div style="display:inline-block;width:240px;height:12px;background:#eee;vertical-align:middle">`+
			`<div style="width:%.1f%%;height:12px;background:#5470c6"></div></div> %s</div>`,
			100*min(frac, 1), escape(d.progressText()))
	}
	return b.String()
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
