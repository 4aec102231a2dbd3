package iotdata

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Error codes of the iot-data 2015-05-28 model (REST-JSON).
const (
	codeInvalidRequest   = "InvalidRequestException"        // 400
	codeMethodNotAllowed = "MethodNotAllowedException"      // 405
	codeTooLarge         = "RequestEntityTooLargeException" // 413
	codeInternalFailure  = "InternalFailureException"       // 500
)

// HTTP returns the AWS IoT data plane's HTTPS API (signing name iotdata)
// for the edge: Publish (POST /topics/{topic}?qos&retain). The edge
// authorizes each publish as iot:Publish on
// arn:aws:iot:REGION:ACCOUNT:topic/TOPIC by the caller's IAM policies
// (Describe; AWS: IoT developer guide, "HTTPS" — HTTP publishers are
// authorized by IAM, not by IoT policies), then it is delivered as Publish
// delivers. The shadow and retained-message operations are not served:
// they answer 405 MethodNotAllowedException naming the request.
func (b *Broker) HTTP() http.Handler { return httpAPI{b} }

// httpAPI serves the HTTPS API and describes its calls to the edge.
type httpAPI struct{ b *Broker }

var _ awsproto.Describer = httpAPI{}

// Describe maps Publish to iot:Publish on the topic's ARN.
func (a httpAPI) Describe(r *http.Request) (awsproto.Call, error) {
	topic, err := publishTopic(r)
	if err != nil {
		// ServeHTTP answers the error; nothing is done, nothing to authorize.
		return awsproto.Call{Operation: "Unknown", NoAuthorization: true}, nil
	}
	return awsproto.Call{Operation: "Publish", Action: "iot:Publish", Resources: []string{a.b.topicARN(r, topic)}}, nil
}

func (a httpAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := a.b.handleHTTP(w, r); err != nil {
		awsproto.WriteJSONError(r.Context(), w, err, awsproto.JSONErrorOptions{InternalCode: codeInternalFailure, Logger: a.b.log})
	}
}

// publishTopic reads and checks the topic of a Publish request.
func publishTopic(r *http.Request) (string, error) {
	raw, ok := strings.CutPrefix(r.URL.EscapedPath(), "/topics/")
	if !ok || r.Method != http.MethodPost {
		return "", awsproto.NewError(http.StatusMethodNotAllowed, codeMethodNotAllowed,
			"%s %s is not served by tgsim's AWS IoT data plane; it serves Publish (POST /topics/{topic})", r.Method, r.URL.Path)
	}
	// '/' arrives as %2F from the SDKs, or literally from hand-written requests.
	topic, err := url.PathUnescape(raw)
	if err != nil {
		return "", awsproto.NewError(http.StatusBadRequest, codeInvalidRequest, "topic: %v", err)
	}
	if err := ValidateTopic(topic); err != nil {
		return "", awsproto.NewError(http.StatusBadRequest, codeInvalidRequest, "%v", err)
	}
	return topic, nil
}

func (b *Broker) topicARN(r *http.Request, topic string) string {
	region := b.opts.Region
	if info, ok := awsproto.RequestInfoFrom(r.Context()); ok && info.Region != "" {
		region = info.Region
	}
	return fmt.Sprintf("arn:aws:iot:%s:%s:topic/%s", region, b.opts.AccountID, topic)
}

func (b *Broker) handleHTTP(w http.ResponseWriter, r *http.Request) error {
	topic, err := publishTopic(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	qos := 0
	if v := q.Get("qos"); v != "" {
		if qos, err = strconv.Atoi(v); err != nil || qos < 0 || qos > 1 {
			return awsproto.NewError(http.StatusBadRequest, codeInvalidRequest,
				"1 validation error detected: Value '%s' at 'qos' failed to satisfy constraint: Member must be 0 or 1", v)
		}
	}
	retain := false
	if v := q.Get("retain"); v != "" {
		if retain, err = strconv.ParseBool(v); err != nil {
			return awsproto.NewError(http.StatusBadRequest, codeInvalidRequest, "retain %q is not a boolean", v)
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(b.opts.MaxPayload)+1))
	if err != nil {
		return awsproto.NewError(http.StatusBadRequest, codeInvalidRequest, "reading the payload: %v", err)
	}
	if len(body) > b.opts.MaxPayload {
		return awsproto.NewError(http.StatusRequestEntityTooLarge, codeTooLarge, "The payload exceeds the maximum size of %d bytes", b.opts.MaxPayload)
	}
	info, _ := awsproto.RequestInfoFrom(r.Context())
	if err := b.Publish(Message{Topic: topic, Payload: body, QoS: byte(qos), Retain: retain, Principal: info.Caller.ARN}); err != nil {
		return awsproto.NewError(http.StatusBadRequest, codeInvalidRequest, "%v", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	return nil
}
