package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// aws-chunked framing. AWS: S3 "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks (Chunked Upload)" and
// "Signature calculations for trailing headers (chunked uploads)":
//
//	hex(size);chunk-signature=<sig>\r\n<data>\r\n   (signed modes)
//	hex(size)\r\n<data>\r\n                         (STREAMING-UNSIGNED-PAYLOAD-TRAILER)
//	0[;chunk-signature=<sig>]\r\n                   (final chunk)
//	name:value\r\n …                                (trailers, -TRAILER modes)
//	x-amz-trailer-signature:<sig>\r\n               (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)
//	\r\n
const (
	chunkAlgorithm   = "AWS4-HMAC-SHA256-PAYLOAD"
	trailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER"
	trailerSigName   = "x-amz-trailer-signature"
	// maxLine bounds a chunk-size line or a trailer line.
	maxLine = 4096
	// maxTrailers bounds the whole trailer section.
	maxTrailers = 16 << 10
)

// chunkSigner computes chunk and trailer signatures for one request.
type chunkSigner struct {
	key     [sha256.Size]byte
	amzDate string
	scope   string
}

// chunkStringToSign is AWS4-HMAC-SHA256-PAYLOAD \n date \n scope \n
// previous-signature \n hex(sha256("")) \n hex(sha256(data)).
func (s *chunkSigner) chunkStringToSign(prev string, data []byte) []byte {
	b := make([]byte, 0, len(chunkAlgorithm)+len(s.amzDate)+len(s.scope)+64*3+5)
	b = append(b, chunkAlgorithm+"\n"...)
	b = append(b, s.amzDate...)
	b = append(b, '\n')
	b = append(b, s.scope...)
	b = append(b, '\n')
	b = append(b, prev...)
	b = append(b, "\n"+emptySHA256+"\n"...)
	return appendHexSHA256(b, data)
}

// trailerStringToSign is AWS4-HMAC-SHA256-TRAILER \n date \n scope \n
// previous-signature \n hex(sha256(canonical trailers)).
func (s *chunkSigner) trailerStringToSign(prev string, trailers []byte) []byte {
	b := make([]byte, 0, len(trailerAlgorithm)+len(s.amzDate)+len(s.scope)+64*2+4)
	b = append(b, trailerAlgorithm+"\n"...)
	b = append(b, s.amzDate...)
	b = append(b, '\n')
	b = append(b, s.scope...)
	b = append(b, '\n')
	b = append(b, prev...)
	b = append(b, '\n')
	return appendHexSHA256(b, trailers)
}

const (
	stateChunks = iota
	stateTrailers
)

// chunkedReader passes an aws-chunked body through unchanged, releasing
// each chunk (size line, data and CRLF) only once it is verified, and the
// trailer section only once the trailer signature is. A failure is sticky:
// no byte after the failed unit is ever returned.
type chunkedReader struct {
	src           *bufio.Reader
	c             io.Closer
	mode          string
	signedChunks  bool
	signedTrailer bool
	trailers      bool
	s             chunkSigner
	prev          string // previous signature, starting at the seed
	maxChunk      int64
	wantDecoded   int64 // x-amz-decoded-content-length, -1 when absent
	decoded       int64
	nChunk        int
	state         int
	buf           []byte // the unit being verified; out points into it
	out           []byte
	err           error
}

func newChunkedReader(r *http.Request, mode string, s chunkSigner, seed string, maxChunk int64) (*chunkedReader, *Error) {
	want := int64(-1)
	if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, &Error{Kind: IncompleteBody, Message: "X-Amz-Decoded-Content-Length " + strconv.Quote(clip(v)) + " is not a byte count"}
		}
		want = n
	}
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	return newChunked(body, mode, s, seed, maxChunk, want), nil
}

