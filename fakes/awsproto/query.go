package awsproto

import (
	"context"
	"encoding/xml"
	"log/slog"
	"net/http"
)

// WriteQueryError is the funnel for Query-protocol services (IAM, STS): the
// ErrorResponse XML with Type, Code, Message and RequestId.
func WriteQueryError(ctx context.Context, w http.ResponseWriter, err error, logger *slog.Logger) {
	id := RequestID(ctx)
	ae := AsError(err)
	if ae == nil {
		if logger != nil {
			logger.ErrorContext(ctx, "internal failure", "error", err, "request_id", id)
		}
		ae = NewError(http.StatusInternalServerError, CodeInternalFailureQuery, "internal failure (request %s)", id)
	}
	// The fault side follows the status, whatever Sender says.
	typ := "Sender"
	if ae.statusOf() >= 500 {
		typ = "Receiver"
	}
	type errXML struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	resp := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr,omitempty"`
		Error     errXML   `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}{Error: errXML{Type: typ, Code: ae.Code, Message: ae.Message}, RequestID: id}
	WriteXML(w, ae.statusOf(), resp)
}

// WriteXML writes v as an XML document.
func WriteXML(w http.ResponseWriter, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>encoding response</Message></Error></ErrorResponse>")
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

// QueryResponse wraps a Query-protocol result the way AWS does:
// <OpResponse xmlns=NS><OpResult>...</OpResult><ResponseMetadata>...</ResponseMetadata></OpResponse>.
func WriteQueryResponse(ctx context.Context, w http.ResponseWriter, op, xmlns string, result any) {
	type meta struct {
		RequestID string `xml:"RequestId"`
	}
	type wrapper struct {
		XMLName  xml.Name
		Xmlns    string `xml:"xmlns,attr"`
		Result   any    `xml:",omitempty"`
		Metadata meta   `xml:"ResponseMetadata"`
	}
	wr := wrapper{XMLName: xml.Name{Local: op + "Response"}, Xmlns: xmlns, Metadata: meta{RequestID: RequestID(ctx)}}
	if result != nil {
		wr.Result = resultElem{name: op + "Result", v: result}
	}
	WriteXML(w, http.StatusOK, wr)
}

type resultElem struct {
	name string
	v    any
}

func (r resultElem) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(r.v, xml.StartElement{Name: xml.Name{Local: r.name}})
}
