package sigv4_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tgsim/tgsim/fakes/sigv4"
)

// Test credentials. The secret has '/' and '+' so a signer that escapes it
// anywhere would show.
const (
	testAKID   = "AKIDEXAMPLE1234567890"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	tempAKID   = "ASIAEXAMPLE1234567890"
	tempSecret = "tEmPsEcReT/K7MDENG+bPxRfiCYEXAMPLEKEY"
	tempToken  = "IQoJb3JpZ2luX2VjEXAMPLE//TOKEN+with/odd=chars"
)

// t0 is when every test request is signed.
var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func testKeys() map[string]sigv4.Key {
	return map[string]sigv4.Key{
		testAKID: {SecretAccessKey: testSecret},
		tempAKID: {SecretAccessKey: tempSecret, SessionToken: tempToken, Expires: t0.Add(time.Hour)},
	}
}

func lookupIn(keys map[string]sigv4.Key) sigv4.Lookup {
	return func(id string) (sigv4.Key, bool) {
		k, ok := keys[id]
		return k, ok
	}
}

func optsAt(now time.Time) sigv4.Options {
	return sigv4.Options{Lookup: lookupIn(testKeys()), Now: func() time.Time { return now }}
}

// outcome is what the verifying handler saw for one request.
type outcome struct {
	res     *sigv4.Result
	err     error
	body    []byte // what the handler read from r.Body after Verify
	readErr error
}

// verifyServer starts a server whose handler calls Verify, then reads the
// whole body, as the edge and a fake downstream would; each request's
// outcome arrives on the channel. respond writes the response (nil: 200
// with an empty body).
func verifyServer(t *testing.T, tls bool, opts sigv4.Options, respond func(http.ResponseWriter, *http.Request)) (*httptest.Server, <-chan outcome) {
	t.Helper()
	ch := make(chan outcome, 16)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o outcome
		o.res, o.err = sigv4.Verify(r, opts)
		if o.err == nil {
			o.body, o.readErr = io.ReadAll(r.Body)
		}
		ch <- o
		switch {
		case o.err != nil:
			code, status := o.err.(*sigv4.Error).Code(sigv4.ProtocolS3)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, "<Error><Code>"+code+"</Code><Message>verify failed</Message></Error>")
		case o.readErr != nil:
			w.WriteHeader(http.StatusBadRequest)
		case respond != nil:
			respond(w, r)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, ch
}

// send sends req through srv and returns the handler's outcome.
func send(t *testing.T, srv *httptest.Server, ch <-chan outcome, req *http.Request) outcome {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatalf("%s %s: the handler never ran", req.Method, req.URL)
		return outcome{}
	}
}

// kindOf returns err's Kind, or 0 when err is not a *sigv4.Error.
func kindOf(err error) sigv4.Kind {
	var e *sigv4.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func newBody(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}
