package e2e_test

import (
	"context"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tgsim/tgsim/sim/scenario"
)

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
		It(filepath.Base(f), func(ctx SpecContext) {
			sf, err := scenario.Load(f)
			Expect(err).NotTo(HaveOccurred())
			rep := scenario.Run(context.Context(ctx), sf, scenario.Options{})
			var out strings.Builder
			rep.Print(&out)
			AddReportEntry("report", out.String())
			Expect(rep.Passed()).To(BeTrue(), out.String())
			Expect(rep.Checks).NotTo(BeEmpty(), "a scenario with no expectations proves nothing")
		}, SpecTimeout(scenarioTimeout))
	}
})
