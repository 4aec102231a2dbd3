package sigv4_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tgsim/tgsim/fakes/sigv4"
)

// TestBodyLimits: a body that must be hashed before the signature can be
// checked is bounded by MaxBody; an S3 body with a declared hash larger than
// MaxBody is checked as it streams.
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 4096)
	tests := []struct {
		name     string
		spec     reqSpec
		declared string // X-Amz-Content-Sha256 to sign for S3
		send     []byte // body actually sent
		wantErr  sigv4.Kind
		wantRead sigv4.Kind
	}{
		{name: "JSON body over MaxBody", spec: reqSpec{method: "POST", path: "/", body: big, service: "iotthingsgraph", region: "us-east-1"}, send: big, wantErr: sigv4.RequestTooLarge},
		{name: "S3 body over MaxBody, hash right", spec: reqSpec{method: "PUT", path: "/b/k", body: big, service: "s3", region: "us-east-1"}, send: big},
		{name: "S3 body over MaxBody, hash wrong", spec: reqSpec{method: "PUT", path: "/b/k", body: big, service: "s3", region: "us-east-1"},
			send: append(bytes.Clone(big[:4095]), 'y'), wantRead: sigv4.ContentSHA256Mismatch},
		{name: "S3 empty body, hash of something", spec: reqSpec{method: "PUT", path: "/b/k", body: nil, service: "s3", region: "us-east-1"},
			declared: hexSHA256([]byte("x")), wantErr: sigv4.ContentSHA256Mismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := optsAt(t0)
			opts.MaxBody = 1024
			srv, ch := verifyServer(t, false, opts, nil)
			req := tt.spec.build(t, srv.URL)
			signV2(t, req, tt.spec, longTerm, tt.declared, t0)
			if tt.send != nil {
				req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(tt.send)), int64(len(tt.send))
			}
			o := send(t, srv, ch, req)
			if got := kindOf(o.err); got != tt.wantErr {
				t.Fatalf("Verify error = %v (kind %v), want kind %v", o.err, got, tt.wantErr)
			}
			if o.err != nil {
				return
			}
			if got := kindOf(o.readErr); got != tt.wantRead {
				t.Fatalf("read error = %v (kind %v), want kind %v", o.readErr, got, tt.wantRead)
			}
			if tt.wantRead == 0 && !bytes.Equal(o.body, tt.send) {
				t.Errorf("body after Verify is %d bytes, want the %d sent", len(o.body), len(tt.send))
			}
		})
	}
}

// TestUnsignedTrailerFraming feeds hand-framed STREAMING-UNSIGNED-PAYLOAD-
// TRAILER bodies (the SDK's exact framing, and broken variants) through a
// header-signed request.
func TestUnsignedTrailerFraming(t *testing.T) {
	t.Parallel()
	const ok = "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
	tests := []struct {
		name    string
		body    string
		decoded string
		want    sigv4.Kind
		wantOut string // what the handler reads before the failure
	}{
		{name: "sdk framing", body: ok, decoded: "11"},
		{name: "no closing CRLF", body: strings.TrimSuffix(ok, "\r\n"), decoded: "11"},
		{name: "upper-case hex size", body: "B\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"},
		{name: "decoded length wrong", body: ok, decoded: "12", want: sigv4.IncompleteBody, wantOut: "5\r\nhello\r\n6\r\n world\r\n"},
		{name: "truncated chunk", body: "5\r\nhel", want: sigv4.IncompleteBody},
		{name: "no final chunk", body: "5\r\nhello\r\n", want: sigv4.IncompleteBody, wantOut: "5\r\nhello\r\n"},
		{name: "size line in LF only", body: "5\nhello\r\n0\r\n\r\n", want: sigv4.IncompleteBody},
		{name: "size not hex", body: "zz\r\n", want: sigv4.IncompleteBody},
		{name: "chunk longer than its size", body: "3\r\nhello\r\n0\r\n\r\n", want: sigv4.IncompleteBody},
		{name: "junk after the end", body: ok + "junk", want: sigv4.IncompleteBody, wantOut: "5\r\nhello\r\n6\r\n world\r\n0\r\n"},
		{name: "trailer not name:value", body: "0\r\nnocolon\r\n\r\n", want: sigv4.IncompleteBody, wantOut: "0\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, ch := verifyServer(t, false, optsAt(t0), nil)
			spec := reqSpec{method: "PUT", path: "/b/k", service: "s3", region: "us-east-1",
				headers: map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Trailer": "x-amz-checksum-crc32"}}
			if tt.decoded != "" {
				spec.headers["X-Amz-Decoded-Content-Length"] = tt.decoded
			}
			req := spec.build(t, srv.URL)
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader(tt.body)), int64(len(tt.body))
			signV2(t, req, spec, longTerm, sigv4.StreamingUnsignedTrail, t0)
			o := send(t, srv, ch, req)
			if o.err != nil {
				t.Fatalf("Verify = %v, want nil", o.err)
			}
			if got := kindOf(o.readErr); got != tt.want {
				t.Fatalf("reading %q failed with %v (kind %v), want kind %v", tt.body, o.readErr, got, tt.want)
			}
			want := tt.body
			if tt.want != 0 {
				want = tt.wantOut
			}
			if string(o.body) != want {
				t.Errorf("handler read %q, want %q", o.body, want)
			}
		})
	}
}

// TestDateHeader: a request dated by Date instead of X-Amz-Date.
func TestDateHeader(t *testing.T) {
	t.Parallel()
	spec := reqSpec{method: "GET", path: "/", query: "Action=ListUsers&Version=2010-05-08", service: "iam", region: "us-east-1"}
	req := spec.build(t, "https://iam.amazonaws.com")
	signV2(t, req, spec, longTerm, "", t0)
	// Swapping X-Amz-Date for Date: Verify falls back to Date for the
	// time, and then finds the signed x-amz-date missing.
	req.Header.Del("X-Amz-Date")
	req.Header.Set("Date", t0.Format(http.TimeFormat))
	_, err := sigv4.Verify(req, optsAt(t0))
	// x-amz-date was signed and is now missing: the header list names it.
	if kindOf(err) != sigv4.IncompleteSignature || !strings.Contains(err.Error(), "x-amz-date") {
		t.Errorf("Verify(Date instead of X-Amz-Date) = %v, want IncompleteSignature naming x-amz-date", err)
	}
	req.Header.Del("Date")
	if _, err := sigv4.Verify(req, optsAt(t0)); kindOf(err) != sigv4.IncompleteSignature || !strings.Contains(err.Error(), "'X-Amz-Date' or a 'Date'") {
		t.Errorf("Verify(no date) = %v, want IncompleteSignature asking for a date", err)
	}
}
