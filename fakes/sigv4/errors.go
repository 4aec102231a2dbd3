package sigv4

import (
	"net/http"
	"strconv"
	"time"
)

// Kind classifies why a request failed verification. The edge turns a Kind
// into the AWS error code of the caller's protocol with Code.
type Kind int

// Kinds of verification failure.
const (
	// MissingAuthentication: neither an Authorization header nor a
	// presigned query.
	MissingAuthentication Kind = iota + 1
	// IncompleteSignature: the Authorization header or presigned query is
	// malformed (missing or duplicate parts, bad credential scope, bad
	// date, unsigned host, a signed header the request lacks, an
	// unsupported algorithm).
	IncompleteSignature
	// InvalidAccessKey: the access key id is unknown to the Lookup.
	InvalidAccessKey
	// SignatureMismatch: the signature (seed, chunk or trailer) is wrong.
	SignatureMismatch
	// RequestExpired: a presigned URL used after X-Amz-Date + X-Amz-Expires.
	RequestExpired
	// TimeSkewed: |now - X-Amz-Date| > MaxSkew for a header-signed request.
	TimeSkewed
	// ExpiredToken: the key's Expires is past.
	ExpiredToken
	// InvalidToken: the session token is missing, unexpected or wrong.
	InvalidToken
	// NotYetValid: a presigned URL whose X-Amz-Date is more than MaxSkew in
	// the future.
	NotYetValid
	// ContentSHA256Mismatch: the body does not hash to X-Amz-Content-Sha256.
	ContentSHA256Mismatch
	// InvalidContentSHA256: X-Amz-Content-Sha256 is neither a payload mode
	// this package knows nor 64 hex digits.
	InvalidContentSHA256
	// MissingContentSHA256: a header-signed S3 request without
	// X-Amz-Content-Sha256, which S3 requires.
	MissingContentSHA256
	// IncompleteBody: a body that ends early or cannot be read, or an
	// aws-chunked body whose framing is broken (bad size line, missing
	// CRLF, truncated, trailing bytes, decoded length not as declared).
	IncompleteBody
	// RequestTooLarge: a body that has to be hashed in memory is larger
	// than Options.MaxBody.
	RequestTooLarge
)