func newChunked(body io.ReadCloser, mode string, s chunkSigner, seed string, maxChunk, wantDecoded int64) *chunkedReader {
	return &chunkedReader{
		src:           bufio.NewReaderSize(body, 16<<10),
		c:             body,
		mode:          mode,
		signedChunks:  mode == StreamingSigned || mode == StreamingSignedTrail,
		signedTrailer: mode == StreamingSignedTrail,
		trailers:      mode == StreamingSignedTrail || mode == StreamingUnsignedTrail,
		s:             s,
		prev:          seed,
		maxChunk:      maxChunk,
		wantDecoded:   wantDecoded,
	}
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		c.err = c.next()
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

func (c *chunkedReader) Close() error { return c.c.Close() }

func malformed(msg string) *Error {
	return &Error{Kind: IncompleteBody, Message: "aws-chunked body: " + msg}
}

// next reads and verifies one unit (a chunk, or the trailer section), sets
// c.out to its raw bytes and returns io.EOF after the last one.
func (c *chunkedReader) next() error {
	if c.state == stateTrailers {
		return c.readTrailers()
	}
	line, err := c.readLine()
	if err == io.EOF {
		return malformed("the body ends before the final 0-length chunk")
	}
	if err != nil {
		return err
	}
	c.buf = append(c.buf[:0], line...)
	c.nChunk++
	size, sig, perr := parseChunkLine(line[:len(line)-2], c.signedChunks, c.maxChunk)
	if perr != nil {
		return perr
	}
	head := len(c.buf)
	if size == 0 {
		if err := c.verifyChunk(sig, nil); err != nil {
			return err
		}
		if c.wantDecoded >= 0 && c.decoded != c.wantDecoded {
			return malformed("the chunks hold " + strconv.FormatInt(c.decoded, 10) + " bytes but X-Amz-Decoded-Content-Length is " + strconv.FormatInt(c.wantDecoded, 10))
		}
		c.state = stateTrailers
		c.out = c.buf
		return nil
	}
	total := head + int(size) + 2
	if cap(c.buf) < total {
		nb := make([]byte, head, total)
		copy(nb, c.buf)
		c.buf = nb
	}
	c.buf = c.buf[:total]
	if _, err := io.ReadFull(c.src, c.buf[head:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return malformed("the body ends inside chunk " + strconv.Itoa(c.nChunk))
		}
		return err
	}
	if c.buf[total-2] != '\r' || c.buf[total-1] != '\n' {
		return malformed("chunk " + strconv.Itoa(c.nChunk) + " is not followed by CRLF where its size says it ends")
	}
	if err := c.verifyChunk(sig, c.buf[head:total-2]); err != nil {
		return err
	}
	c.decoded += size
	if c.wantDecoded >= 0 && c.decoded > c.wantDecoded {
		return malformed("the chunks hold more than X-Amz-Decoded-Content-Length (" + strconv.FormatInt(c.wantDecoded, 10) + ") bytes")
	}
	c.out = c.buf
	return nil
}

func (c *chunkedReader) verifyChunk(sig string, data []byte) error {
	if !c.signedChunks {
		return nil
	}
	sts := c.s.chunkStringToSign(c.prev, data)
	if !signatureEqual(c.s.key, sts, sig) {
		e := mismatch("", "", string(sts))
		e.Message += " (aws-chunked chunk " + strconv.Itoa(c.nChunk) + ")"
		return e
	}
	c.prev = sig
	return nil
}

// readTrailers reads the trailer section up to its empty line (or EOF),
// verifies the trailer signature in the signed-trailer mode, and insists
// nothing but CRLFs follow.
func (c *chunkedReader) readTrailers() error {
	c.buf = c.buf[:0]
	var canon []byte
	var sig string
	seenSig, seenTrailer := false, false
	for {
		line, err := c.readLine()
		if err == io.EOF {
			if len(line) > 0 {
				return malformed("the trailer section ends inside a line")
			}
			break // lenient: AWS's own example omits the closing CRLF
		}
		if err != nil {
			return err
		}
		if len(c.buf)+len(line) > maxTrailers {
			return malformed("the trailer section is longer than " + strconv.Itoa(maxTrailers) + " bytes")
		}
		c.buf = append(c.buf, line...)
		text := line[:len(line)-2]
		if len(text) == 0 {
			// Some clients put a blank line between the final chunk and
			// the trailers; skip it when trailers are due and more follows.
			if c.trailers && !seenTrailer && !seenSig {
				if _, perr := c.src.Peek(1); perr == nil {
					continue
				}
			}
			break
		}
		if seenSig {
			return malformed("x-amz-trailer-signature must be the last trailer")
		}
		name, value, ok := bytes.Cut(text, []byte{':'})
		if !ok || len(bytes.TrimSpace(name)) == 0 {
			return malformed("trailer line " + strconv.Quote(clip(string(text))) + " is not name:value")
		}
		name = bytes.ToLower(bytes.TrimSpace(name))
		value = bytes.TrimSpace(value)
		if c.signedTrailer && string(name) == trailerSigName {
			seenSig, sig = true, string(value)
			continue
		}
		seenTrailer = true
		canon = append(canon, name...)
		canon = append(canon, ':')
		canon = append(canon, value...)
		canon = append(canon, '\n')
	}
	if !c.trailers && seenTrailer {
		return malformed("trailers need a -TRAILER payload mode, not " + c.mode)
	}
	if c.signedTrailer {
		if !seenSig {
			return malformed("the trailer section has no x-amz-trailer-signature")
		}
		sts := c.s.trailerStringToSign(c.prev, canon)
		if !signatureEqual(c.s.key, sts, sig) {
			e := mismatch("", "", string(sts))
			e.Message += " (aws-chunked trailer)"
			return e
		}
	}
	// Only CRLFs may follow.
	for {
		b, err := c.src.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if b != '\r' && b != '\n' {
			return malformed("bytes follow the end of the aws-chunked body")
		}
		c.buf = append(c.buf, b)
		if len(c.buf) > maxTrailers {
			return malformed("bytes follow the end of the aws-chunked body")
		}
	}
	c.out = c.buf
	return io.EOF
}

// readLine returns the next CRLF-terminated line, CRLF included, valid
// until the next read. At EOF it returns what partial line there was with
// io.EOF.
func (c *chunkedReader) readLine() ([]byte, error) {
	line, err := c.src.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || len(line) > maxLine:
		return nil, malformed("a line is longer than " + strconv.Itoa(maxLine) + " bytes")
	case err == io.EOF:
		return line, io.EOF
	case err != nil:
		return nil, err
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, malformed("a line ends in LF without CR")
	}
	return line, nil
}

