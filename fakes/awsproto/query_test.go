package awsproto_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// errorResponse is the Query-protocol error document as an SDK reads it.
type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func TestWriteQueryError(t *testing.T) {
	t.Parallel()
	const reqID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	tests := []struct {
		name        string
		err         error
		wantStatus  int
		wantType    string
		wantCode    string
		wantMessage string
		wantLogged  bool
	}{
		{
			name:        "client fault",
			err:         awsproto.NewError(http.StatusNotFound, "NoSuchEntity", "The user with name %s cannot be found.", "bob"),
			wantStatus:  http.StatusNotFound,
			wantType:    "Sender",
			wantCode:    "NoSuchEntity",
			wantMessage: "The user with name bob cannot be found.",
		},
		{
			name:        "wrapped client fault",
			err:         errors.Join(errors.New("context"), awsproto.NewError(http.StatusConflict, "EntityAlreadyExists", "exists")),
			wantStatus:  http.StatusConflict,
			wantType:    "Sender",
			wantCode:    "EntityAlreadyExists",
			wantMessage: "exists",
		},
		{
			name:        "server fault",
			err:         awsproto.NewError(http.StatusServiceUnavailable, "ServiceUnavailable", "try again"),
			wantStatus:  http.StatusServiceUnavailable,
			wantType:    "Receiver",
			wantCode:    "ServiceUnavailable",
			wantMessage: "try again",
		},
		{
			name:        "markup in the message is escaped",
			err:         awsproto.NewError(http.StatusBadRequest, "ValidationError", "value <%s> & more", "x"),
			wantStatus:  http.StatusBadRequest,
			wantType:    "Sender",
			wantCode:    "ValidationError",
			wantMessage: "value <x> & more",
		},
		{
			name:        "plain error",
			err:         errors.New("bbolt: database not open"),
			wantStatus:  http.StatusInternalServerError,
			wantType:    "Receiver",
			wantCode:    awsproto.CodeInternalFailureQuery,
			wantMessage: "internal failure (request " + reqID + ")",
			wantLogged:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			ctx := awsproto.WithRequestID(context.Background(), reqID)
			rec := httptest.NewRecorder()
			awsproto.WriteQueryError(ctx, rec, tt.err, logger)

			if rec.Code != tt.wantStatus {
				t.Errorf("WriteQueryError(%v) status = %d, want %d", tt.err, rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Content-Type"); got != "text/xml" {
				t.Errorf("WriteQueryError(%v) Content-Type = %q, want text/xml", tt.err, got)
			}
			raw := rec.Body.String()
			if !strings.HasPrefix(raw, xml.Header) {
				t.Errorf("WriteQueryError(%v) body = %q, want it to start with the XML declaration", tt.err, raw)
			}
			if strings.Contains(raw, "bbolt") {
				t.Errorf("WriteQueryError(%v) body = %q, leaks the Go error text", tt.err, raw)
			}
			var got errorResponse
			if err := xml.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("WriteQueryError(%v) body %q is not an ErrorResponse: %v", tt.err, raw, err)
			}
			want := errorResponse{XMLName: xml.Name{Local: "ErrorResponse"}, RequestID: reqID}
			want.Error.Type, want.Error.Code, want.Error.Message = tt.wantType, tt.wantCode, tt.wantMessage
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("WriteQueryError(%v) mismatch (-want +got):\n%s", tt.err, diff)
			}
			if logged := logs.String(); tt.wantLogged != strings.Contains(logged, `"level":"ERROR"`) {
				t.Errorf("WriteQueryError(%v) logged %q; want an ERROR record: %v", tt.err, logged, tt.wantLogged)
			}
		})
	}
}

