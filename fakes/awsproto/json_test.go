package awsproto_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// flowInput stands in for an operation's input shape.
type flowInput struct {
	ID         string `json:"id"`
	Revision   int    `json:"revision"`
	Definition struct {
		Language string `json:"language"`
		Text     string `json:"text"`
	} `json:"definition"`
	Tags []string `json:"tags"`
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    flowInput
		wantErr []string // substrings of the message; nil means no error
		// knownBug, when set, says why the current code gets this case
		// wrong. The case is skipped while it fails and fails once it
		// passes, so the marker gets deleted with the fix.
		knownBug string
	}{
		{name: "empty body is the empty object", body: ""},
		{name: "whitespace body is the empty object", body: " \r\n\t "},
		{name: "empty object", body: "{}"},
		{
			name: "valid",
			body: `{"id":"urn:tdm:aws/examples:Workflow:F","revision":3,"definition":{"language":"GRAPHQL","text":"{}"},"tags":["a","b"]}`,
			want: func() flowInput {
				var v flowInput
				v.ID, v.Revision, v.Tags = "urn:tdm:aws/examples:Workflow:F", 3, []string{"a", "b"}
				v.Definition.Language, v.Definition.Text = "GRAPHQL", "{}"
				return v
			}(),
		},
		{name: "unknown members are ignored", body: `{"id":"x","clientToken":"t"}`, want: flowInput{ID: "x"}},
		{name: "trailing whitespace", body: "{\"id\":\"x\"}\n\n", want: flowInput{ID: "x"}},
		{
			name:    "syntax error on line 1",
			body:    `{"id":"x",}`,
			wantErr: []string{"malformed JSON at line 1, column ", "invalid character '}'"},
		},
		{
			name:    "syntax error position",
			body:    "{\n  \"id\": \"x\",\n  oops\n}",
			wantErr: []string{"malformed JSON at line 3, column 3:", "invalid character 'o'"},
		},
		{
			name:    "syntax error at the first byte",
			body:    "x",
			wantErr: []string{"malformed JSON at line 1, column 1:"},
		},
		{name: "truncated", body: `{"id":`, wantErr: []string{"malformed JSON at line 1, column 7", "unexpected end of input"}},
		{name: "unterminated string", body: `{"id":"x`, wantErr: []string{"malformed JSON"}},
		{
			name:    "type mismatch names the member",
			body:    `{"revision":"3"}`,
			wantErr: []string{`member "revision"`, "expected a number", "found JSON string"},
		},
		{
			name:    "nested type mismatch names the path",
			body:    `{"definition":{"language":7}}`,
			wantErr: []string{`member "definition.language"`, "expected a string", "found JSON number"},
		},
		{
			name:    "list of the wrong element type",
			body:    `{"tags":[1]}`,
			wantErr: []string{`member "tags`, "expected a string", "found JSON number"},
		},
		{name: "top-level array", body: `[]`, wantErr: []string{"found JSON array"}},
		{name: "trailing value", body: `{} {}`, wantErr: []string{"unexpected data after the top-level value"}},
		{name: "trailing garbage", body: `{"id":"x"} x`, wantErr: []string{"unexpected data after the top-level value"}},
		{
			name:    "trailing close brace",
			body:    `{"id":"x"}}`,
			wantErr: []string{"malformed JSON"},
		},
		{
			name:    "trailing close bracket",
			body:    `{}]`,
			wantErr: []string{"malformed JSON"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got flowInput
			err := awsproto.DecodeJSON([]byte(tt.body), &got)
			fail := checkDecodeJSON(tt.body, got, err, tt.want, tt.wantErr)
			switch {
			case tt.knownBug != "" && fail == "":
				t.Fatalf("DecodeJSON(%q) now behaves; delete the knownBug marker %q", tt.body, tt.knownBug)
			case tt.knownBug != "":
				t.Skipf("known bug: %s\n%s", tt.knownBug, fail)
			case fail != "":
				t.Fatal(fail)
			}
		})
	}
}

