package awsproto_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// uuidV4 is the RFC 9562 version 4 layout: version nibble 4, variant 10xx.
var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewRequestID(t *testing.T) {
	t.Parallel()
	const n = 10000
	seen := make(map[string]bool, n)
	for range n {
		id := awsproto.NewRequestID()
		if !uuidV4.MatchString(id) {
			t.Fatalf("NewRequestID() = %q, want a lower-case UUID v4", id)
		}
		if seen[id] {
			t.Fatalf("NewRequestID() = %q twice in %d calls", id, n)
		}
		seen[id] = true
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	ctx := awsproto.WithRequestID(context.Background(), "fixed-id")
	if got := awsproto.RequestID(ctx); got != "fixed-id" {
		t.Errorf("RequestID(ctx with fixed-id) = %q, want %q", got, "fixed-id")
	}
	if got := awsproto.RequestID(context.Background()); !uuidV4.MatchString(got) {
		t.Errorf("RequestID(empty ctx) = %q, want a fresh UUID v4", got)
	}
}

func TestRequestInfo(t *testing.T) {
	t.Parallel()
	if info, ok := awsproto.RequestInfoFrom(context.Background()); ok {
		t.Errorf("RequestInfoFrom(empty ctx) = %+v, true; want false", info)
	}
	want := awsproto.RequestInfo{
		Scope:     awsproto.Scope{AccessKeyID: "AKID", Date: "20260101", Region: "eu-west-1", Service: "iot"},
		AccountID: "123456789012",
		Region:    "eu-west-1",
	}
	got, ok := awsproto.RequestInfoFrom(awsproto.WithRequestInfo(context.Background(), want))
	if !ok {
		t.Fatal("RequestInfoFrom(ctx with info) ok = false, want true")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RequestInfoFrom mismatch (-want +got):\n%s", diff)
	}
}

func TestSetRequestIDHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	awsproto.SetRequestIDHeaders(h, "id-1")
	want := http.Header{"X-Amzn-Requestid": {"id-1"}, "X-Amz-Request-Id": {"id-1"}}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("SetRequestIDHeaders(id-1) mismatch (-want +got):\n%s", diff)
	}
}

func TestNewError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		format string
		args   []any
		want   awsproto.Error
	}{
		{name: "client", status: 400, format: "bad %s", args: []any{"x"}, want: awsproto.Error{Code: "C", Message: "bad x", Status: 400, Sender: true}},
		{name: "percent kept without args", status: 404, format: "100% gone", want: awsproto.Error{Code: "C", Message: "100% gone", Status: 404, Sender: true}},
		{name: "server", status: 500, format: "boom", want: awsproto.Error{Code: "C", Message: "boom", Status: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := awsproto.NewError(tt.status, "C", tt.format, tt.args...)
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("NewError(%d, C, %q) mismatch (-want +got):\n%s", tt.status, tt.format, diff)
			}
			if s := got.Error(); s != "C: "+tt.want.Message {
				t.Errorf("NewError(%d, C, %q).Error() = %q, want %q", tt.status, tt.format, s, "C: "+tt.want.Message)
			}
		})
	}
	if ae := awsproto.AsError(context.Canceled); ae != nil {
		t.Errorf("AsError(context.Canceled) = %v, want nil", ae)
	}
}
