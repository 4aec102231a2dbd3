package sigv4

import (
	"cmp"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// pair is one decoded query parameter.
type pair struct{ k, v string }

// parseQuery decodes a raw query the way url.ParseQuery does (so the way
// the SDK signers read it back before canonicalising): '&'-separated,
// '+' is a space, and a pair holding ';' or a bad escape is dropped.
func parseQuery(raw string) []pair {
	if raw == "" {
		return nil
	}
	out := make([]pair, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" || strings.Contains(kv, ";") {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := unescapeQuery(k)
		if err != nil {
			continue
		}
		v, err = unescapeQuery(v)
		if err != nil {
			continue
		}
		out = append(out, pair{k, v})
	}
	return out
}

func unescapeQuery(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// appendCanonicalQuery appends the canonical query string: every pair
// URI-encoded, sorted by encoded key then encoded value, joined with '&'.
// skip names a parameter left out (X-Amz-Signature when presigned).
// AWS: "Create a canonical request", CanonicalQueryString.
func appendCanonicalQuery(dst []byte, pairs []pair, skip string) []byte {
	if len(pairs) == 0 {
		return dst
	}
	enc := make([]pair, 0, len(pairs))
	for _, p := range pairs {
		if skip != "" && p.k == skip {
			continue
		}
		enc = append(enc, pair{uriEncode(p.k, true), uriEncode(p.v, true)})
	}
	slices.SortFunc(enc, func(a, b pair) int {
		if c := cmp.Compare(a.k, b.k); c != 0 {
			return c
		}
		return cmp.Compare(a.v, b.v)
	})
	for i, p := range enc {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, p.k...)
		dst = append(dst, '=')
		dst = append(dst, p.v...)
	}
	return dst
}

const upperhex = "0123456789ABCDEF"

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// uriEncode is AWS's UriEncode: every byte but A-Z a-z 0-9 - _ . ~ becomes
// %XX with upper-case hex; '/' too when slash is true.
func uriEncode(s string, slash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; !unreserved(c) && (slash || c != '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	return string(appendURIEncode(b, s, slash))
}

func appendURIEncode(dst []byte, s string, slash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (!slash && c == '/') {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
	}
	return dst
}

// rawPath returns the path exactly as the client sent it: from RequestURI
// on a server request, else as the SDK signers read a client request
// (URL.Opaque, else URL.EscapedPath).
func rawPath(r *http.Request) string {
	if u := r.RequestURI; u != "" {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		if strings.HasPrefix(u, "/") {
			return u
		}
		// Absolute form: scheme://authority/path.
		if i := strings.Index(u, "://"); i >= 0 {
			rest := u[i+3:]
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				return rest[j:]
			}
			return "/"
		}
		return u
	}
	if r.URL == nil {
		return "/"
	}
	if o := r.URL.Opaque; o != "" {
		o = strings.TrimPrefix(o, "//")
		if i := strings.IndexByte(o, '/'); i >= 0 {
			return o[i:]
		}
		return "/"
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// rawQuery is the query as sent.
func rawQuery(r *http.Request) string {
	if u := r.RequestURI; u != "" {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			return u[i+1:]
		}
		return ""
	}
	if r.URL == nil {
		return ""
	}
	return r.URL.RawQuery
}

// appendCanonicalURI appends the canonical URI. S3 signs the path as sent;
// every other service URI-encodes the sent (already encoded) path once
// more, leaving '/' alone — what aws-sdk-go-v2 (httpbinding.EscapePath) and
// v1 (rest.EscapePath) do. AWS: "Create a canonical request",
// CanonicalURI: "Each path segment must be URI-encoded twice (except for
// Amazon S3 which only gets URI-encoded once)".
func appendCanonicalURI(dst []byte, path string, s3 bool) []byte {
	if path == "" {
		path = "/"
	}
	if s3 {
		return append(dst, path...)
	}
	return appendURIEncode(dst, path, false)
}

// headerValues returns the values of the signed header name on r. Go moves
// Host into r.Host and Transfer-Encoding into r.TransferEncoding, and a
// client-side request carries its length in r.ContentLength only.
func headerValues(r *http.Request, name string) ([]string, bool) {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}, true
		}
		if r.URL != nil && r.URL.Host != "" {
			return []string{r.URL.Host}, true
		}
		return nil, false
	case "content-length":
		if v, ok := r.Header["Content-Length"]; ok {
			return v, true
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}, true
		}
		return nil, false
	case "transfer-encoding":
		if v, ok := r.Header["Transfer-Encoding"]; ok {
			return v, true
		}
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}, true
		}
		return nil, false
	}
	v, ok := r.Header[textproto.CanonicalMIMEHeaderKey(name)]
	if !ok {
		// A name Go could not canonicalise is stored as sent.
		v, ok = r.Header[name]
	}
	return v, ok
}

// appendCanonicalHeaders appends "name:value\n" for each signed header, in
// the order SignedHeaders lists them. Values are trimmed, runs of spaces
// fold to one, and repeated headers join with ','.
// AWS: "Create a canonical request", CanonicalHeaders; aws-sdk-go-v2
// buildCanonicalHeaders (StripExcessSpaces).
func appendCanonicalHeaders(dst []byte, r *http.Request, signed []string) ([]byte, *Error) {
	for _, name := range signed {
		vals, ok := headerValues(r, name)
		if !ok {
			return dst, incomplete("SignedHeaders names " + strconv.Quote(clip(name)) + " but the request has no such header")
		}
		dst = append(dst, name...)
		dst = append(dst, ':')
		for i, v := range vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendFoldedValue(dst, v)
		}
		dst = append(dst, '\n')
	}
	return dst, nil
}

// appendFoldedValue trims white space and folds runs of spaces into one.
func appendFoldedValue(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// appendSignedHeaders appends the SignedHeaders list joined with ';'.
func appendSignedHeaders(dst []byte, signed []string) []byte {
	for i, h := range signed {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, h...)
	}
	return dst
}
