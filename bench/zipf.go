package bench

import (
	"math"
	"math/rand/v2"
)

// sectionPicker draws sections with Zipf skew: section k (from 0) has
// weight 1/(k+1)^s. Each client has its own picker, because the draw leaves
// out the sections that this client has seen exhausted.
//
// The draw is a linear scan of the weights, O(sections). math/rand's Zipf
// was rejected: it needs s > 1, has no way to leave sections out, and its
// rejection sampling would loop on a mostly exhausted venue.
type sectionPicker struct {
	weights   []float64
	exhausted []bool
	total     float64 // sum of the weights of sections not exhausted
	left      int     // sections not exhausted
}

func newSectionPicker(sections int, exponent float64) *sectionPicker {
	p := &sectionPicker{weights: make([]float64, sections), exhausted: make([]bool, sections), left: sections}
	for k := range p.weights {
		p.weights[k] = 1 / math.Pow(float64(k+1), exponent)
		p.total += p.weights[k]
	}
	return p
}

// pick returns a section not marked exhausted, or -1 when every section is.
func (p *sectionPicker) pick(r *rand.Rand) int {
	if p.left == 0 {
		return -1
	}
	u := r.Float64() * p.total
	last := -1
	for k, w := range p.weights {
		if p.exhausted[k] {
			continue
		}
		last = k
		if u -= w; u < 0 {
			return k
		}
	}
	return last // u was within rounding of total
}

// markExhausted leaves section k out of later draws.
func (p *sectionPicker) markExhausted(k int) {
	if p.exhausted[k] {
		return
	}
	p.exhausted[k] = true
	p.left--
	// Summed again rather than subtracted, so that rounding cannot leave a
	// positive total with nothing to pick.
	p.total = 0
	for j, w := range p.weights {
		if !p.exhausted[j] {
			p.total += w
		}
	}
}

// probability is the chance that pick returns k now.
func (p *sectionPicker) probability(k int) float64 {
	if p.exhausted[k] || p.total == 0 {
		return 0
	}
	return p.weights[k] / p.total
}
