package widgets

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/collm/collm/maac"
)

// TestTrainSaveEvery checks Train's checkpoint cadence: the run's stored save_every by default,
// and a TrainOptions.SaveEvery given is stored for the next resume.
func TestTrainSaveEvery(t *testing.T) {
	cfg := maac.RunConfig{Env: "toy-coord", Algorithm: "magrpo", SaveEvery: 3,
		MC: &maac.MCConfig{Common: maac.Common{NumGenerations: 2, TasksPerUpdate: 1, MaxNewTokens: 1,
			Temperature: 1, TopP: 1, ActorLR: 3e-3, Seed: 1}}}
	dir := filepath.Join(t.TempDir(), "run")
	tests := []struct {
		name      string
		saveEvery int   // TrainOptions.SaveEvery
		target    int   // updates to train to
		saved     []int // the checkpoint's update each update finds before its own save
		stored    int   // save_every the next resume finds
	}{
		{"the run's", 0, 5, []int{0, 0, 0, 3, 3}, 3},
		{"given", 2, 8, []int{5, 6, 6}, 2},
		{"the stored one given before", 0, 10, []int{8, 8}, 2},
	}
	for i, tt := range tests {
		var tr *maac.Trainer
		var rd *maac.RunDir
		var err error
		if i == 0 {
			tr, rd, err = maac.Create(dir, cfg)
		} else {
			tr, rd, err = maac.Resume(dir)
		}
		if err != nil {
			t.Fatal(err)
		}
		var saved []int
		tr.OnUpdate(func(maac.UpdateInfo) error { // runs before Train's checkpoint hook
			var st struct{ Update int }
			data, _ := os.ReadFile(filepath.Join(rd.CheckpointPath(), "state.json"))
			json.Unmarshal(data, &st)
			saved = append(saved, st.Update)
			return nil
		})
		err = Train(context.Background(), tr, rd, tt.target, TrainOptions{SaveEvery: tt.saveEvery, Dashboard: DashboardOptions{Progress: io.Discard}})
		rd.Close()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(saved, tt.saved) {
			t.Errorf("%s: the updates found checkpoints at %v, want %v", tt.name, saved, tt.saved)
		}
		next, rd2, err := maac.Resume(dir)
		if err != nil {
			t.Fatal(err)
		}
		rd2.Close()
		if next.Config().SaveEvery != tt.stored {
			t.Errorf("%s: the next resume has save_every %d, want %d", tt.name, next.Config().SaveEvery, tt.stored)
		}
	}
}
