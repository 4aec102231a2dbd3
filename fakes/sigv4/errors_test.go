package sigv4_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tgsim/tgsim/fakes/sigv4"
)

func TestKindCode(t *testing.T) {
	t.Parallel()
	type cs struct {
		code   string
		status int
	}
	tests := []struct {
		kind                      sigv4.Kind
		json, restJSON, query, s3 cs
	}{
		{sigv4.MissingAuthentication, cs{"MissingAuthenticationTokenException", 400}, cs{"MissingAuthenticationTokenException", 403}, cs{"MissingAuthenticationToken", 403}, cs{"AccessDenied", 403}},
		{sigv4.IncompleteSignature, cs{"IncompleteSignatureException", 400}, cs{"IncompleteSignatureException", 403}, cs{"IncompleteSignature", 400}, cs{"AuthorizationHeaderMalformed", 400}},
		{sigv4.InvalidAccessKey, cs{"UnrecognizedClientException", 400}, cs{"UnrecognizedClientException", 403}, cs{"InvalidClientTokenId", 403}, cs{"InvalidAccessKeyId", 403}},
		{sigv4.SignatureMismatch, cs{"InvalidSignatureException", 400}, cs{"InvalidSignatureException", 403}, cs{"SignatureDoesNotMatch", 403}, cs{"SignatureDoesNotMatch", 403}},
		{sigv4.RequestExpired, cs{"InvalidSignatureException", 400}, cs{"InvalidSignatureException", 403}, cs{"RequestExpired", 400}, cs{"AccessDenied", 403}},
		{sigv4.TimeSkewed, cs{"InvalidSignatureException", 400}, cs{"InvalidSignatureException", 403}, cs{"SignatureDoesNotMatch", 403}, cs{"RequestTimeTooSkewed", 403}},
		{sigv4.ExpiredToken, cs{"ExpiredTokenException", 400}, cs{"ExpiredTokenException", 403}, cs{"ExpiredToken", 403}, cs{"ExpiredToken", 400}},
		{sigv4.InvalidToken, cs{"UnrecognizedClientException", 400}, cs{"UnrecognizedClientException", 403}, cs{"InvalidClientTokenId", 403}, cs{"InvalidToken", 400}},
		{sigv4.ContentSHA256Mismatch, cs{"InvalidSignatureException", 400}, cs{"InvalidSignatureException", 403}, cs{"SignatureDoesNotMatch", 403}, cs{"XAmzContentSHA256Mismatch", 400}},
		{sigv4.MissingContentSHA256, cs{"InvalidSignatureException", 400}, cs{"InvalidSignatureException", 403}, cs{"SignatureDoesNotMatch", 403}, cs{"InvalidRequest", 400}},
		{sigv4.IncompleteBody, cs{"SerializationException", 400}, cs{"SerializationException", 400}, cs{"IncompleteSignature", 400}, cs{"IncompleteBody", 400}},
		{sigv4.RequestTooLarge, cs{"RequestEntityTooLargeException", 413}, cs{"RequestEntityTooLargeException", 413}, cs{"RequestEntityTooLarge", 413}, cs{"MaxMessageLengthExceeded", 400}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			t.Parallel()
			for proto, want := range map[string]cs{sigv4.ProtocolJSON: tt.json, sigv4.ProtocolRESTJSON: tt.restJSON, sigv4.ProtocolQuery: tt.query, sigv4.ProtocolS3: tt.s3} {
				code, status := tt.kind.Code(proto)
				if code != want.code || status != want.status {
					t.Errorf("%v.Code(%q) = %s, %d; want %s, %d", tt.kind, proto, code, status, want.code, want.status)
				}
			}
		})
	}
	// Every Kind has a code in every protocol.
	for k := sigv4.MissingAuthentication; k <= sigv4.RequestTooLarge; k++ {
		for _, p := range []string{sigv4.ProtocolJSON, sigv4.ProtocolRESTJSON, sigv4.ProtocolQuery, sigv4.ProtocolS3} {
			if code, status := k.Code(p); code == "InternalFailure" || status == http.StatusInternalServerError {
				t.Errorf("%v.Code(%q) = %s, %d; want an AWS auth code", k, p, code, status)
			}
		}
	}
	if got := sigv4.Kind(99).String(); got != "Kind(99)" {
		t.Errorf("Kind(99).String() = %q", got)
	}
}

func TestErrorCodeRefinements(t *testing.T) {
	t.Parallel()
	e := &sigv4.Error{Kind: sigv4.IncompleteSignature, Presigned: true, Message: "m"}
	if code, status := e.Code(sigv4.ProtocolS3); code != "AuthorizationQueryParametersError" || status != 400 {
		t.Errorf("presigned IncompleteSignature Code(s3) = %s, %d; want AuthorizationQueryParametersError, 400", code, status)
	}
	if code, _ := e.Code(sigv4.ProtocolQuery); code != "IncompleteSignature" {
		t.Errorf("presigned IncompleteSignature Code(query) = %s; want IncompleteSignature", code)
	}
}

// TestSkewMessages pins the wording AWS uses for a skewed clock.
func TestSkewMessages(t *testing.T) {
	t.Parallel()
	signed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"expired", signed.Add(10 * time.Minute), "Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z (20260101T001000Z - 5 min.)"},
		{"not yet current", signed.Add(-10 * time.Minute), "Signature not yet current: 20260101T000000Z is still later than 20251231T235500Z (20251231T235000Z + 5 min.)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(http.MethodGet, "https://iam.amazonaws.com/", nil)
			req.Header.Set("X-Amz-Date", "20260101T000000Z")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAKID+"/20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64))
			_, err := sigv4.Verify(req, optsAt(tt.now))
			e, ok := err.(*sigv4.Error)
			if !ok || e.Kind != sigv4.TimeSkewed {
				t.Fatalf("Verify = %v, want TimeSkewed", err)
			}
			if e.Message != tt.want {
				t.Errorf("Message = %q\nwant      %q", e.Message, tt.want)
			}
			if got := e.MessageFor(sigv4.ProtocolS3); got != "The difference between the request time and the current time is too large." {
				t.Errorf("MessageFor(s3) = %q", got)
			}
			if len(e.S3Fields) != 3 || e.S3Fields[2].Value != "300000" {
				t.Errorf("S3Fields = %+v, want RequestTime, ServerTime, MaxAllowedSkewMilliseconds=300000", e.S3Fields)
			}
		})
	}
}

func TestKeyRedacts(t *testing.T) {
	t.Parallel()
	k := sigv4.Key{SecretAccessKey: testSecret, SessionToken: tempToken}
	for _, s := range []string{k.String(), k.GoString()} {
		if strings.Contains(s, testSecret) || strings.Contains(s, tempToken) {
			t.Errorf("Key formats as %q, holding its secret", s)
		}
	}
}
