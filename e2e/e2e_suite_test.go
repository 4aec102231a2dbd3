// Package e2e holds tgsim's end-to-end suites (Ginkgo). Labels select
// subsets: `go test ./e2e -ginkgo.label-filter=scenarios`.
//   - scenarios: every file in scenarios/ runs as one spec.
//   - clients: real clients (the aws CLI, v1 or v2, whichever is on PATH)
//     against an in-process `tgsim up`.
package e2e_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tgsim e2e")
}
