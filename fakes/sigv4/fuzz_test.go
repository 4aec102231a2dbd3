package sigv4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

const fuzzCred = "AKIDEXAMPLE/20260101/us-east-1/iam/aws4_request"

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=" + fuzzCred + ", SignedHeaders=content-type;host;x-amz-date, Signature=" + strings.Repeat("ab", 32),
		"AWS4-HMAC-SHA256 Credential=" + fuzzCred + ",SignedHeaders=host,Signature=00",
		"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00, Credential=" + fuzzCred,
		"AWS4-HMAC-SHA256 Credential=" + fuzzCred + ", Credential=" + fuzzCred + ", SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 Credential=" + fuzzCred,
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 ",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request/x, SignedHeaders=host;Host, Signature=",
		"AWS4-ECDSA-P256-SHA256 Credential=x",
		"AWS AKID:c2lnbmF0dXJl",
		",,,=",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAuthorization(s)
		if err != nil {
			if err.Kind != IncompleteSignature {
				t.Fatalf("parseAuthorization(%q) error kind = %v, want IncompleteSignature", s, err.Kind)
			}
			return
		}
		if a.Scope.AccessKeyID == "" || a.Scope.Date == "" || a.Scope.Region == "" || a.Scope.Service == "" {
			t.Fatalf("parseAuthorization(%q) = %+v with an empty scope part", s, a.Scope)
		}
		if len(a.SignedHeaders) == 0 || a.Signature == "" {
			t.Fatalf("parseAuthorization(%q) = %+v without signed headers or signature", s, a)
		}
		// The edge routes on awsproto.ParseScope: it must see the same scope.
		r := &http.Request{Header: http.Header{"Authorization": {s}}, URL: &url.URL{}}
		got, ok, perr := awsproto.ParseScope(r)
		if perr != nil || !ok {
			t.Fatalf("awsproto.ParseScope(%q) = %+v, %v, %v; parseAuthorization accepted it as %+v", s, got, ok, perr, a.Scope)
		}
		if diff := cmp.Diff(a.Scope, got); diff != "" {
			t.Fatalf("scope of %q: parseAuthorization and awsproto.ParseScope differ (-sigv4 +awsproto):\n%s", s, diff)
		}
	})
}

func FuzzParsePresigned(f *testing.F) {
	good := url.Values{
		qAlgorithm: {algorithm}, qCredential: {"AKID/20260101/us-east-1/s3/aws4_request"}, qDate: {"20260101T000000Z"},
		qExpires: {"900"}, qSignedHeaders: {"host"}, qSignature: {strings.Repeat("0", 64)}, qSecurityToken: {"tok/+="},
	}
	f.Add(good.Encode())
	f.Add(good.Encode() + "&X-Amz-Signature=00")
	f.Add(strings.Replace(good.Encode(), "900", "604801", 1))
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Faws4_request;x=1")
	f.Add("X-Amz-Credential=%zz&X-Amz-Credential=a")
	f.Add("a=b&&c&=d&e=%20+f")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		pairs := parseQuery(raw)
		// parseQuery must read a query as url.ParseQuery does, which is how
		// the SDK signers read it back before canonicalising it.
		want, _ := url.ParseQuery(raw)
		got := url.Values{}
		for _, p := range pairs {
			got[p.k] = append(got[p.k], p.v)
		}
		if len(want) == 0 {
			want = url.Values{}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("parseQuery(%q) differs from url.ParseQuery (-url +sigv4):\n%s", raw, diff)
		}
		// Canonicalising never panics and is stable under re-parsing.
		canon := string(appendCanonicalQuery(nil, pairs, ""))
		if again := string(appendCanonicalQuery(nil, parseQuery(canon), "")); again != canon {
			t.Fatalf("canonical query of %q is %q, which canonicalises again to %q", raw, canon, again)
		}
		a, err := parsePresigned(pairs)
		if err != nil {
			if err.Kind != IncompleteSignature || !err.Presigned {
				t.Fatalf("parsePresigned(%q) error = %+v, want a presigned IncompleteSignature", raw, err)
			}
			return
		}
		if a.Expires < 0 || a.Expires > maxExpires || (isS3(a.Scope.Service) && a.Expires == 0) {
			t.Fatalf("parsePresigned(%q) Expires = %d, want 1..%d", raw, a.Expires, maxExpires)
		}
		r := &http.Request{Header: http.Header{}, URL: &url.URL{RawQuery: raw}}
		scope, ok, perr := awsproto.ParseScope(r)
		if perr != nil || !ok {
			t.Fatalf("awsproto.ParseScope(?%s) = %+v, %v, %v; parsePresigned accepted it as %+v", raw, scope, ok, perr, a.Scope)
		}
		if diff := cmp.Diff(a.Scope, scope); diff != "" {
			t.Fatalf("scope of ?%s: parsePresigned and awsproto.ParseScope differ (-sigv4 +awsproto):\n%s", raw, diff)
		}
	})
}

// fuzzSigner signs chunks for the fuzz body builder; the golden AWS
// vectors in chunked_test.go pin the algorithm itself.
var fuzzSigner = chunkSigner{key: deriveKey("secret", "20260101", "us-east-1", "s3"), amzDate: "20260101T000000Z", scope: "20260101/us-east-1/s3/aws4_request"}