// parseChunkLine reads "hex-size[;chunk-signature=sig]". Signed modes need
// exactly that one extension; the unsigned mode ignores extensions.
func parseChunkLine(line []byte, signed bool, maxChunk int64) (int64, string, *Error) {
	sizePart, ext, hasExt := bytes.Cut(line, []byte{';'})
	if len(sizePart) == 0 || len(sizePart) > 16 {
		return 0, "", malformed("chunk size " + strconv.Quote(clip(string(sizePart))) + " is not 1 to 16 hex digits")
	}
	var size int64
	for _, ch := range sizePart {
		var d byte
		switch {
		case '0' <= ch && ch <= '9':
			d = ch - '0'
		case 'a' <= ch && ch <= 'f':
			d = ch - 'a' + 10
		case 'A' <= ch && ch <= 'F':
			d = ch - 'A' + 10
		default:
			return 0, "", malformed("chunk size " + strconv.Quote(clip(string(sizePart))) + " is not hex")
		}
		size = size<<4 | int64(d)
		if size > maxChunk {
			return 0, "", malformed("a chunk is larger than " + strconv.FormatInt(maxChunk, 10) + " bytes, the most this endpoint buffers")
		}
	}
	if !signed {
		return size, "", nil
	}
	sig, ok := bytes.CutPrefix(ext, []byte("chunk-signature="))
	if !hasExt || !ok {
		return 0, "", malformed("a signed chunk needs ;chunk-signature=<signature>")
	}
	if len(sig) != 2*sha256.Size {
		return 0, "", malformed("chunk-signature is not 64 hex digits")
	}
	return size, string(sig), nil
}
