package e2e_test

import (
	"context"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tgsim/tgsim/sim/scenario"
)

// raceSpeedSlack relaxes the library's speed bounds under the race
// detector: measured on the 2-core CI machine, throughput.yaml's p50 went
// from about 10 ms in a plain run to 110 ms with -race next to other test
// packages.
const raceSpeedSlack = 5

// Every scenario file is a spec: adding a file adds a test.
var _ = Describe("scenario library", Label("scenarios"), func() {
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil {
		panic(err)
	}
	It("has scenario files", func() {
		Expect(files).NotTo(BeEmpty())
	})
	for _, f := range files {
		// A file with a matrix is one spec per combination.
		scenarios, err := scenario.LoadAll(f)
		if err != nil {
			It(filepath.Base(f), func() { Fail(err.Error()) })
			continue
		}
		for _, sf := range scenarios {
			It(filepath.Base(f)+": "+sf.Name, func(ctx SpecContext) {
				opts := scenario.Options{}
				if raceEnabled {
					// The race detector slows tgsim several times over:
					// speed bounds are relaxed and the report says so;
					// every other check is as strict as in a plain run.
					opts.SpeedSlack = raceSpeedSlack
				}
				rep := scenario.Run(context.Context(ctx), sf, opts)
				var out strings.Builder
				rep.Print(&out)
				AddReportEntry("report", out.String())
				Expect(rep.Passed()).To(BeTrue(), out.String())
				Expect(rep.Checks).NotTo(BeEmpty(), "a scenario with no expectations proves nothing")
			}, SpecTimeout(scenarioTimeout))
		}
	}
})
