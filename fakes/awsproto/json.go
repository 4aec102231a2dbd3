package awsproto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// MaxBodyBytes bounds every JSON request body a fake reads. Things Graph's
// largest member (DefinitionText) is 1,048,576 characters, which JSON
// escaping can at most sextuple.
const MaxBodyBytes = 8 << 20

// ReadBody reads at most MaxBodyBytes of r's body.
func ReadBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, NewError(http.StatusBadRequest, CodeSerialization, "reading request body: %v", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, NewError(http.StatusRequestEntityTooLarge, CodeSerialization, "request body is larger than %d bytes", MaxBodyBytes)
	}
	return body, nil
}

// DecodeJSON decodes body into v. An empty body is the empty object. Syntax
// and type errors become a SerializationException that says where.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			// Offset counts the bytes read, the offending one included.
			line, col := lineCol(body, se.Offset-1)
			return NewError(http.StatusBadRequest, CodeSerialization, "malformed JSON at line %d, column %d: %v", line, col, se)
		case errors.As(err, &te) && te.Field == "":
			return NewError(http.StatusBadRequest, CodeSerialization, "request body: expected a JSON object, found JSON %s", te.Value)
		case errors.As(err, &te):
			return NewError(http.StatusBadRequest, CodeSerialization, "member %q: expected %s, found JSON %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		case errors.Is(err, io.ErrUnexpectedEOF):
			line, col := lineCol(body, int64(len(body)))
			return NewError(http.StatusBadRequest, CodeSerialization, "malformed JSON at line %d, column %d: unexpected end of input", line, col)
		default:
			return NewError(http.StatusBadRequest, CodeSerialization, "malformed JSON: %v", err)
		}
	}
	// Only white space may follow the value: dec.More is false for a stray
	// '}' or ']', so read one more token and insist on EOF.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := lineCol(body, dec.InputOffset())
		return NewError(http.StatusBadRequest, CodeSerialization, "malformed JSON at line %d, column %d: unexpected data after the top-level value", line, col)
	}
	return nil
}

// jsonKind names a Go kind the way a JSON user thinks of it.
func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	}
	return k
}

// lineCol returns the 1-based line and column (in characters) of byte
// offset off in b.
func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	if off < 0 {
		off = 0
	}
	line, col := 1, 1
	for _, r := range string(b[:off]) {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// WriteJSON writes v as a JSON response with the given content type.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"__type":"InternalFailure","message":"encoding response"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// JSON11ContentType is the AWS JSON 1.1 media type.
const JSON11ContentType = "application/x-amz-json-1.1"

// JSONErrorOptions configures an error funnel for one JSON service.
type JSONErrorOptions struct {
	// InternalCode is the code used for errors that are not *Error.
	InternalCode string
	// MessageKey is the body member holding the message: "message" (most
	// services) or "Message" (Greengrass).
	MessageKey string
	// ContentType of error responses.
	ContentType string
	Logger      *slog.Logger
}

// WriteJSONError is the funnel for AWS JSON 1.1 and REST-JSON services:
// the code goes in the X-Amzn-ErrorType header and in __type, the message in
// the body. A non-AWS error is logged and answered as InternalCode with 500.
func WriteJSONError(ctx context.Context, w http.ResponseWriter, err error, o JSONErrorOptions) {
	ae := AsError(err)
	if ae == nil {
		logger := o.Logger
		if logger == nil {
			logger = slog.New(slog.DiscardHandler)
		}
		id := RequestID(ctx)
		logger.ErrorContext(ctx, "internal failure", "error", err, "request_id", id)
		ae = NewError(http.StatusInternalServerError, o.InternalCode, "internal failure (request %s)", id)
	}
	key := o.MessageKey
	if key == "" {
		key = "message"
	}
	ct := o.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("X-Amzn-Errortype", ae.Code)
	WriteJSON(w, ae.statusOf(), ct, map[string]string{"__type": ae.Code, key: ae.Message})
}

// Target splits an X-Amz-Target header "Prefix.Operation".
func Target(r *http.Request, prefix string) (op string, err error) {
	t := r.Header.Get("X-Amz-Target")
	if t == "" {
		return "", NewError(http.StatusBadRequest, CodeUnknownOperation, "missing X-Amz-Target header; expected %s.<Operation>", prefix)
	}
	op, ok := strings.CutPrefix(t, prefix+".")
	if !ok || op == "" {
		return "", NewError(http.StatusBadRequest, CodeUnknownOperation, "unknown target %q; expected %s.<Operation>", t, prefix)
	}
	return op, nil
}