var kindNames = map[Kind]string{
	MissingAuthentication: "MissingAuthentication",
	IncompleteSignature:   "IncompleteSignature",
	InvalidAccessKey:      "InvalidAccessKey",
	SignatureMismatch:     "SignatureMismatch",
	RequestExpired:        "RequestExpired",
	TimeSkewed:            "TimeSkewed",
	ExpiredToken:          "ExpiredToken",
	InvalidToken:          "InvalidToken",
	NotYetValid:           "NotYetValid",
	ContentSHA256Mismatch: "ContentSHA256Mismatch",
	InvalidContentSHA256:  "InvalidContentSHA256",
	MissingContentSHA256:  "MissingContentSHA256",
	IncompleteBody:        "IncompleteBody",
	RequestTooLarge:       "RequestTooLarge",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Protocols accepted by Kind.Code and Error.Code.
const (
	// ProtocolJSON is AWS JSON 1.0/1.1 (Things Graph, DynamoDB, Cognito):
	// client auth errors answer 400.
	ProtocolJSON = "json"
	// ProtocolRESTJSON is REST-JSON (IoT, Greengrass, Lambda): auth errors
	// answer 403, as API Gateway-fronted services do.
	ProtocolRESTJSON = "rest-json"
	// ProtocolQuery is the AWS Query protocol (IAM, STS).
	ProtocolQuery = "query"
	// ProtocolS3 is S3's REST-XML.
	ProtocolS3 = "s3"
)

type codeStatus struct {
	code   string
	status int
}

// codes maps protocol → Kind → AWS code and status. Sources, per row:
//
//   - query: IAM API Reference "Common Error Types" (IncompleteSignature 400,
//     MissingAuthenticationToken 403, RequestExpired 400, ExpiredToken(Exception)
//     403, InvalidClientTokenId 403); STS answers a skewed clock with
//     SignatureDoesNotMatch 403 "Signature expired: … (… - 15 min.)" and
//     "Signature not yet current: …" (aws/aws-cli#6676, terraform reports).
//   - json: JSON 1.x services answer UnrecognizedClientException 400
//     (DynamoDB error handling guide; Cognito and ECS reports) and
//     InvalidSignatureException 400 for skew (aws/aws-sdk-js#254); the
//     CloudSearch/EMR common-errors pages give IncompleteSignature 400.
//   - rest-json: Lambda answers UnrecognizedClientException 403 and
//     InvalidSignatureException 403 (iann0036/iamlive#58, serverless#27); the
//     Lambda/MGN common-errors pages give IncompleteSignature 403,
//     ExpiredTokenException 403, RequestExpired 400,
//     RequestEntityTooLargeException 413.
//   - s3: Amazon S3 API Reference "Error responses" list (InvalidAccessKeyId
//     403, SignatureDoesNotMatch 403, RequestTimeTooSkewed 403, AccessDenied
//     403, ExpiredToken 400, InvalidToken 400, AuthorizationHeaderMalformed
//     400, XAmzContentSHA256Mismatch 400, InvalidArgument 400, InvalidRequest
//     400, IncompleteBody 400, MaxMessageLengthExceeded 400).
//
// Where AWS publishes nothing (a chunk-framing or body-size error on a
// non-S3 protocol, which no SDK produces) the row says "chosen".
var codes = map[string]map[Kind]codeStatus{
	ProtocolJSON: {
		MissingAuthentication: {"MissingAuthenticationTokenException", http.StatusBadRequest},
		IncompleteSignature:   {"IncompleteSignatureException", http.StatusBadRequest},
		InvalidAccessKey:      {"UnrecognizedClientException", http.StatusBadRequest},
		SignatureMismatch:     {"InvalidSignatureException", http.StatusBadRequest},
		RequestExpired:        {"InvalidSignatureException", http.StatusBadRequest},
		TimeSkewed:            {"InvalidSignatureException", http.StatusBadRequest},
		NotYetValid:           {"InvalidSignatureException", http.StatusBadRequest},
		ExpiredToken:          {"ExpiredTokenException", http.StatusBadRequest},
		InvalidToken:          {"UnrecognizedClientException", http.StatusBadRequest},
		// The service hashes the body itself: a wrong or bogus declared
		// hash shows up as a signature that does not match.
		ContentSHA256Mismatch: {"InvalidSignatureException", http.StatusBadRequest},
		InvalidContentSHA256:  {"InvalidSignatureException", http.StatusBadRequest},
		MissingContentSHA256:  {"InvalidSignatureException", http.StatusBadRequest},
		IncompleteBody:        {"SerializationException", http.StatusBadRequest}, // chosen: awsproto.ReadBody's code
		RequestTooLarge:       {"RequestEntityTooLargeException", http.StatusRequestEntityTooLarge},
	},
	ProtocolRESTJSON: {
		MissingAuthentication: {"MissingAuthenticationTokenException", http.StatusForbidden},
		IncompleteSignature:   {"IncompleteSignatureException", http.StatusForbidden},
		InvalidAccessKey:      {"UnrecognizedClientException", http.StatusForbidden},
		SignatureMismatch:     {"InvalidSignatureException", http.StatusForbidden},
		RequestExpired:        {"InvalidSignatureException", http.StatusForbidden},
		TimeSkewed:            {"InvalidSignatureException", http.StatusForbidden},
		NotYetValid:           {"InvalidSignatureException", http.StatusForbidden},
		ExpiredToken:          {"ExpiredTokenException", http.StatusForbidden},
		InvalidToken:          {"UnrecognizedClientException", http.StatusForbidden},
		ContentSHA256Mismatch: {"InvalidSignatureException", http.StatusForbidden},
		InvalidContentSHA256:  {"InvalidSignatureException", http.StatusForbidden},
		MissingContentSHA256:  {"InvalidSignatureException", http.StatusForbidden},
		IncompleteBody:        {"SerializationException", http.StatusBadRequest}, // chosen: awsproto.ReadBody's code
		RequestTooLarge:       {"RequestEntityTooLargeException", http.StatusRequestEntityTooLarge},
	},
	ProtocolQuery: {
		MissingAuthentication: {"MissingAuthenticationToken", http.StatusForbidden},
		IncompleteSignature:   {"IncompleteSignature", http.StatusBadRequest},
		InvalidAccessKey:      {"InvalidClientTokenId", http.StatusForbidden},
		SignatureMismatch:     {"SignatureDoesNotMatch", http.StatusForbidden},
		RequestExpired:        {"RequestExpired", http.StatusBadRequest},
		TimeSkewed:            {"SignatureDoesNotMatch", http.StatusForbidden},
		NotYetValid:           {"SignatureDoesNotMatch", http.StatusForbidden},
		ExpiredToken:          {"ExpiredToken", http.StatusForbidden},
		InvalidToken:          {"InvalidClientTokenId", http.StatusForbidden},
		ContentSHA256Mismatch: {"SignatureDoesNotMatch", http.StatusForbidden},
		InvalidContentSHA256:  {"SignatureDoesNotMatch", http.StatusForbidden},
		MissingContentSHA256:  {"SignatureDoesNotMatch", http.StatusForbidden},
		IncompleteBody:        {"IncompleteSignature", http.StatusBadRequest},              // chosen
		RequestTooLarge:       {"RequestEntityTooLarge", http.StatusRequestEntityTooLarge}, // chosen
	},
	ProtocolS3: {
		MissingAuthentication: {"AccessDenied", http.StatusForbidden},
		IncompleteSignature:   {"AuthorizationHeaderMalformed", http.StatusBadRequest},
		InvalidAccessKey:      {"InvalidAccessKeyId", http.StatusForbidden},
		SignatureMismatch:     {"SignatureDoesNotMatch", http.StatusForbidden},
		RequestExpired:        {"AccessDenied", http.StatusForbidden},
		TimeSkewed:            {"RequestTimeTooSkewed", http.StatusForbidden},
		NotYetValid:           {"AccessDenied", http.StatusForbidden},
		ExpiredToken:          {"ExpiredToken", http.StatusBadRequest},
		InvalidToken:          {"InvalidToken", http.StatusBadRequest},
		ContentSHA256Mismatch: {"XAmzContentSHA256Mismatch", http.StatusBadRequest},
		InvalidContentSHA256:  {"InvalidArgument", http.StatusBadRequest},
		MissingContentSHA256:  {"InvalidRequest", http.StatusBadRequest},
		IncompleteBody:        {"IncompleteBody", http.StatusBadRequest}, // chosen for framing errors: S3 documents none
		RequestTooLarge:       {"MaxMessageLengthExceeded", http.StatusBadRequest},
	},
}

// Code returns the AWS error code and HTTP status for k in protocol
// (ProtocolJSON, ProtocolRESTJSON, ProtocolQuery or ProtocolS3; anything
// else is treated as ProtocolJSON).
func (k Kind) Code(protocol string) (code string, status int) {
	m, ok := codes[protocol]
	if !ok {
		m = codes[ProtocolJSON]
	}
	if cs, ok := m[k]; ok {
		return cs.code, cs.status
	}
	return "InternalFailure", http.StatusInternalServerError
}

// Field is one extra element S3 puts in its <Error> document
// (RequestTime, ServerTime, MaxAllowedSkewMilliseconds, X-Amz-Expires, …).
type Field struct{ Name, Value string }

// Error is a verification failure. It never holds a secret key, a derived
// key or a signature this package computed.
type Error struct {
	Kind    Kind
	Message string
	// CanonicalRequest and StringToSign are set for SignatureMismatch, for
	// the edge to return as S3 does (<CanonicalRequest>, <StringToSign>).
	// Neither holds secret material.
	CanonicalRequest string
	StringToSign     string
	// AccessKeyID names the key the request claimed, when known
	// (S3's <AWSAccessKeyId>).
	AccessKeyID string
	// Presigned is true when the request used query authentication; S3
	// then answers AuthorizationQueryParametersError instead of
	// AuthorizationHeaderMalformed.
	Presigned bool
	// S3Message, when set, is S3's wording for the same failure.
	S3Message string
	// S3Fields are extra elements of S3's <Error> document, in order.
	S3Fields []Field
}

func (e *Error) Error() string { return e.Kind.String() + ": " + e.Message }

// Code is Kind.Code refined by what else the error knows.
func (e *Error) Code(protocol string) (code string, status int) {
	if protocol == ProtocolS3 && e.Kind == IncompleteSignature && e.Presigned {
		return "AuthorizationQueryParametersError", http.StatusBadRequest
	}
	return e.Kind.Code(protocol)
}

// MessageFor is the message AWS would send in protocol: S3 words several
// failures differently from the JSON and Query services.
func (e *Error) MessageFor(protocol string) string {
	if protocol == ProtocolS3 && e.S3Message != "" {
		return e.S3Message
	}
	return e.Message
}

// Messages in AWS's wording.
const (
	msgMissingAuth       = "Request is missing Authentication Token"
	msgS3AccessDenied    = "Access Denied"
	msgInvalidTokenID    = "The security token included in the request is invalid."
	msgS3InvalidKey      = "The AWS Access Key Id you provided does not exist in our records."
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgS3Signature       = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgExpiredToken      = "The security token included in the request is expired"
	msgS3ExpiredToken    = "The provided token has expired."
	msgS3InvalidToken    = "The provided token is malformed or otherwise invalid."
	msgS3Skewed          = "The difference between the request time and the current time is too large."
	msgS3Expired         = "Request has expired"
	msgS3NotYetValid     = "Request is not valid yet"
	msgS3SHAMismatch     = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgS3SHAInvalid      = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
	msgS3SHAMissing      = "Missing required header for this request: x-amz-content-sha256"
	msgS3TooLarge        = "Your request was too big."
)

func incomplete(format string) *Error {
	return &Error{Kind: IncompleteSignature, Message: format}
}

func mismatch(akid, canonical, sts string) *Error {
	return &Error{Kind: SignatureMismatch, Message: msgSignatureMismatch, S3Message: msgS3Signature,
		AccessKeyID: akid, CanonicalRequest: canonical, StringToSign: sts}
}

// skewed words a clock-skew failure the way the JSON and Query services do:
// "Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z
// (20260101T001000Z - 5 min.)", or "Signature not yet current: … is still
// later than … (… + 5 min.)".
func skewed(kind Kind, signed, now time.Time, skew time.Duration) *Error {
	mins := strconv.FormatInt(int64(skew/time.Minute), 10)
	var msg string
	if signed.Before(now) {
		msg = "Signature expired: " + signed.Format(amzDateLayout) + " is now earlier than " +
			now.Add(-skew).Format(amzDateLayout) + " (" + now.Format(amzDateLayout) + " - " + mins + " min.)"
	} else {
		msg = "Signature not yet current: " + signed.Format(amzDateLayout) + " is still later than " +
			now.Add(skew).Format(amzDateLayout) + " (" + now.Format(amzDateLayout) + " + " + mins + " min.)"
	}
	e := &Error{Kind: kind, Message: msg}
	switch kind {
	case TimeSkewed:
		e.S3Message = msgS3Skewed
		e.S3Fields = []Field{
			{"RequestTime", signed.Format(amzDateLayout)},
			{"ServerTime", now.UTC().Format(time.RFC3339)},
			{"MaxAllowedSkewMilliseconds", strconv.FormatInt(skew.Milliseconds(), 10)},
		}
	case NotYetValid:
		e.S3Message = msgS3NotYetValid
	}
	return e
}
