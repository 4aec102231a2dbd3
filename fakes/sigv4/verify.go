package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Key is a verified identity's secret material, returned by a Lookup.
type Key struct {
	SecretAccessKey string
	// SessionToken is non-empty for temporary credentials: the request
	// must carry it (X-Amz-Security-Token header or query) and it must
	// match.
	SessionToken string
	// Expires is when temporary credentials stop working; zero is never.
	// A request at or after it fails with ExpiredToken.
	Expires time.Time
}

// String keeps the secret and token out of logs and %v.
func (k Key) String() string {
	s := "sigv4.Key{SecretAccessKey:<redacted>"
	if k.SessionToken != "" {
		s += " SessionToken:<redacted>"
	}
	if !k.Expires.IsZero() {
		s += " Expires:" + k.Expires.UTC().Format(time.RFC3339)
	}
	return s + "}"
}

// GoString is String, so %#v redacts too.
func (k Key) GoString() string { return k.String() }

// Lookup finds the key for an access key id; ok is false when unknown. It
// may be called concurrently.
type Lookup func(accessKeyID string) (Key, bool)

// Options configures Verify. The zero value verifies nothing: every key is
// unknown.
type Options struct {
	Lookup Lookup
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxSkew is how far X-Amz-Date may be from Now; 0 means 5 minutes.
	MaxSkew time.Duration
	// MaxBody is how many bytes of a non-streaming body are buffered to
	// hash it, and the largest aws-chunked chunk accepted; 0 means 8 MiB.
	MaxBody int64
}

// DefaultMaxSkew is AWS's usual allowance ("Signature expired: … - 5 min.").
const DefaultMaxSkew = 5 * time.Minute

// DefaultMaxBody matches awsproto.MaxBodyBytes.
const DefaultMaxBody = 8 << 20

// Payload modes: the values of X-Amz-Content-Sha256 this package knows.
// AWS: S3 "Authenticating Requests: Using the Authorization Header".
const (
	PayloadSigned          = "signed" // Result.PayloadMode for a hex SHA-256
	UnsignedPayload        = "UNSIGNED-PAYLOAD"
	StreamingSigned        = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingUnsignedTrail = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	StreamingSignedTrail   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
)

