package main

import (
	"bytes"
	"os"
	"testing"
)

// TestCanRedraw: the progress line needs a terminal; a buffer, a regular
// file and TERM=dumb get none.
func TestCanRedraw(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := func(term string) func(string) string {
		return func(k string) string {
			if k == "TERM" {
				return term
			}
			return ""
		}
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"buffer", canRedraw(&bytes.Buffer{}, env("xterm"))},
		{"regular file", canRedraw(f, env("xterm"))},
	}
	if dev, err := os.OpenFile("/dev/null", os.O_WRONLY, 0); err == nil {
		defer dev.Close()
		// /dev/null is a character device: only TERM=dumb rules it out.
		tests = append(tests, struct {
			name string
			ok   bool
		}{"character device, TERM=dumb", canRedraw(dev, env("dumb"))})
		if !canRedraw(dev, env("xterm")) {
			t.Error("canRedraw(/dev/null, TERM=xterm) = false, want true for a character device")
		}
	}
	for _, tt := range tests {
		if tt.ok {
			t.Errorf("canRedraw(%s) = true, want false", tt.name)
		}
	}
}
