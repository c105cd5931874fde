package bench

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSectionPickerOSW1Skew(t *testing.T) {
	p := newSectionPicker(SectionsDefault, ZipfExponentDefault)
	if got := p.probability(0); math.Abs(got-0.31) > 0.01 {
		t.Errorf("P(section 0) = %.4f, OSW-1 says about 0.31", got)
	}
	const draws = 200_000
	counts := make([]int, SectionsDefault)
	r := rand.New(rand.NewPCG(1, 2))
	for range draws {
		counts[p.pick(r)]++
	}
	for k, n := range counts {
		want := p.probability(k)
		got := float64(n) / draws
		// 5 standard deviations of a binomial proportion.
		if tolerance := 5 * math.Sqrt(want*(1-want)/draws); math.Abs(got-want) > tolerance {
			t.Errorf("section %d drawn %.4f of the time, want %.4f ± %.4f", k, got, want, tolerance)
		}
		if k > 0 && counts[k] >= counts[k-1]+draws/100 {
			t.Errorf("section %d (%d draws) is hotter than section %d (%d)", k, counts[k], k-1, counts[k-1])
		}
	}
	t.Logf("section 0: %.1f%% of %d draws", 100*float64(counts[0])/draws, draws)
}

func TestSectionPickerLeavesOutExhausted(t *testing.T) {
	p := newSectionPicker(4, ZipfExponentDefault)
	p.markExhausted(0)
	p.markExhausted(2)
	p.markExhausted(2) // twice is the same as once
	r := rand.New(rand.NewPCG(3, 4))
	for range 10_000 {
		if k := p.pick(r); k != 1 && k != 3 {
			t.Fatalf("picked exhausted section %d", k)
		}
	}
	if sum := p.probability(1) + p.probability(3); math.Abs(sum-1) > 1e-12 {
		t.Errorf("probabilities of the sections left sum to %v", sum)
	}
	p.markExhausted(1)
	p.markExhausted(3)
	if k := p.pick(r); k != -1 {
		t.Errorf("every section exhausted: picked %d, want -1", k)
	}
}

func TestSectionPickerUniform(t *testing.T) {
	p := newSectionPicker(20, 0)
	for k := range 20 {
		if got := p.probability(k); math.Abs(got-0.05) > 1e-12 {
			t.Errorf("s=0: P(section %d) = %v, want 0.05", k, got)
		}
	}
}
