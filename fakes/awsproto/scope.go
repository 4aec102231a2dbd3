package awsproto

import (
	"fmt"
	"net/http"
	"strings"
)

// Scope is the SigV4 credential scope a request names:
// AKID/DATE/REGION/SERVICE/aws4_request.
type Scope struct {
	AccessKeyID string
	Date        string
	Region      string
	Service     string
}

// ParseScope finds the credential scope of r in its Authorization header
// (AWS4-HMAC-SHA256 Credential=...) or its presigned query (X-Amz-Credential).
// ok is false when the request is not SigV4-signed at all; err reports a
// scope that is present but malformed.
// AWS: Signature Version 4 signing process, "Credential scope".
func ParseScope(r *http.Request) (s Scope, ok bool, err error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
		if strings.TrimSpace(auth) == "AWS4-HMAC-SHA256" {
			rest, ok = "", true
		}
		if !ok {
			return Scope{}, true, fmt.Errorf("authorization header: unsupported algorithm, expected \"AWS4-HMAC-SHA256 Credential=...\"")
		}
		for _, part := range strings.Split(rest, ",") {
			part = strings.TrimSpace(part)
			if v, found := strings.CutPrefix(part, "Credential="); found {
				s, err = parseCredential(v)
				return s, true, err
			}
		}
		return Scope{}, true, fmt.Errorf("authorization header requires 'Credential' parameter")
	}
	if v := r.URL.Query().Get("X-Amz-Credential"); v != "" {
		s, err = parseCredential(v)
		return s, true, err
	}
	return Scope{}, false, nil
}

func parseCredential(v string) (Scope, error) {
	parts := strings.Split(v, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return Scope{}, fmt.Errorf("credential %q: expected AKID/YYYYMMDD/REGION/SERVICE/aws4_request", redactKey(v))
	}
	for i, p := range parts[:4] {
		if p == "" {
			return Scope{}, fmt.Errorf("credential %q: part %d is empty", redactKey(v), i+1)
		}
	}
	return Scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}

// redactKey keeps a credential string printable without echoing a long
// access key id in full.
func redactKey(v string) string {
	if i := strings.IndexByte(v, '/'); i > 4 {
		return v[:4] + "****" + v[i:]
	}
	return v
}
