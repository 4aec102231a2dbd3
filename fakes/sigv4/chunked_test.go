package sigv4_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/tgsim/tgsim/fakes/sigv4"
)

// The worked examples of the S3 API reference: "Signature Calculations for
// the Authorization Header: Transferring Payload in Multiple Chunks (Chunked
// Upload)" (Example: PUT Object) and "Signature calculations for trailing
// headers (chunked uploads)". Fixed key, fixed time, 66560 bytes of 'a' in
// chunks of 65536, 1024 and 0.
const (
	docAKID   = "AKIAIOSFODNN7EXAMPLE"
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var docTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

type docVector struct {
	name          string
	mode          string
	signedHeaders string
	seed          string
	chunks        [3]string // chunk signatures: 65536 bytes, 1024 bytes, final
	trailer       string    // raw trailer section after the final chunk line
	extraHeaders  map[string]string
}

var docVectors = []docVector{
	{
		name:          "signed chunks",
		mode:          sigv4.StreamingSigned,
		signedHeaders: "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
		seed:          "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
		chunks: [3]string{
			"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
			"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
			"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
		},
		trailer: "\r\n",
	},
	{
		name:          "signed chunks with signed trailer",
		mode:          sigv4.StreamingSignedTrail,
		signedHeaders: "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
		seed:          "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
		chunks: [3]string{
			"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
			"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
			"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
		},
		trailer:      "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n",
		extraHeaders: map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32c"},
	},
}

// units returns the documented body split into the units the reader
// releases: each chunk with its framing, then the final line, then the
// trailer section.
func (v docVector) units() []string {
	return []string{
		"10000;chunk-signature=" + v.chunks[0] + "\r\n" + strings.Repeat("a", 65536) + "\r\n",
		"400;chunk-signature=" + v.chunks[1] + "\r\n" + strings.Repeat("a", 1024) + "\r\n",
		"0;chunk-signature=" + v.chunks[2] + "\r\n",
		v.trailer,
	}
}

func (v docVector) request(t *testing.T, url string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url+"/examplebucket/chunkObject.txt", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "s3.amazonaws.com"
	req.Header.Set("X-Amz-Date", "20130524T000000Z")
	req.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	req.Header.Set("X-Amz-Content-Sha256", v.mode)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	for k, val := range v.extraHeaders {
		req.Header.Set(k, val)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+docAKID+"/20130524/us-east-1/s3/aws4_request,SignedHeaders="+v.signedHeaders+",Signature="+v.seed)
	return req
}

func docOptions() sigv4.Options {
	return sigv4.Options{
		Lookup: lookupIn(map[string]sigv4.Key{docAKID: {SecretAccessKey: docSecret}}),
		Now:    func() time.Time { return docTime.Add(time.Minute) },
	}
}

// TestAWSChunkedExamples verifies AWS's published vectors end to end over
// HTTP: the seed signature over the headers, each chunk signature chained
// from it, the final chunk, and the trailer signature. The handler must
// read the original aws-chunked bytes, unchanged.
func TestAWSChunkedExamples(t *testing.T) {
	t.Parallel()
	for _, v := range docVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(strings.Join(v.units(), ""))
			if v.mode == sigv4.StreamingSigned && len(body) != 66824 {
				t.Fatalf("documented body is %d bytes, want the documented Content-Length 66824", len(body))
			}
			srv, ch := verifyServer(t, false, docOptions(), nil)
			o := send(t, srv, ch, v.request(t, srv.URL, body))
			if o.err != nil {
				t.Fatalf("Verify(%s) error = %v, want nil", v.name, o.err)
			}
			if o.readErr != nil {
				t.Fatalf("reading the verified body: %v, want nil", o.readErr)
			}
			if !bytes.Equal(o.body, body) {
				t.Errorf("handler read %d bytes, want the %d sent, unchanged", len(o.body), len(body))
			}
			if o.res.PayloadMode != v.mode {
				t.Errorf("Result.PayloadMode = %q, want %q", o.res.PayloadMode, v.mode)
			}
		})
	}
}

