package s3

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// encodeAWSChunked frames payload the way the SDK does, with chunks of
// chunkSize bytes, an optional signature extension and trailers.
func encodeAWSChunked(payload []byte, chunkSize int, signed bool, trailers ...string) []byte {
	var b bytes.Buffer
	ext := ""
	if signed {
		ext = ";chunk-signature=" + strings.Repeat("a", 64)
	}
	for len(payload) > 0 {
		n := min(chunkSize, len(payload))
		fmt.Fprintf(&b, "%x%s\r\n", n, ext)
		b.Write(payload[:n])
		b.WriteString("\r\n")
		payload = payload[n:]
	}
	fmt.Fprintf(&b, "0%s\r\n", ext)
	for _, t := range trailers {
		b.WriteString(t + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func TestDecodeAWSChunked(t *testing.T) {
	payload := []byte(strings.Repeat("0123456789abcdef", 100))
	crc := base64.StdEncoding.EncodeToString(crc32.NewIEEE().Sum(nil))
	tests := []struct {
		name     string
		body     []byte
		limit    int64
		want     []byte
		wantCode string
		trailer  string
	}{
		{name: "unsigned with trailer", body: encodeAWSChunked(payload, 512, false, "x-amz-checksum-crc32:"+crc), limit: -1, want: payload, trailer: crc},
		{name: "signed chunks", body: encodeAWSChunked(payload, 1000, true), limit: int64(len(payload)), want: payload},
		{name: "empty payload", body: encodeAWSChunked(nil, 10, false), limit: 0, want: []byte{}},
		{name: "no final blank line", body: []byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA=="), limit: -1, want: []byte("abc"), trailer: "AAAAAA=="},
		{name: "over limit", body: encodeAWSChunked(payload, 512, false), limit: 10, wantCode: codeIncompleteBody},
		{name: "bad size", body: []byte("zz\r\nabc\r\n0\r\n\r\n"), limit: -1, wantCode: codeInvalidRequest},
		{name: "negative size", body: []byte("-3\r\nabc\r\n0\r\n\r\n"), limit: -1, wantCode: codeInvalidRequest},
		{name: "truncated chunk", body: []byte("10\r\nabc"), limit: -1, wantCode: codeIncompleteBody},
		{name: "missing CRLF after data", body: []byte("3\r\nabcXY0\r\n\r\n"), limit: -1, wantCode: codeInvalidRequest},
		{name: "no zero chunk", body: []byte("3\r\nabc\r\n"), limit: -1, wantCode: codeIncompleteBody},
		{name: "bad trailer", body: []byte("0\r\nnocolon\r\n\r\n"), limit: -1, wantCode: codeInvalidRequest},
		{name: "huge line", body: []byte(strings.Repeat("1", 5000) + "\r\n"), limit: -1, wantCode: codeIncompleteBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, trailers, err := decodeAWSChunked(bytes.NewReader(tt.body), tt.limit)
			if tt.wantCode != "" {
				if ae := awsproto.AsError(err); ae == nil || ae.Code != tt.wantCode {
					t.Fatalf("decodeAWSChunked() error = %v, want %s", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeAWSChunked() error = %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("decodeAWSChunked() = %q, want %q", got, tt.want)
			}
			if g := trailers.Get("X-Amz-Checksum-Crc32"); g != tt.trailer {
				t.Errorf("trailer x-amz-checksum-crc32 = %q, want %q", g, tt.trailer)
			}
		})
	}
}

func TestVerifyChecksumKnownVectors(t *testing.T) {
	// Check values of "123456789" from the CRC catalogue; SHA of "abc".
	tests := []struct {
		name, header, hexSum, input string
	}{
		{name: "CRC32", header: "X-Amz-Checksum-Crc32", hexSum: "cbf43926", input: "123456789"},
		{name: "CRC32C", header: "X-Amz-Checksum-Crc32c", hexSum: "e3069283", input: "123456789"},
		{name: "CRC64NVME", header: "X-Amz-Checksum-Crc64nvme", hexSum: "ae8b14860a799888", input: "123456789"},
		{name: "SHA1", header: "X-Amz-Checksum-Sha1", hexSum: "a9993e364706816aba3e25717850c26c9cd0d89d", input: "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw []byte
			fmt.Sscanf(tt.hexSum, "%x", &raw)
			v := base64.StdEncoding.EncodeToString(raw)
			if err := verifyChecksum(tt.header, v, []byte(tt.input)); err != nil {
				t.Errorf("verifyChecksum(%s, %q) = %v, want nil", tt.header, tt.input, err)
			}
			if err := verifyChecksum(tt.header, v, []byte(tt.input+"x")); awsproto.AsError(err) == nil || awsproto.AsError(err).Code != codeBadDigest {
				t.Errorf("verifyChecksum on altered data = %v, want BadDigest", err)
			}
		})
	}
}

// FuzzDecodeAWSChunked: never panics, never returns more than the limit,
// and whatever it accepts re-encodes to something it decodes identically.
func FuzzDecodeAWSChunked(f *testing.F) {
	f.Add(encodeAWSChunked([]byte("hello world"), 4, false, "x-amz-checksum-crc32:DUoRhQ=="), int64(-1))
	f.Add(encodeAWSChunked([]byte("hello world"), 64, true), int64(11))
	f.Add([]byte("0\r\n\r\n"), int64(0))
	f.Add([]byte("ffffffffffffffff\r\n"), int64(-1))
	f.Fuzz(func(t *testing.T, body []byte, limit int64) {
		if limit < -1 {
			limit = -1
		}
		got, _, err := decodeAWSChunked(bytes.NewReader(body), limit)
		if err != nil {
			if awsproto.AsError(err) == nil {
				t.Fatalf("error %v is not an AWS error", err)
			}
			return
		}
		if limit >= 0 && int64(len(got)) > limit {
			t.Fatalf("decoded %d bytes, limit %d", len(got), limit)
		}
		again, _, err := decodeAWSChunked(bytes.NewReader(encodeAWSChunked(got, 7, false)), -1)
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("re-encoded body decodes to %q, %v; want %q", again, err, got)
		}
	})
}
