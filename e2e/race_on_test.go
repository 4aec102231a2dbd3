//go:build race

package e2e_test

// raceEnabled: this test binary runs under the race detector, which makes
// tgsim several times slower; the scenario specs relax speed bounds.
const raceEnabled = true
