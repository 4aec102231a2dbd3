package main

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/tgsim/tgsim/sim/harness"
)

// TestHealth is the image's HEALTHCHECK: exit 0 when tgsim up answers,
// 1 when nothing listens, 2 for a malformed address.
func TestHealth(t *testing.T) {
	h, err := harness.Start(harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	_, port, _ := net.SplitHostPort(h.Addr())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name     string
		addr     string
		wantCode int
		wantOut  string
	}{
		{name: "up answers", addr: h.Addr(), wantCode: 0, wantOut: "ok http://" + h.Addr() + "/_tgsim/health"},
		{name: "listening on every address is asked on loopback", addr: "0.0.0.0:" + port, wantCode: 0, wantOut: "ok http://127.0.0.1:" + port},
		{name: "nothing listens", addr: closed, wantCode: 1, wantOut: "connection refused"},
		{name: "malformed address", addr: "nonsense", wantCode: 2, wantOut: `--addr "nonsense"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"health", "--addr", tt.addr}, func(string) string { return "" }, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stdout.String()+stderr.String(), tt.wantOut) {
				t.Errorf("tgsim health --addr %s = %d, %q %q; want %d and %q", tt.addr, code, stdout.String(), stderr.String(), tt.wantCode, tt.wantOut)
			}
		})
	}
}