// TestAWSChunkedTampered flips one byte in each unit in turn: the reader
// must hand on exactly the units before it, then fail with
// SignatureMismatch (or IncompleteBody when the flip breaks framing).
func TestAWSChunkedTampered(t *testing.T) {
	t.Parallel()
	for _, v := range docVectors {
		units := v.units()
		type flip struct {
			name string
			unit int
			off  int // offset in the unit
			to   byte
			want sigv4.Kind
		}
		flips := []flip{
			{"first chunk data", 0, 100, 'b', sigv4.SignatureMismatch},
			{"second chunk data", 1, 90 + 10, 'b', sigv4.SignatureMismatch},
			{"second chunk signature", 1, len("400;chunk-signature=") + 3, '0', sigv4.SignatureMismatch},
			{"final chunk signature", 2, len("0;chunk-signature=") + 5, '1', sigv4.SignatureMismatch},
			{"second chunk size", 1, 0, '5', sigv4.IncompleteBody},
		}
		if v.mode == sigv4.StreamingSignedTrail {
			flips = append(flips,
				flip{"trailer checksum value", 3, len("x-amz-checksum-crc32c:") + 1, 'X', sigv4.SignatureMismatch},
				flip{"trailer signature", 3, strings.Index(v.trailer, "signature:") + len("signature:") + 2, '0', sigv4.SignatureMismatch},
			)
		}
		for _, f := range flips {
			t.Run(v.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				mod := append([]string(nil), units...)
				b := []byte(mod[f.unit])
				if b[f.off] == f.to {
					t.Fatalf("flip at %d is a no-op", f.off)
				}
				b[f.off] = f.to
				mod[f.unit] = string(b)
				body := []byte(strings.Join(mod, ""))
				srv, ch := verifyServer(t, false, docOptions(), nil)
				o := send(t, srv, ch, v.request(t, srv.URL, body))
				if o.err != nil {
					t.Fatalf("Verify error = %v, want nil (the seed signature covers headers only)", o.err)
				}
				if got := kindOf(o.readErr); got != f.want {
					t.Fatalf("reading the body failed with %v (kind %v), want kind %v", o.readErr, got, f.want)
				}
				want := strings.Join(units[:f.unit], "")
				if string(o.body) != want {
					t.Errorf("handler read %d bytes before the failure, want exactly the %d bytes of the %d verified units", len(o.body), len(want), f.unit)
				}
			})
		}
	}
}

// TestStreamSignerChunks builds a signed streaming upload with the SDK's own
// chained signer (aws-sdk-go-v2 v4.StreamSigner: with no event headers its
// string to sign is exactly S3's chunk string to sign) on top of a seed from
// v4.Signer.SignHTTP, in many small chunks.
func TestStreamSignerChunks(t *testing.T) {
	t.Parallel()
	srv, ch := verifyServer(t, false, optsAt(t0), nil)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1000) // 16000 bytes
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}

	sizes := []int{8192, 4096, 3000, 712}
	var framedLen int
	for _, n := range append(sizes, 0) {
		framedLen += len(fmt.Sprintf("%x;chunk-signature=", n)) + 64 + 2 + n + 2
	}
	req, err := http.NewRequest(http.MethodPut, srv.URL+"/bucket/streamed%20object.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(framedLen)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(payload)))
	req.Header.Set("X-Amz-Content-Sha256", sigv4.StreamingSigned)
	err = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).
		SignHTTP(context.Background(), creds, req, sigv4.StreamingSigned, "s3", "us-east-1", t0)
	if err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	seedHex := auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]
	seed, _ := hex.DecodeString(seedHex)
	ss := v4.NewStreamSigner(creds, "s3", "us-east-1", seed)
	var body bytes.Buffer
	off := 0
	for _, n := range append(sizes, 0) {
		chunk := payload[off : off+n]
		off += n
		sig, err := ss.GetSignature(context.Background(), nil, chunk, t0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&body, "%x;chunk-signature=%x\r\n", n, sig)
		body.Write(chunk)
		body.WriteString("\r\n")
	}
	if body.Len() != framedLen {
		t.Fatalf("framed body is %d bytes, computed %d", body.Len(), framedLen)
	}
	sent := body.Bytes()
	req.Body = io.NopCloser(bytes.NewReader(sent))
	o := send(t, srv, ch, req)
	if o.err != nil || o.readErr != nil {
		t.Fatalf("Verify = %v, read = %v; want both nil", o.err, o.readErr)
	}
	if !bytes.Equal(o.body, sent) {
		t.Errorf("handler read %d bytes, want the %d sent", len(o.body), len(sent))
	}
}
