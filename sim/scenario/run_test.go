package scenario

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// TestRunRefusesUnknownRespondKey: a misspelt action under respond must
// stop the run naming the device's actions; unnoticed, the device would
// answer "{}" and a scenario could pass for the wrong reason.
func TestRunRefusesUnknownRespondKey(t *testing.T) {
	f, err := Load("testdata/respond-typo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(context.Background(), f, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if rep.Err == nil {
		t.Fatal("run passed; want an error for respond.captur")
	}
	for _, want := range []string{"respond.captur", `has no action "captur"`, "its actions: capture"} {
		if !strings.Contains(rep.Err.Error(), want) {
			t.Errorf("error %q does not contain %q", rep.Err, want)
		}
	}
}
