package s3

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// maxChunkLine bounds a chunk header or trailer line. A signed chunk header
// is "<hex size>;chunk-signature=<64 hex>", well under 200 bytes.
const maxChunkLine = 4096

// decodeAWSChunked reads an aws-chunked body:
//
//	<hex size>[;chunk-signature=<sig>]\r\n<size bytes>\r\n   (repeated)
//	0[;chunk-signature=<sig>]\r\n
//	<trailer name>:<value>\r\n                               (zero or more)
//	\r\n                                                     (optional at EOF)
//
// and returns the payload and the trailers. limit bounds the payload (the
// declared x-amz-decoded-content-length, or -1 for none). Extensions such as
// chunk signatures are parsed and ignored.
// AWS: "Signature Calculations for the Authorization Header: Transferring
// Payload in Multiple Chunks (Chunked Upload)" and "... including trailers".
func decodeAWSChunked(r io.Reader, limit int64) ([]byte, http.Header, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out bytes.Buffer
	for {
		line, err := readChunkLine(br)
		if err != nil {
			return nil, nil, incompleteBody("aws-chunked body: reading chunk header: %v", err)
		}
		sizeText, _, _ := strings.Cut(line, ";")
		sizeText = strings.TrimSpace(sizeText)
		size, err := strconv.ParseInt(sizeText, 16, 64)
		if err != nil || size < 0 || sizeText == "" || strings.HasPrefix(sizeText, "+") || strings.HasPrefix(sizeText, "-") {
			return nil, nil, invalidRequest("aws-chunked body: chunk size %q is not a hexadecimal number", sizeText)
		}
		if size == 0 {
			break
		}
		if limit >= 0 && int64(out.Len())+size > limit {
			return nil, nil, incompleteBody("aws-chunked body: chunks hold more than the declared x-amz-decoded-content-length %d", limit)
		}
		if _, err := io.CopyN(&out, br, size); err != nil {
			return nil, nil, incompleteBody("aws-chunked body: chunk of %d bytes is truncated", size)
		}
		var crlf [2]byte
		if _, err := io.ReadFull(br, crlf[:]); err != nil || crlf != [2]byte{'\r', '\n'} {
			return nil, nil, invalidRequest("aws-chunked body: chunk data is not followed by CRLF")
		}
	}
	trailers := http.Header{}
	for {
		line, err := readChunkLine(br)
		atEOF := errors.Is(err, io.EOF)
		if err != nil && !atEOF {
			return nil, nil, incompleteBody("aws-chunked body: reading trailer: %v", err)
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, nil, invalidRequest("aws-chunked body: trailer line %q is not name:value", line)
		}
		trailers.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)), strings.TrimSpace(value))
		if atEOF {
			break
		}
	}
	return out.Bytes(), trailers, nil
}

// readChunkLine reads one CRLF-terminated line without its terminator. A
// final line without terminator is returned with io.EOF.
func readChunkLine(br *bufio.Reader) (string, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > maxChunkLine {
			return "", fmt.Errorf("line longer than %d bytes", maxChunkLine)
		}
		switch {
		case err == nil:
			s := strings.TrimSuffix(string(line), "\n")
			return strings.TrimSuffix(s, "\r"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(line) == 0 {
				return "", io.EOF
			}
			return string(line), io.EOF
		default:
			return "", err
		}
	}
}

// checksumAlgorithms maps the suffix of an x-amz-checksum-<alg> header to
// the algorithm's display name and hash constructor.
// AWS: "Checking object integrity", Amazon S3 user guide.
var checksumAlgorithms = map[string]struct {
	name string
	new  func() hash.Hash
}{
	"crc32":     {"CRC32", func() hash.Hash { return crc32.NewIEEE() }},
	"crc32c":    {"CRC32C", func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }},
	"crc64nvme": {"CRC64NVME", func() hash.Hash { return crc64.New(crc64NVMETable) }},
	"sha1":      {"SHA1", sha1.New},
	"sha256":    {"SHA256", sha256.New},
}

// crc64NVMETable is CRC-64/NVME: the reflected form of polynomial
// 0xAD93D23594C93659, as crc64.MakeTable expects it.
var crc64NVMETable = crc64.MakeTable(0x9a6c9329ac4bc9b5)

const checksumHeaderPrefix = "X-Amz-Checksum-"

// checksumHeaders returns the x-amz-checksum-<alg> headers of h whose
// algorithm is known, keyed by canonical header name.
func checksumHeaders(h http.Header) map[string]string {
	var found map[string]string
	for k, v := range h {
		alg, ok := strings.CutPrefix(k, checksumHeaderPrefix)
		if !ok || len(v) == 0 {
			continue
		}
		if _, known := checksumAlgorithms[strings.ToLower(alg)]; !known {
			continue // x-amz-checksum-mode, -type, -algorithm, or a future one
		}
		if found == nil {
			found = map[string]string{}
		}
		found[k] = v[0]
	}
	return found
}

// verifyChecksum checks body against the base64 value of the header named
// header (canonical form, X-Amz-Checksum-<alg>).
func verifyChecksum(header, value string, body []byte) error {
	algKey := strings.ToLower(strings.TrimPrefix(header, checksumHeaderPrefix))
	alg, ok := checksumAlgorithms[algKey]
	if !ok {
		return invalidRequest("unknown checksum header %s", strings.ToLower(header))
	}
	h := alg.new()
	want, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(want) != h.Size() {
		return invalidRequest("Value for %s header is invalid.", strings.ToLower(header))
	}
	h.Write(body)
	if !bytes.Equal(h.Sum(nil), want) {
		return badDigest(alg.name)
	}
	return nil
}
