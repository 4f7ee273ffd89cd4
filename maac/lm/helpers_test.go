package lm

import (
	"sync"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

var (
	testBackendOnce sync.Once
	testBackendVal  compute.Backend
	testBackendErr  error
)

func testBackend(t testing.TB) compute.Backend {
	testBackendOnce.Do(func() { testBackendVal, testBackendErr = NewBackend() })
	if testBackendErr != nil {
		t.Fatal(testBackendErr)
	}
	return testBackendVal
}

// logitsOf runs a full forward pass and returns logits [B][T][V].
func logitsOf(t testing.TB, m *Model, ids, mask [][]int32) [][][]float32 {
	t.Helper()
	e, err := model.NewExec(m.Backend, m.Store, func(_ *model.Scope, ids, mask *Node) *Node {
		return m.Logits(m.Hidden(ids, mask))
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Call1(ids, mask)
	if err != nil {
		t.Fatal(err)
	}
	return out.Value().([][][]float32)
}

func tinyModel(t testing.TB, store *model.Store, scope string, seed uint64) *Model {
	t.Helper()
	cfg, err := Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewRandom(testBackend(t), store, scope, cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