// checkDecodeJSON returns why DecodeJSON's result is wrong, or "".
func checkDecodeJSON(body string, got flowInput, err error, want flowInput, wantErr []string) string {
	if wantErr == nil {
		if err != nil {
			return fmt.Sprintf("DecodeJSON(%q) = %v, want nil", body, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Sprintf("DecodeJSON(%q) value mismatch (-want +got):\n%s", body, diff)
		}
		return ""
	}
	if err == nil {
		return fmt.Sprintf("DecodeJSON(%q) = nil, want SerializationException containing %q", body, wantErr)
	}
	ae := awsproto.AsError(err)
	if ae == nil {
		return fmt.Sprintf("DecodeJSON(%q) = %T %v, want *awsproto.Error", body, err, err)
	}
	if ae.Code != awsproto.CodeSerialization || ae.Status != http.StatusBadRequest || !ae.Sender {
		return fmt.Sprintf("DecodeJSON(%q) = %+v, want code %s, status 400, sender fault", body, ae, awsproto.CodeSerialization)
	}
	for _, s := range wantErr {
		if !strings.Contains(ae.Message, s) {
			return fmt.Sprintf("DecodeJSON(%q) message = %q, want it to contain %q", body, ae.Message, s)
		}
	}
	return ""
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		"", "{}", "[]", "null", `{"id":"x","revision":1}`, `{"revision":"1"}`,
		`{"definition":{"language":1}}`, `{"tags":[1,"a"]}`, "{\n\"id\":\n}", `{} {}`, `{}}`,
		`"\ud800"`, `{"id":"\u00e9"}`, "\xff", "1e999",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{new(flowInput), new(map[string]any), new(any)} {
			err := awsproto.DecodeJSON(body, v)
			if err == nil {
				continue
			}
			ae := awsproto.AsError(err)
			if ae == nil {
				t.Fatalf("DecodeJSON(%q, %T) = %T %v, want *awsproto.Error", body, v, err, err)
			}
			if ae.Code != awsproto.CodeSerialization || ae.Status != http.StatusBadRequest {
				t.Fatalf("DecodeJSON(%q, %T) = %+v, want %s with status 400", body, v, ae, awsproto.CodeSerialization)
			}
		}
	})
}

func TestReadBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		size       int
		wantStatus int // 0 means no error
	}{
		{name: "empty", size: 0},
		{name: "at the limit", size: awsproto.MaxBodyBytes},
		{name: "one byte over", size: awsproto.MaxBodyBytes + 1, wantStatus: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(make([]byte, tt.size)))
			body, err := awsproto.ReadBody(r)
			if tt.wantStatus == 0 {
				if err != nil || len(body) != tt.size {
					t.Fatalf("ReadBody(%d bytes) = %d bytes, %v; want %d bytes, nil", tt.size, len(body), err, tt.size)
				}
				return
			}
			ae := awsproto.AsError(err)
			if ae == nil || ae.Code != awsproto.CodeSerialization || ae.Status != tt.wantStatus {
				t.Fatalf("ReadBody(%d bytes) error = %v, want %s with status %d", tt.size, err, awsproto.CodeSerialization, tt.wantStatus)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadBodyReadError(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/", errReader{})
	_, err := awsproto.ReadBody(r)
	if ae := awsproto.AsError(err); ae == nil || ae.Code != awsproto.CodeSerialization || ae.Status != http.StatusBadRequest {
		t.Fatalf("ReadBody(failing reader) error = %v, want %s with status 400", err, awsproto.CodeSerialization)
	}
}

func TestWriteJSONError(t *testing.T) {
	t.Parallel()
	const reqID = "11111111-2222-4333-8444-555555555555"
	const secret = "open /var/lib/tgsim/state.db: permission denied"
	tests := []struct {
		name       string
		err        error
		opts       awsproto.JSONErrorOptions
		wantStatus int
		wantCT     string
		wantBody   map[string]string
		wantLogged bool // the error was logged at Error with its Go text
	}{
		{
			name:       "aws error",
			err:        awsproto.NewError(http.StatusNotFound, "ResourceNotFoundException", "flow %q not found", "f1"),
			opts:       awsproto.JSONErrorOptions{InternalCode: "InternalFailureException", ContentType: awsproto.JSON11ContentType},
			wantStatus: http.StatusNotFound,
			wantCT:     awsproto.JSON11ContentType,
			wantBody:   map[string]string{"__type": "ResourceNotFoundException", "message": `flow "f1" not found`},
		},
		{
			name:       "wrapped aws error",
			err:        fmt.Errorf("create flow: %w", awsproto.NewError(http.StatusConflict, "ResourceAlreadyExistsException", "exists")),
			opts:       awsproto.JSONErrorOptions{InternalCode: "InternalFailureException"},
			wantStatus: http.StatusConflict,
			wantCT:     "application/json",
			wantBody:   map[string]string{"__type": "ResourceAlreadyExistsException", "message": "exists"},
		},
		{
			name:       "aws error without status is 400",
			err:        &awsproto.Error{Code: "ValidationException", Message: "bad"},
			wantStatus: http.StatusBadRequest,
			wantCT:     "application/json",
			wantBody:   map[string]string{"__type": "ValidationException", "message": "bad"},
		},
		{
			name:       "server fault",
			err:        awsproto.NewError(http.StatusServiceUnavailable, "ThrottlingException", "slow down"),
			wantStatus: http.StatusServiceUnavailable,
			wantCT:     "application/json",
			wantBody:   map[string]string{"__type": "ThrottlingException", "message": "slow down"},
		},
		{
			name:       "greengrass message key",
			err:        awsproto.NewError(http.StatusBadRequest, "BadRequestException", "group not found"),
			opts:       awsproto.JSONErrorOptions{InternalCode: "InternalServerErrorException", MessageKey: "Message"},
			wantStatus: http.StatusBadRequest,
			wantCT:     "application/json",
			wantBody:   map[string]string{"__type": "BadRequestException", "Message": "group not found"},
		},
		{
			name:       "plain error",
			err:        errors.New(secret),
			opts:       awsproto.JSONErrorOptions{InternalCode: "InternalFailureException", ContentType: awsproto.JSON11ContentType},
			wantStatus: http.StatusInternalServerError,
			wantCT:     awsproto.JSON11ContentType,
			wantBody:   map[string]string{"__type": "InternalFailureException", "message": "internal failure (request " + reqID + ")"},
			wantLogged: true,
		},
		{
			name:       "plain error with greengrass message key",
			err:        fmt.Errorf("wrapped: %w", errors.New(secret)),
			opts:       awsproto.JSONErrorOptions{InternalCode: "InternalServerErrorException", MessageKey: "Message"},
			wantStatus: http.StatusInternalServerError,
			wantCT:     "application/json",
			wantBody:   map[string]string{"__type": "InternalServerErrorException", "Message": "internal failure (request " + reqID + ")"},
			wantLogged: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			tt.opts.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			ctx := awsproto.WithRequestID(context.Background(), reqID)
			rec := httptest.NewRecorder()
			awsproto.WriteJSONError(ctx, rec, tt.err, tt.opts)

			if rec.Code != tt.wantStatus {
				t.Errorf("WriteJSONError(%v) status = %d, want %d", tt.err, rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantCT {
				t.Errorf("WriteJSONError(%v) Content-Type = %q, want %q", tt.err, got, tt.wantCT)
			}
			if got := rec.Header().Get("X-Amzn-Errortype"); got != tt.wantBody["__type"] {
				t.Errorf("WriteJSONError(%v) X-Amzn-ErrorType = %q, want %q", tt.err, got, tt.wantBody["__type"])
			}
			if got, want := rec.Header().Get("Content-Length"), fmt.Sprint(rec.Body.Len()); got != want {
				t.Errorf("WriteJSONError(%v) Content-Length = %q, want %q", tt.err, got, want)
			}
			raw := rec.Body.String()
			if strings.Contains(raw, "permission denied") {
				t.Errorf("WriteJSONError(%v) body = %s, leaks the Go error text", tt.err, raw)
			}
			var got map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("WriteJSONError(%v) body %q is not a JSON object of strings: %v", tt.err, raw, err)
			}
			if diff := cmp.Diff(tt.wantBody, got); diff != "" {
				t.Errorf("WriteJSONError(%v) body mismatch (-want +got):\n%s", tt.err, diff)
			}
			logged := logs.String()
			if tt.wantLogged {
				if !strings.Contains(logged, `"level":"ERROR"`) || !strings.Contains(logged, "permission denied") || !strings.Contains(logged, reqID) {
					t.Errorf("WriteJSONError(%v) logged %q, want an ERROR record with the error and request id", tt.err, logged)
				}
			} else if logged != "" {
				t.Errorf("WriteJSONError(%v) logged %q, want nothing for an AWS error", tt.err, logged)
			}
		})
	}
}

// A nil Logger must not panic on the internal-failure path.
func TestWriteJSONErrorNilLogger(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	awsproto.WriteJSONError(context.Background(), rec, errors.New("boom"), awsproto.JSONErrorOptions{InternalCode: "InternalFailure"})
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("WriteJSONError(boom) status = %d, want 500", rec.Code)
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	awsproto.WriteJSON(rec, http.StatusOK, awsproto.JSON11ContentType, map[string]int{"revision": 2})
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != awsproto.JSON11ContentType || rec.Body.String() != `{"revision":2}` {
		t.Errorf("WriteJSON = %d %q %q, want 200 %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body, awsproto.JSON11ContentType, `{"revision":2}`)
	}

	rec = httptest.NewRecorder()
	awsproto.WriteJSON(rec, http.StatusOK, awsproto.JSON11ContentType, map[string]any{"f": func() {}})
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"__type":"InternalFailure"`) {
		t.Errorf("WriteJSON(unencodable) = %d %q, want 500 InternalFailure", rec.Code, rec.Body)
	}
}

func TestTarget(t *testing.T) {
	t.Parallel()
	const prefix = "IotThingsGraphFrontEndService"
	tests := []struct {
		name    string
		target  string // "" means no header
		want    string
		wantErr string
	}{
		{name: "ok", target: prefix + ".CreateFlowTemplate", want: "CreateFlowTemplate"},
		{name: "operation with dots", target: prefix + ".A.B", want: "A.B"},
		{name: "missing header", wantErr: "missing X-Amz-Target header"},
		{name: "wrong prefix", target: "DynamoDB_20120810.ListTables", wantErr: `unknown target "DynamoDB_20120810.ListTables"`},
		{name: "prefix without dot", target: prefix + "CreateFlowTemplate", wantErr: "unknown target"},
		{name: "prefix only", target: prefix, wantErr: "unknown target"},
		{name: "empty operation", target: prefix + ".", wantErr: "unknown target"},
		{name: "prefix of the prefix", target: "IotThingsGraph.CreateFlowTemplate", wantErr: "unknown target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			if tt.target != "" {
				r.Header.Set("X-Amz-Target", tt.target)
			}
			got, err := awsproto.Target(r, prefix)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Target(%q) = %q, %v; want %q, nil", tt.target, got, err, tt.want)
				}
				return
			}
			ae := awsproto.AsError(err)
			if ae == nil || ae.Code != awsproto.CodeUnknownOperation || ae.Status != http.StatusBadRequest {
				t.Fatalf("Target(%q) = %q, %v; want %s with status 400", tt.target, got, err, awsproto.CodeUnknownOperation)
			}
			if !strings.Contains(ae.Message, tt.wantErr) || !strings.Contains(ae.Message, prefix+".<Operation>") {
				t.Errorf("Target(%q) message = %q, want it to contain %q and %q", tt.target, ae.Message, tt.wantErr, prefix+".<Operation>")
			}
		})
	}
}
