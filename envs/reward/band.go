package reward

// Band scores a value x (e.g. a length ratio) with a plateau and two linear ramps:
//
//	OptLo <= x <= OptHi: Points;  Lo <= x < OptLo: rising from 0 at Lo;
//	OptHi < x <= Hi: falling to 0 at Hi;  otherwise 0 and the level fails.
//
// OptHi = Hi = +Inf gives a band without upper bound. A ramp's foot passes the level with 0
// points, as in the paper's writing rewards.
type Band struct {
	Lo, OptLo, OptHi, Hi float64
	Points               float64
}

// Score returns the band's points for x and whether x lies inside [Lo, Hi].
func (b Band) Score(x float64) (float64, bool) {
	switch {
	case b.OptLo <= x && x <= b.OptHi:
		return b.Points, true
	case b.Lo <= x && x < b.OptLo:
		return b.Points * (x - b.Lo) / (b.OptLo - b.Lo), true
	case b.OptHi < x && x <= b.Hi:
		return b.Points * (1.0 - (x-b.OptHi)/(b.Hi-b.OptHi)), true
	}
	return 0, false
}
