package reward

import (
	"math"
	"testing"
)

func TestBandScore(t *testing.T) {
	b := Band{Lo: 1, OptLo: 2, OptHi: 3, Hi: 5, Points: 2}
	for _, tc := range []struct {
		x    float64
		want float64
		pass bool
	}{{0.99, 0, false}, {1, 0, true}, {1.5, 1, true}, {2, 2, true}, {3, 2, true}, {4, 1, true}, {5, 0, true}, {5.01, 0, false}} {
		got, pass := b.Score(tc.x)
		if math.Abs(got-tc.want) > 1e-12 || pass != tc.pass {
			t.Errorf("Score(%v) = %v, %v; want %v, %v", tc.x, got, pass, tc.want, tc.pass)
		}
	}
}
