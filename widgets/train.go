package widgets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/collm/collm/kernel"
	"github.com/collm/collm/maac"
)

// TrainOptions configures Train.
type TrainOptions struct {
	// Label names the run in the charts. Default: the algorithm.
	Label string
	// Compare are finished runs drawn next to this one.
	Compare []*History
	// SaveEvery checkpoints every this many updates; the end of training and an interrupt always
	// checkpoint. Default: the run's save_every (maac.RunConfig.SaveEvery, 10 unless set); a value
	// given is stored in the run's config.json, so that later resumes keep it.
	SaveEvery int
	// Dashboard configures the live charts.
	Dashboard DashboardOptions
}

// Train trains the run in rd until it has done target updates, with live charts in the cell.
// When ctx is cancelled (the kernel's interrupt, see kernel.InterruptContext) it stops at the
// next safe point, saves a checkpoint, flushes the metrics, draws the final charts and returns
// nil: the next cell resumes the run from there.
func Train(ctx context.Context, t *maac.Trainer, rd *maac.RunDir, target int, o TrainOptions) error {
	if o.Label == "" {
		o.Label = t.Algorithm()
	}
	if o.SaveEvery > 0 {
		if err := rd.SetSaveEvery(o.SaveEvery); err != nil {
			return err
		}
	}
	every := t.Config().SaveEvery
	history, err := LoadHistory(rd.Path)
	if err != nil {
		return err
	}
	d := NewDashboard(o.Dashboard).Compare(o.Compare...).Watch(o.Label, t, history, target)
	stopSaving := t.OnUpdate(func(u maac.UpdateInfo) error {
		if u.Update%every == 0 {
			return t.SaveCheckpoint(rd.CheckpointPath())
		}
		return nil
	})
	defer stopSaving()
	trainErr := t.Train(ctx, target-t.Updates())
	interrupted := errors.Is(trainErr, context.Canceled)
	var rolloutErr *maac.RolloutError
	failedRollout := errors.As(trainErr, &rolloutErr)
	if trainErr != nil && !interrupted && !failedRollout {
		d.End(Failed, "error: "+firstLine(trainErr.Error()))
		return trainErr
	}
	if err := t.SaveCheckpoint(rd.CheckpointPath()); err != nil {
		d.End(Failed, "error: "+firstLine(err.Error()))
		return err
	}
	switch {
	case failedRollout:
		err := fmt.Errorf("%w\nupdate %d stopped in its rollout, before any weight changed; run %s saved at update %d: fix the cause and run the cell again to continue",
			trainErr, rolloutErr.Update, rd.Path, t.Updates())
		d.End(Failed, fmt.Sprintf("error in the rollout of update %d; run %s saved at update %d", rolloutErr.Update, rd.Path, t.Updates()))
		return err
	case interrupted:
		// The one message of an interrupt: in the dashboard's header (on the progress line outside a
		// notebook), not on stderr, since the cell ends normally.
		return d.End(Interrupted, fmt.Sprintf("interrupted: run %s saved at update %d; run the cell again (or the next one) to continue", rd.Path, t.Updates()))
	}
	return d.End(Done, "")
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// ShowRuns displays the runs in the cell as a dashboard block without live header: a summary
// table of their final metrics, then their charts (see DashboardHTML).
func ShowRuns(runs ...*History) error {
	if !kernel.InNotebook() {
		return nil
	}
	if err := showLibrary(); err != nil {
		return err
	}
	cs := DashboardCharts(runs...)
	all := make([]Chart, len(cs))
	for i, c := range cs {
		all[i] = c
	}
	h, err := DashboardHTML("collm_runs_"+kernel.NewUniqueID(), SummaryHTML(runs...), all)
	if err != nil {
		return err
	}
	kernel.DisplayHTML(h)
	kernel.Sync()
	return nil
}

// EvalHTML shows an evaluation: the return of every episode and the transcript of the first few.
func EvalHTML(res *maac.EvalResult, transcripts int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="collm-eval" style="font-family:sans-serif;font-size:13px"><b>%d episodes: return %.4f &plusmn; %.4f</b>`,
		len(res.Episodes), res.MeanReturn, res.StdReturn)
	b.WriteString(`<table style="border-collapse:collapse;margin:6px 0"><tr><th style="padding:2px 8px">episode</th><th style="padding:2px 8px">task</th><th style="padding:2px 8px">return</th></tr>`)
	for i, ep := range res.Episodes {
		fmt.Fprintf(&b, `<tr><td style="padding:2px 8px">%d</td><td style="padding:2px 8px">%d</td><td style="padding:2px 8px;text-align:right">%.4f</td></tr>`, i, ep.Task, ep.Return)
	}
	b.WriteString("</table>")
	for i, ep := range res.Episodes {
		if i >= transcripts {
			break
		}
		fmt.Fprintf(&b, "<p>episode %d (task %d)</p>", i, ep.Task)
		b.WriteString(SamplesHTML(ep.Turns))
	}
	b.WriteString("</div>")
	return b.String()
}
