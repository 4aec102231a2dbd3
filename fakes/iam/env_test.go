package iam_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/iam"
	"github.com/tgsim/tgsim/fakes/sigv4"
)

const account = "123456789012"

// env is a Service behind what the edge does for it: verify the SigV4
// signature with the key Authenticate returns, then put the Caller it
// proves into RequestInfo. The clock is real, as signatures are.
type env struct {
	svc *iam.Service
	url string
	// root clients sign with the root credentials ("test"/"test").
	iam *iamsdk.Client
	sts *sts.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	svc, err := iam.New(iam.Options{AccountID: account})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	lookup := func(id string) (sigv4.Key, bool) {
		k, _, ok := svc.Authenticate(id)
		return k, ok
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := sigv4.Verify(r, sigv4.Options{Lookup: lookup})
		if err != nil {
			var se *sigv4.Error
			errors.As(err, &se)
			code, status := se.Code(sigv4.ProtocolQuery)
			awsproto.WriteQueryError(r.Context(), w, awsproto.NewError(status, code, "%s", se.MessageFor(sigv4.ProtocolQuery)), nil)
			return
		}
		_, caller, _ := svc.Authenticate(res.AccessKeyID)
		ctx := awsproto.WithRequestInfo(r.Context(), awsproto.RequestInfo{Scope: res.Scope, AccountID: account, Region: res.Scope.Region, Caller: caller})
		svc.ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(srv.Close)
	e := &env{svc: svc, url: srv.URL}
	e.iam, e.sts = e.clients("test", "test", "")
	return e
}

// clients returns IAM and STS clients signing with the given credentials.
func (e *env) clients(id, secret, token string) (*iamsdk.Client, *sts.Client) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(id, secret, token)}
	return iamsdk.NewFromConfig(cfg, func(o *iamsdk.Options) { o.BaseEndpoint = aws.String(e.url) }),
		sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(e.url) })
}

// errCode is the AWS error code of err, or "" for none.
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

// errMessage is the AWS error message of err.
func errMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}