// A nil logger is allowed on the internal-failure path.
func TestWriteQueryErrorNilLogger(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	awsproto.WriteQueryError(context.Background(), rec, errors.New("boom"), nil)
	var got errorResponse
	if err := xml.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("WriteQueryError(boom) body %q: %v", rec.Body, err)
	}
	if rec.Code != http.StatusInternalServerError || got.Error.Code != awsproto.CodeInternalFailureQuery || got.RequestID == "" {
		t.Errorf("WriteQueryError(boom) = %d %+v, want 500 %s with a request id", rec.Code, got, awsproto.CodeInternalFailureQuery)
	}
}

func TestWriteQueryResponse(t *testing.T) {
	t.Parallel()
	const (
		reqID = "12345678-1234-4234-9234-123456789012"
		ns    = "https://iam.amazonaws.com/doc/2010-05-08/"
	)
	type user struct {
		UserName string `xml:"UserName"`
		Arn      string `xml:"Arn"`
	}
	type getUserResult struct {
		User user `xml:"User"`
	}
	// response is the document as an SDK reads it.
	type response struct {
		XMLName xml.Name
		Result  *struct {
			XMLName xml.Name
			User    user `xml:"User"`
		} `xml:"GetUserResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	u := user{UserName: "bob", Arn: "arn:aws:iam::000000000000:user/bob"}
	tests := []struct {
		name   string
		op     string
		result any
		want   response
	}{
		{
			name:   "result",
			op:     "GetUser",
			result: getUserResult{User: u},
			want: response{
				XMLName: xml.Name{Space: ns, Local: "GetUserResponse"},
				Result: &struct {
					XMLName xml.Name
					User    user `xml:"User"`
				}{XMLName: xml.Name{Space: ns, Local: "GetUserResult"}, User: u},
				RequestID: reqID,
			},
		},
		{
			name:   "pointer result",
			op:     "GetUser",
			result: &getUserResult{User: u},
			want: response{
				XMLName: xml.Name{Space: ns, Local: "GetUserResponse"},
				Result: &struct {
					XMLName xml.Name
					User    user `xml:"User"`
				}{XMLName: xml.Name{Space: ns, Local: "GetUserResult"}, User: u},
				RequestID: reqID,
			},
		},
		{
			name:   "no result",
			op:     "DeleteUser",
			result: nil,
			want:   response{XMLName: xml.Name{Space: ns, Local: "DeleteUserResponse"}, RequestID: reqID},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := awsproto.WithRequestID(context.Background(), reqID)
			rec := httptest.NewRecorder()
			awsproto.WriteQueryResponse(ctx, rec, tt.op, ns, tt.result)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/xml" {
				t.Errorf("WriteQueryResponse(%q) = %d %q, want 200 text/xml", tt.op, rec.Code, rec.Header().Get("Content-Type"))
			}
			raw := rec.Body.String()
			if !strings.HasPrefix(raw, xml.Header) {
				t.Errorf("WriteQueryResponse(%q) body = %q, want it to start with the XML declaration", tt.op, raw)
			}
			if !strings.Contains(raw, `<`+tt.op+`Response xmlns="`+ns+`">`) {
				t.Errorf("WriteQueryResponse(%q) body = %q, want the root element to carry xmlns=%q", tt.op, raw, ns)
			}
			var got response
			if err := xml.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("WriteQueryResponse(%q) body %q: %v", tt.op, raw, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("WriteQueryResponse(%q) mismatch (-want +got):\n%s", tt.op, diff)
			}
			if tt.result == nil && strings.Contains(raw, "Result") {
				t.Errorf("WriteQueryResponse(%q, nil) body = %q, want no Result element", tt.op, raw)
			}
		})
	}
}

func TestWriteXMLUnencodable(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	awsproto.WriteXML(rec, http.StatusOK, map[string]string{"a": "b"}) // encoding/xml cannot marshal maps
	var got errorResponse
	if err := xml.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("WriteXML(map) body %q: %v", rec.Body, err)
	}
	if rec.Code != http.StatusInternalServerError || got.Error.Code != "InternalFailure" || got.Error.Type != "Receiver" {
		t.Errorf("WriteXML(map) = %d %+v, want 500 Receiver InternalFailure", rec.Code, got)
	}
}