const fuzzSeed = "0000000000000000000000000000000000000000000000000000000000000000"

// buildSigned frames payload as a signed aws-chunked body with chunk sizes
// taken from cuts, returning the body and the offsets where each released
// unit ends.
func buildSigned(payload, cuts []byte, trailer bool) ([]byte, []int) {
	var b bytes.Buffer
	var ends []int
	prev := fuzzSeed
	s := fuzzSigner
	emit := func(chunk []byte) {
		sig := signatureHex(s.key, s.chunkStringToSign(prev, chunk))
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(chunk), sig)
		if len(chunk) > 0 {
			b.Write(chunk)
			b.WriteString("\r\n")
		}
		prev = sig
		ends = append(ends, b.Len())
	}
	i := 0
	for len(payload) > 0 {
		n := 64
		if i < len(cuts) {
			n = int(cuts[i]) + 1
		}
		i++
		n = min(n, len(payload))
		emit(payload[:n])
		payload = payload[n:]
	}
	emit(nil)
	if trailer {
		tr := []byte("x-amz-checksum-crc32:AAAAAA==\n")
		fmt.Fprintf(&b, "x-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:%s\r\n\r\n", signatureHex(s.key, s.trailerStringToSign(prev, tr)))
	} else {
		b.WriteString("\r\n")
	}
	ends = append(ends, b.Len())
	return b.Bytes(), ends
}

func signatureHex(key [32]byte, sts []byte) string {
	sum := hmacSHA256(key[:], sts)
	return fmt.Sprintf("%x", sum)
}

// readAllSmall reads r in odd-sized pieces.
func readAllSmall(r io.Reader) ([]byte, error) {
	var out []byte
	buf := make([]byte, 7)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func FuzzChunkedReader(f *testing.F) {
	body, _ := buildSigned([]byte("hello, aws-chunked world"), []byte{4, 9}, true)
	f.Add(body, []byte("payload"), []byte{1, 2}, uint8(0), uint16(0))
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"), []byte("x"), []byte{}, uint8(2), uint16(3))
	f.Add([]byte("ffffffffffffffff;chunk-signature=00\r\n"), []byte{}, []byte{}, uint8(1), uint16(7))
	f.Add([]byte("0;chunk-signature="+fuzzSeed+"\r\n\r\ntrailing"), []byte("abc"), []byte{0}, uint8(3), uint16(40))
	modes := []string{StreamingSigned, StreamingSignedTrail, StreamingUnsignedTrail}
	f.Fuzz(func(t *testing.T, raw, payload, cuts []byte, mode uint8, tamper uint16) {
		// 1. Arbitrary bytes: no panic; what comes out is a prefix of what
		// went in; a clean EOF means all of it.
		m := modes[int(mode)%len(modes)]
		cr := newChunked(io.NopCloser(bytes.NewReader(raw)), m, fuzzSigner, fuzzSeed, 1<<16, -1)
		out, err := readAllSmall(cr)
		if !bytes.HasPrefix(raw, out) {
			t.Fatalf("mode %s: reader yielded bytes that are not a prefix of its input", m)
		}
		if err == nil && !bytes.Equal(out, raw) {
			t.Fatalf("mode %s: clean EOF after %d of %d bytes", m, len(out), len(raw))
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("mode %s: read error %v is not a *Error", m, err)
		}

		// 2. A valid signed body with one byte changed: the reader yields
		// only whole units before the changed one, or (if the change is
		// harmless, like the case of a hex digit) everything.
		if len(payload) > 1024 {
			payload = payload[:1024]
		}
		trailer := mode&1 == 1
		m = StreamingSigned
		if trailer {
			m = StreamingSignedTrail
		}
		good, ends := buildSigned(payload, cuts, trailer)
		cr = newChunked(io.NopCloser(bytes.NewReader(good)), m, fuzzSigner, fuzzSeed, 1<<16, int64(len(payload)))
		if out, err := readAllSmall(cr); err != nil || !bytes.Equal(out, good) {
			t.Fatalf("untampered %d-byte body: read %d bytes, %v; want all, nil", len(good), len(out), err)
		}
		bad := bytes.Clone(good)
		pos := int(tamper) % len(bad)
		bad[pos] ^= byte(tamper>>8) | 1
		cr = newChunked(io.NopCloser(bytes.NewReader(bad)), m, fuzzSigner, fuzzSeed, 1<<16, int64(len(payload)))
		out, err = readAllSmall(cr)
		if err == nil {
			if !bytes.Equal(out, bad) {
				t.Fatalf("tampered body read cleanly but yielded %d of %d bytes", len(out), len(bad))
			}
			return
		}
		unitStart := 0
		for _, end := range ends {
			if end > pos {
				break
			}
			unitStart = end
		}
		if len(out) > unitStart || (len(out) > 0 && !slices.Contains(ends, len(out))) {
			t.Fatalf("byte %d changed (its unit starts at %d): reader yielded %d bytes before failing with %v; unit ends %v", pos, unitStart, len(out), err, ends)
		}
	})
}