// Result is what a verified request proved.
type Result struct {
	Scope        awsproto.Scope
	AccessKeyID  string
	SessionToken string
	Presigned    bool
	// PayloadMode is PayloadSigned, UnsignedPayload, StreamingSigned,
	// StreamingUnsignedTrail or StreamingSignedTrail.
	PayloadMode string
	SignedAt    time.Time
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Verify checks r's SigV4 signature (Authorization header or presigned
// query). On success r.Body is replaced by a reader that yields the same
// bytes and, for the streaming modes, verifies each chunk signature (and
// the trailer signature) as it is read, failing the read with a *Error if
// one does not match. Every error Verify returns is a *Error.
func Verify(r *http.Request, o Options) (*Result, error) {
	res, err := verify(r, o)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func verify(r *http.Request, o Options) (*Result, *Error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = DefaultMaxSkew
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	now := o.Now().UTC()

	// Which mechanism?
	var pairs []pair
	if raw := rawQuery(r); raw != "" {
		pairs = parseQuery(raw)
	}
	presigned := slices.ContainsFunc(pairs, func(p pair) bool {
		return p.k == qAlgorithm || p.k == qCredential || p.k == qSignature
	})
	authz := r.Header["Authorization"]
	if len(authz) == 1 && authz[0] == "" {
		authz = nil
	}
	var a authorization
	var err *Error
	switch {
	case len(authz) > 0 && presigned:
		// AWS (S3): InvalidArgument "Only one auth mechanism allowed".
		return nil, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	case len(authz) > 1:
		return nil, incomplete("the request has more than one Authorization header")
	case len(authz) == 1:
		a, err = parseAuthorization(authz[0])
	case presigned:
		a, err = parsePresigned(pairs)
	default:
		return nil, &Error{Kind: MissingAuthentication, Message: msgMissingAuth, S3Message: msgS3AccessDenied}
	}
	if err != nil {
		return nil, err
	}
	akid := a.Scope.AccessKeyID

	// When was it signed?
	signedAt, amzDate, err := requestTime(r, &a)
	if err != nil {
		return nil, err
	}
	if a.Scope.Date != amzDate[:8] {
		// AWS (JSON services) wording.
		return nil, withPresigned(incomplete("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+a.Scope.Date+"' != '"+amzDate[:8]+"', from '"+amzDate+"'."), a.Presigned)
	}
	if err := checkTime(&a, signedAt, now, o.MaxSkew); err != nil {
		return nil, err
	}

	// Whose key?
	var key Key
	ok := false
	if o.Lookup != nil {
		key, ok = o.Lookup(akid)
	}
	if !ok {
		return nil, &Error{Kind: InvalidAccessKey, Message: msgInvalidTokenID, S3Message: msgS3InvalidKey, AccessKeyID: akid}
	}
	token, err := sessionToken(r, &a)
	if err != nil {
		return nil, err
	}
	switch {
	case key.SessionToken == "" && token == "":
	case key.SessionToken == "":
		return nil, &Error{Kind: InvalidToken, Message: msgInvalidTokenID + " (a session token was sent for long-term credentials)", S3Message: msgS3InvalidToken, AccessKeyID: akid}
	case token == "":
		return nil, &Error{Kind: InvalidToken, Message: msgInvalidTokenID + " (temporary credentials need X-Amz-Security-Token)", S3Message: msgS3InvalidToken, AccessKeyID: akid}
	case subtle.ConstantTimeCompare([]byte(token), []byte(key.SessionToken)) != 1:
		return nil, &Error{Kind: InvalidToken, Message: msgInvalidTokenID, S3Message: msgS3InvalidToken, AccessKeyID: akid}
	}
	if !key.Expires.IsZero() && !now.Before(key.Expires) {
		return nil, &Error{Kind: ExpiredToken, Message: msgExpiredToken, S3Message: msgS3ExpiredToken, AccessKeyID: akid}
	}

	// What was signed?
	if !slices.Contains(a.SignedHeaders, "host") {
		// AWS (JSON services) wording.
		return nil, withPresigned(incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."), a.Presigned)
	}
	s3 := isS3(a.Scope.Service)
	mode, payloadHash, err := payloadMode(r, &a, s3)
	if err != nil {
		return nil, err
	}
	var body []byte // the buffered body when it had to be hashed first
	if mode == PayloadSigned && payloadHash == "" {
		b, over, rerr := readUpTo(r.Body, o.MaxBody, r.ContentLength)
		if rerr != nil {
			return nil, rerr
		}
		if over {
			return nil, &Error{Kind: RequestTooLarge, Message: "request body is larger than " + strconv.FormatInt(o.MaxBody, 10) + " bytes, the most this endpoint hashes in memory", S3Message: msgS3TooLarge}
		}
		body = b
		sum := sha256.Sum256(b)
		payloadHash = hex.EncodeToString(sum[:])
		restoreBody(r, b)
	}

	// The canonical request. AWS: "Create a canonical request".
	canon := make([]byte, 0, 512)
	canon = append(canon, r.Method...)
	canon = append(canon, '\n')
	canon = appendCanonicalURI(canon, rawPath(r), s3)
	canon = append(canon, '\n')
	skip := ""
	if a.Presigned {
		skip = qSignature
	}
	canon = appendCanonicalQuery(canon, pairs, skip)
	canon = append(canon, '\n')
	canon, err = appendCanonicalHeaders(canon, r, a.SignedHeaders)
	if err != nil {
		return nil, withPresigned(err, a.Presigned)
	}
	canon = append(canon, '\n')
	canon = appendSignedHeaders(canon, a.SignedHeaders)
	canon = append(canon, '\n')
	canon = append(canon, payloadHash...)

	// The string to sign. AWS: "Create a string to sign".
	scope := a.Scope.Date + "/" + a.Scope.Region + "/" + a.Scope.Service + "/" + scopeTerminator
	sts := make([]byte, 0, len(algorithm)+len(amzDate)+len(scope)+64+3)
	sts = append(sts, algorithm+"\n"...)
	sts = append(sts, amzDate...)
	sts = append(sts, '\n')
	sts = append(sts, scope...)
	sts = append(sts, '\n')
	sts = appendHexSHA256(sts, canon)

	signingKey := deriveKey(key.SecretAccessKey, a.Scope.Date, a.Scope.Region, a.Scope.Service)
	if !signatureEqual(signingKey, sts, a.Signature) {
		return nil, mismatch(akid, string(canon), string(sts))
	}

	switch mode {
	case PayloadSigned:
		if body == nil {
			if err := checkDeclaredHash(r, payloadHash, o.MaxBody); err != nil {
				return nil, err
			}
		}
	case StreamingSigned, StreamingSignedTrail, StreamingUnsignedTrail:
		cr, err := newChunkedReader(r, mode, chunkSigner{key: signingKey, amzDate: amzDate, scope: scope}, a.Signature, o.MaxBody)
		if err != nil {
			return nil, err
		}
		r.Body = cr
	}

	return &Result{
		Scope:        a.Scope,
		AccessKeyID:  akid,
		SessionToken: token,
		Presigned:    a.Presigned,
		PayloadMode:  mode,
		SignedAt:     signedAt,
	}, nil
}

func withPresigned(e *Error, presigned bool) *Error {
	e.Presigned = presigned
	return e
}

// requestTime finds the signing time: X-Amz-Date (query when presigned,
// else header), else the Date header. It returns the time and its
// ISO 8601 basic form as it goes in the string to sign.
// AWS: "Handling dates in Signature Version 4".
func requestTime(r *http.Request, a *authorization) (time.Time, string, *Error) {
	if a.Presigned {
		t, err := parseAmzDate(a.Date)
		if err != nil {
			return time.Time{}, "", presignErr("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
		}
		return t, a.Date, nil
	}
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := parseAmzDate(v)
		if err != nil {
			return time.Time{}, "", incomplete("Date must be in ISO-8601 'basic format'. Got " + strconv.Quote(clip(v)) + ". See http://en.wikipedia.org/wiki/ISO_8601")
		}
		return t, v, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return time.Time{}, "", incomplete("Date header " + strconv.Quote(clip(v)) + " is not an HTTP date")
		}
		t = t.UTC()
		return t, t.Format(amzDateLayout), nil
	}
	return time.Time{}, "", incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
}

func parseAmzDate(v string) (time.Time, error) {
	if len(v) != len(amzDateLayout) {
		return time.Time{}, strconv.ErrSyntax
	}
	return time.Parse(amzDateLayout, v)
}

// checkTime applies the clock rules: a presigned URL with X-Amz-Expires is
// good from X-Amz-Date (less MaxSkew) until X-Amz-Date + X-Amz-Expires;
// anything else must be within MaxSkew of now.
func checkTime(a *authorization, signedAt, now time.Time, skew time.Duration) *Error {
	if a.Presigned && a.Expires > 0 {
		if signedAt.After(now.Add(skew)) {
			return withPresigned(skewed(NotYetValid, signedAt, now, skew), true)
		}
		expires := signedAt.Add(time.Duration(a.Expires) * time.Second)
		if now.After(expires) {
			return &Error{Kind: RequestExpired, Presigned: true,
				Message:   "Request has expired: X-Amz-Date " + a.Date + " plus X-Amz-Expires " + strconv.FormatInt(a.Expires, 10) + "s is earlier than " + now.Format(amzDateLayout) + ".",
				S3Message: msgS3Expired,
				S3Fields: []Field{
					{"X-Amz-Expires", strconv.FormatInt(a.Expires, 10)},
					{"Expires", expires.Format(time.RFC3339)},
					{"ServerTime", now.Format(time.RFC3339)},
				}}
		}
		return nil
	}
	if signedAt.Before(now.Add(-skew)) || signedAt.After(now.Add(skew)) {
		return withPresigned(skewed(TimeSkewed, signedAt, now, skew), a.Presigned)
	}
	return nil
}

// sessionToken returns the X-Amz-Security-Token the request carries: the
// query parameter of a presigned request, else the header.
func sessionToken(r *http.Request, a *authorization) (string, *Error) {
	if a.Presigned && a.HasToken {
		return a.SecurityToken, nil
	}
	v := r.Header["X-Amz-Security-Token"]
	switch len(v) {
	case 0:
		return "", nil
	case 1:
		return v[0], nil
	}
	return "", &Error{Kind: InvalidToken, Message: msgInvalidTokenID + " (more than one X-Amz-Security-Token)", S3Message: msgS3InvalidToken, AccessKeyID: a.Scope.AccessKeyID}
}

// payloadMode reads X-Amz-Content-Sha256. It returns the mode and the
// hash that goes in the canonical request; an empty hash with
// PayloadSigned means the body must be hashed first.
func payloadMode(r *http.Request, a *authorization, s3 bool) (string, string, *Error) {
	v := r.Header["X-Amz-Content-Sha256"]
	if len(v) > 1 {
		return "", "", &Error{Kind: InvalidContentSHA256, Message: "more than one X-Amz-Content-Sha256 header", S3Message: msgS3SHAInvalid}
	}
	if len(v) == 0 {
		switch {
		case s3 && a.Presigned:
			// AWS (S3): a presigned URL signs UNSIGNED-PAYLOAD.
			return UnsignedPayload, UnsignedPayload, nil
		case s3:
			return "", "", &Error{Kind: MissingContentSHA256, Message: msgS3SHAMissing, S3Message: msgS3SHAMissing}
		}
		return PayloadSigned, "", nil
	}
	switch d := v[0]; d {
	case UnsignedPayload:
		// Divergence: accepted for every service, not only those whose
		// model carries the unsignedPayload trait.
		return UnsignedPayload, d, nil
	case StreamingSigned, StreamingSignedTrail, StreamingUnsignedTrail:
		if a.Presigned {
			return "", "", &Error{Kind: InvalidContentSHA256, Presigned: true, Message: d + " needs Authorization-header signing, not a presigned URL", S3Message: msgS3SHAInvalid}
		}
		return d, d, nil
	case "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER":
		return "", "", &Error{Kind: InvalidContentSHA256, Message: d + " (SigV4a) is not supported by this endpoint", S3Message: msgS3SHAInvalid}
	default:
		if !isHexSHA256(d) {
			return "", "", &Error{Kind: InvalidContentSHA256, Message: "X-Amz-Content-Sha256 " + strconv.Quote(clip(d)) + " is neither a payload mode nor 64 hex digits", S3Message: msgS3SHAInvalid}
		}
		return PayloadSigned, d, nil
	}
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// checkDeclaredHash compares the body with a declared X-Amz-Content-Sha256:
// now when the body fits in maxBody, else as the body is read, failing the
// read that meets EOF.
func checkDeclaredHash(r *http.Request, want string, maxBody int64) *Error {
	want = strings.ToLower(want)
	if r.Body == nil || r.Body == http.NoBody {
		if want != emptySHA256 {
			return shaMismatch()
		}
		return nil
	}
	b, over, err := readUpTo(r.Body, maxBody, r.ContentLength)
	if err != nil {
		return err
	}
	if over {
		r.Body = &hashCheckReader{r: io.MultiReader(bytes.NewReader(b), r.Body), c: r.Body, h: sha256.New(), want: want}
		return nil
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != want {
		restoreBody(r, b)
		return shaMismatch()
	}
	restoreBody(r, b)
	return nil
}

func shaMismatch() *Error {
	return &Error{Kind: ContentSHA256Mismatch, Message: "the body does not hash to the X-Amz-Content-Sha256 header", S3Message: msgS3SHAMismatch}
}

// readUpTo reads at most limit+1 bytes of body; over reports that there
// were more than limit. hint is the Content-Length, or -1.
func readUpTo(body io.Reader, limit int64, hint int64) (b []byte, over bool, err *Error) {
	if body == nil || body == http.NoBody {
		return nil, false, nil
	}
	c := int64(512)
	if hint >= 0 {
		c = min(hint, limit) + 1
	}
	b = make([]byte, 0, c)
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(512, len(b)))
		}
		lim := min(int64(cap(b)), limit+1)
		n, rerr := body.Read(b[len(b):lim])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return b, true, nil
		}
		if rerr == io.EOF {
			return b, false, nil
		}
		if rerr != nil {
			return nil, false, &Error{Kind: IncompleteBody, Message: "reading the request body: " + rerr.Error()}
		}
	}
}

// restoreBody puts b back as r.Body, keeping the original Close.
func restoreBody(r *http.Request, b []byte) {
	c := io.Closer(http.NoBody)
	if r.Body != nil {
		c = r.Body
		if rb, ok := r.Body.(*replayBody); ok {
			c = rb.c
		}
	}
	r.Body = &replayBody{Reader: bytes.NewReader(b), c: c}
}

type replayBody struct {
	*bytes.Reader
	c io.Closer
}

func (b *replayBody) Close() error { return b.c.Close() }

// hashCheckReader hashes what it passes on and fails the read that meets
// EOF with ContentSHA256Mismatch when the hash is not the declared one.
// Divergence: bytes before the failure have already been handed on; S3
// would reject the whole upload.
type hashCheckReader struct {
	r    io.Reader
	c    io.Closer
	h    hash.Hash
	want string
	err  error
}

func (h *hashCheckReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF {
		if hex.EncodeToString(h.h.Sum(nil)) != h.want {
			h.err = shaMismatch()
			return n, h.err
		}
		h.err = io.EOF
	}
	return n, err
}

func (h *hashCheckReader) Close() error { return h.c.Close() }

// appendHexSHA256 appends hex(sha256(b)).
func appendHexSHA256(dst, b []byte) []byte {
	sum := sha256.Sum256(b)
	return hex.AppendEncode(dst, sum[:])
}

func hmacSHA256(key, data []byte) [sha256.Size]byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}

// signatureEqual computes HMAC(key, sts) and compares its hex form with
// the claimed signature in constant time.
func signatureEqual(key [sha256.Size]byte, sts []byte, claimed string) bool {
	sum := hmacSHA256(key[:], sts)
	var got [2 * sha256.Size]byte
	hex.Encode(got[:], sum[:])
	return hmac.Equal(got[:], []byte(claimed))
}

// The signing key cache: HMAC chains are a third of the work of a
// verification, and one (secret, date, region, service) signs every
// request of a client for a day. It is a memo of a pure function, so
// sharing it across Options changes no result.
type keyID struct{ secret, date, region, service string }

var signingKeys = struct {
	sync.Mutex
	m map[keyID][sha256.Size]byte
}{m: make(map[keyID][sha256.Size]byte)}

// maxCachedKeys bounds the memo; past it the memo starts over.
const maxCachedKeys = 4096

// deriveKey is kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region),
// service), "aws4_request"). AWS: "Derive a signing key for Signature
// Version 4".
func deriveKey(secret, date, region, service string) [sha256.Size]byte {
	id := keyID{secret, date, region, service}
	signingKeys.Lock()
	k, ok := signingKeys.m[id]
	signingKeys.Unlock()
	if ok {
		return k
	}
	k = hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k[:], []byte(region))
	k = hmacSHA256(k[:], []byte(service))
	k = hmacSHA256(k[:], []byte(scopeTerminator))
	signingKeys.Lock()
	if len(signingKeys.m) >= maxCachedKeys {
		clear(signingKeys.m)
	}
	signingKeys.m[id] = k
	signingKeys.Unlock()
	return k
}
