package sigv4

import (
	"strconv"
	"strings"
	"time"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateLayout   = "20060102T150405Z"
	scopeDateLayout = "20060102"
	scopeTerminator = "aws4_request"
	// maxExpires is a week. AWS: "Authenticating Requests: Using Query
	// Parameters", X-Amz-Expires "minimum value you can set is 1, and the
	// maximum is 604800 (seven days)".
	maxExpires = 604800
	// maxSignedHeaders bounds the SignedHeaders list; no SDK signs more
	// than a few dozen.
	maxSignedHeaders = 256
)

// Query parameter names of a presigned request.
// AWS: "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)".
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qSecurityToken = "X-Amz-Security-Token"
)

// authorization is what an Authorization header or a presigned query
// claims, before any of it is checked against a key.
type authorization struct {
	Scope         awsproto.Scope
	SignedHeaders []string
	Signature     string

	// Presigned only.
	Presigned     bool
	Date          string // X-Amz-Date as sent
	Expires       int64  // seconds; 0 when absent
	SecurityToken string
	HasToken      bool
}

// parseAuthorization parses an Authorization header value:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
//
// Parts are comma-separated with optional spaces, in any order, each once.
// AWS: "Signature Version 4 signing process", "Add the signature to the
// HTTP request"; the missing-part messages follow AWS's IncompleteSignature
// wording ("Authorization header requires 'Credential' parameter.").
func parseAuthorization(h string) (authorization, *Error) {
	var a authorization
	rest, ok := strings.CutPrefix(h, algorithm)
	if !ok || (rest != "" && rest[0] != ' ') {
		alg, _, _ := strings.Cut(h, " ")
		if len(alg) > 40 {
			alg = alg[:40] + "..."
		}
		return a, incomplete("Unsupported Authorization Type: algorithm " + strconv.Quote(alg) + " is not " + algorithm)
	}
	var haveCred, haveSH, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.Trim(part, " ")
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return authorization{}, incomplete(strconv.Quote(clip(part)) + " not a valid key=value pair (missing equal-sign) in Authorization header")
		}
		switch k {
		case "Credential":
			if haveCred {
				return authorization{}, incomplete("Authorization header has more than one 'Credential' parameter")
			}
			haveCred = true
			s, err := parseCredential(v)
			if err != nil {
				return authorization{}, err
			}
			a.Scope = s
		case "SignedHeaders":
			if haveSH {
				return authorization{}, incomplete("Authorization header has more than one 'SignedHeaders' parameter")
			}
			haveSH = true
			sh, err := parseSignedHeaders(v)
			if err != nil {
				return authorization{}, err
			}
			a.SignedHeaders = sh
		case "Signature":
			if haveSig {
				return authorization{}, incomplete("Authorization header has more than one 'Signature' parameter")
			}
			haveSig = true
			if v == "" {
				return authorization{}, incomplete("Authorization header 'Signature' parameter is empty")
			}
			a.Signature = v
		default:
			return authorization{}, incomplete("Authorization header has an unknown parameter " + strconv.Quote(clip(k)))
		}
	}
	var missing []string
	if !haveCred {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !haveSig {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !haveSH {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if len(missing) > 0 {
		return authorization{}, incomplete(strings.Join(missing, " "))
	}
	return a, nil
}

// parsePresigned reads the X-Amz-* parameters of a presigned query from its
// decoded pairs. Each may appear once. X-Amz-Expires is required for S3, as
// S3 requires it; for other services it is optional and, when absent, the
// date is held to MaxSkew like a header-signed request.
// AWS: "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)".
func parsePresigned(pairs []pair) (authorization, *Error) {
	a := authorization{Presigned: true}
	var alg, cred, sh, exp string
	var haveAlg, haveCred, haveDate, haveExp, haveSH, haveSig bool
	for _, p := range pairs {
		var dst *string
		var seen *bool
		switch p.k {
		case qAlgorithm:
			dst, seen = &alg, &haveAlg
		case qCredential:
			dst, seen = &cred, &haveCred
		case qDate:
			dst, seen = &a.Date, &haveDate
		case qExpires:
			dst, seen = &exp, &haveExp
		case qSignedHeaders:
			dst, seen = &sh, &haveSH
		case qSignature:
			dst, seen = &a.Signature, &haveSig
		case qSecurityToken:
			dst, seen = &a.SecurityToken, &a.HasToken
		default:
			continue
		}
		if *seen {
			return authorization{}, presignErr("query parameter " + p.k + " appears more than once")
		}
		*seen, *dst = true, p.v
	}
	var missing []string
	for _, m := range []struct {
		name string
		ok   bool
	}{{qAlgorithm, haveAlg}, {qCredential, haveCred}, {qSignature, haveSig}, {qDate, haveDate}, {qSignedHeaders, haveSH}} {
		if !m.ok {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return authorization{}, presignErr("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters; missing: " + strings.Join(missing, ", "))
	}
	if alg != algorithm {
		return authorization{}, presignErr("X-Amz-Algorithm only supports \"" + algorithm + "\"")
	}
	s, err := parseCredential(cred)
	if err != nil {
		err.Presigned = true
		return authorization{}, err
	}
	a.Scope = s
	if a.SignedHeaders, err = parseSignedHeaders(sh); err != nil {
		err.Presigned = true
		return authorization{}, err
	}
	if a.Signature == "" {
		return authorization{}, presignErr("X-Amz-Signature is empty")
	}
	switch {
	case haveExp:
		n, perr := strconv.ParseInt(exp, 10, 64)
		if perr != nil || len(exp) > 7 {
			return authorization{}, presignErr("X-Amz-Expires should be a number")
		}
		if n < 1 {
			return authorization{}, presignErr("X-Amz-Expires must be non-negative")
		}
		if n > maxExpires {
			return authorization{}, presignErr("X-Amz-Expires must be less than a week (in seconds) that is; the given X-Amz-Expires must be less than 604800 seconds")
		}
		a.Expires = n
	case isS3(s.Service):
		return authorization{}, presignErr("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters; missing: X-Amz-Expires")
	}
	return a, nil
}

func presignErr(msg string) *Error {
	return &Error{Kind: IncompleteSignature, Message: msg, Presigned: true}
}

// parseCredential splits AKID/YYYYMMDD/REGION/SERVICE/aws4_request, the
// same shape awsproto.ParseScope accepts, and also checks the date.
func parseCredential(v string) (awsproto.Scope, *Error) {
	var parts [5]string
	n := 0
	for p := range strings.SplitSeq(v, "/") {
		if n == len(parts) {
			n++
			break
		}
		parts[n] = p
		n++
	}
	if n != 5 || parts[4] != scopeTerminator {
		return awsproto.Scope{}, incomplete("Credential should be scoped to a valid region, service and date: expecting \"<AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"")
	}
	for i, p := range parts[:4] {
		if p == "" {
			return awsproto.Scope{}, incomplete("Credential should be scoped to a valid region, service and date: part " + strconv.Itoa(i+1) + " is empty")
		}
	}
	if len(parts[1]) != 8 {
		return awsproto.Scope{}, incomplete("Credential should be scoped to a valid date: " + strconv.Quote(clip(parts[1])) + " is not YYYYMMDD")
	}
	if _, err := time.Parse(scopeDateLayout, parts[1]); err != nil {
		return awsproto.Scope{}, incomplete("Credential should be scoped to a valid date: " + strconv.Quote(parts[1]) + " is not YYYYMMDD")
	}
	return awsproto.Scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}

// parseSignedHeaders splits "host;x-amz-date". Names must be lower case,
// non-empty and unique. AWS: "Create a canonical request", SignedHeaders.
func parseSignedHeaders(v string) ([]string, *Error) {
	if v == "" {
		return nil, incomplete("SignedHeaders is empty; it must name at least 'host'")
	}
	n := strings.Count(v, ";") + 1
	if n > maxSignedHeaders {
		return nil, incomplete("SignedHeaders names more than " + strconv.Itoa(maxSignedHeaders) + " headers")
	}
	out := make([]string, 0, n)
	for h := range strings.SplitSeq(v, ";") {
		if h == "" {
			return nil, incomplete("SignedHeaders " + strconv.Quote(clip(v)) + " has an empty header name")
		}
		for i := 0; i < len(h); i++ {
			if c := h[i]; c >= 'A' && c <= 'Z' || c <= ' ' || c == ':' || c >= 0x7f {
				return nil, incomplete("SignedHeaders names " + strconv.Quote(clip(h)) + ": header names must be lower-case tokens")
			}
		}
		for _, prev := range out {
			if prev == h {
				return nil, incomplete("SignedHeaders names " + strconv.Quote(h) + " more than once")
			}
		}
		out = append(out, h)
	}
	return out, nil
}

// clip shortens attacker-controlled text before it goes in a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// isS3 reports whether service signs S3-style: no second escaping of the
// path, UNSIGNED-PAYLOAD for presigned URLs, X-Amz-Content-Sha256 required.
// The list is aws-sdk-go v1's (aws/signer/v4 buildBodyDigest).
func isS3(service string) bool {
	return service == "s3" || service == "s3-object-lambda" || service == "s3-outposts"
}
