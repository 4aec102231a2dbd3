package s3

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// S3 error codes this wrapper produces itself (gofakes3 produces the rest).
// AWS: "Error responses", Amazon S3 API reference.
const (
	codeBadDigest      = "BadDigest"
	codeInvalidRequest = "InvalidRequest"
	codeIncompleteBody = "IncompleteBody"
	codeInternalError  = "InternalError"
)

func invalidArgument(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, "InvalidArgument", format, args...)
}

func malformedXML() error {
	return awsproto.NewError(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}

func malformedPolicy(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, "MalformedPolicy", format, args...)
}

func noSuchBucket(bucket string) error {
	return awsproto.NewError(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
}

func methodNotAllowed(method string) error {
	return awsproto.NewError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
}

func badDigest(alg string) error {
	return awsproto.NewError(http.StatusBadRequest, codeBadDigest, "The %s you specified did not match the calculated checksum.", alg)
}

func invalidRequest(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeInvalidRequest, format, args...)
}

func incompleteBody(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeIncompleteBody, format, args...)
}

// writeError writes err in S3's REST-XML error shape. Errors that are not
// *awsproto.Error are logged and answered as InternalError 500.
func writeError(ctx context.Context, w http.ResponseWriter, r *http.Request, err error, log *slog.Logger) {
	ae := awsproto.AsError(err)
	if ae == nil {
		log.ErrorContext(ctx, "internal failure", "error", err, "request_id", awsproto.RequestID(ctx))
		ae = awsproto.NewError(http.StatusInternalServerError, codeInternalError, "We encountered an internal error. Please try again.")
	}
	status := ae.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	body, merr := xml.Marshal(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
	}{Code: ae.Code, Message: ae.Message, RequestID: awsproto.RequestID(ctx)})
	if merr != nil {
		body = []byte("<Error><Code>InternalError</Code></Error>")
	}
	w.Header().Set("Content-Type", "application/xml")
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(xml.Header)+len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
