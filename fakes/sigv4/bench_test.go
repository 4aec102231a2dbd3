package sigv4_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/tgsim/tgsim/fakes/sigv4"
)

// BenchmarkVerifyJSON1KiB verifies a header-signed 1 KiB AWS JSON 1.1 POST
// (signed by aws-sdk-go-v2), body buffering and hashing included. The
// request is the server-side shape: RequestURI, Host and Content-Length set.
func BenchmarkVerifyJSON1KiB(b *testing.B) {
	body := bytes.Repeat([]byte(`{"k":"v"},`), 103)[:1024]
	req, err := http.NewRequest(http.MethodPost, "https://iotthingsgraph.us-east-1.amazonaws.com/", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "IotThingsGraphFrontEndService.SearchThings")
	if err := v4.NewSigner().SignHTTP(context.Background(), longTerm, req, hexSHA256(body), "iotthingsgraph", "us-east-1", t0); err != nil {
		b.Fatal(err)
	}
	req.RequestURI = "/"
	req.Header.Set("Content-Length", "1024")
	opts := optsAt(t0)
	rd := bytes.NewReader(body)
	rc := io.NopCloser(rd)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rd.Reset(body)
		req.Body = rc
		if _, err := sigv4.Verify(req, opts); err != nil {
			b.Fatal(err)
		}
	}
}
