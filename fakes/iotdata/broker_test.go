package iotdata_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/iot/types"

	"github.com/tgsim/tgsim/fakes/iotdata"
)

// thingPolicy lets a thing connect as itself and use only its own topics.
var thingPolicy = policyDoc(
	allow("iot:Connect", arn("client/${iot:Connection.Thing.ThingName}")),
	allow("iot:Publish", arn("topic/things/${iot:Connection.Thing.ThingName}/*")),
	allow("iot:Subscribe", arn("topicfilter/things/${iot:Connection.Thing.ThingName}/*")),
	allow("iot:Receive", arn("topic/things/${iot:Connection.Thing.ThingName}/*")),
)

var allowAll = policyDoc(allow("iot:*", "*"))

func TestConnect(t *testing.T) {
	e := newEnv(t, nil)
	good, _ := e.device("lamp", thingPolicy)
	bare, _ := e.device("door")
	inactive, inactiveID := e.device("fan", allowAll)
	if _, err := e.c.UpdateCertificate(e.ctx, &iotsdk.UpdateCertificateInput{CertificateId: aws.String(inactiveID), NewStatus: types.CertificateStatusInactive}); err != nil {
		t.Fatal(err)
	}
	anyCert, _ := e.device("", allowAll)
	tests := []struct {
		name     string
		clientID string
		cert     tls.Certificate
		wantRC   byte   // 0 = accepted
		reason   string // substring of the recorded reason
	}{
		{name: "thing connects as itself", clientID: "lamp", cert: good},
		{name: "no policy attached", clientID: "door", cert: bare, wantRC: 5, reason: iotdata.ReasonNoAllow},
		{name: "client id is not the thing: ThingName unresolved", clientID: "lamp-2", cert: good, wantRC: 5, reason: iotdata.ReasonNoAllow},
		{name: "INACTIVE certificate", clientID: "fan", cert: inactive, wantRC: 5, reason: "INACTIVE"},
		{name: "client id over 128 bytes", clientID: strings.Repeat("c", 129), cert: anyCert, wantRC: 2, reason: "128-byte"},
		{name: "certificate with no thing, allow-all policy", clientID: "anything", cert: anyCert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, rc, err := e.connect(tt.clientID, tt.cert)
			if tt.wantRC == 0 {
				if err != nil {
					t.Fatalf("connect = rc %d, %v; want accepted", rc, err)
				}
				cl.Disconnect(0)
				return
			}
			if err == nil || rc != tt.wantRC {
				t.Fatalf("connect = rc %d, %v; want CONNACK return code %d", rc, err, tt.wantRC)
			}
			d := e.waitDenial("iot:Connect", arn("client/"+tt.clientID))
			if !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("denial reason %q, want it to mention %q", d.Reason, tt.reason)
			}
		})
	}
}

func TestThingPolicyVariables(t *testing.T) {
	e := newEnv(t, nil)
	lampCert, lampID := e.device("lamp", thingPolicy)
	lamp := e.mustConnect("lamp", lampCert)
	if code := lamp.subscribe(t, "things/lamp/#"); code != 1 {
		t.Fatalf("SUBACK for own filter = %#x, want granted QoS 1", code)
	}
	if tok := lamp.publish(t, "things/lamp/state", 1, []byte("on")); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish to own topic: %v", tok.Error())
	}
	lamp.waitMessage(t, "things/lamp/state")
	if code := lamp.subscribe(t, "things/door/#"); code != 0x80 {
		t.Errorf("SUBACK for another thing's filter = %#x, want 0x80", code)
	}
	e.waitDenial("iot:Subscribe", arn("topicfilter/things/door/#"))
	// Publishing to another thing's topic: AWS disconnects an MQTT 3.1.1 client.
	lamp.publish(t, "things/door/state", 1, []byte("open"))
	lamp.waitLost(t)
	d := e.waitDenial("iot:Publish", arn("topic/things/door/state"))
	if d.ClientID != "lamp" || d.CertificateID != lampID || !strings.HasPrefix(d.Reason, iotdata.ReasonNoAllow) {
		t.Errorf("publish denial = %+v", d)
	}
	msgs := e.msgs()
	if len(msgs) != 1 || msgs[0].Topic != "things/lamp/state" || msgs[0].ThingName != "lamp" || msgs[0].Principal != lampID {
		t.Errorf("OnMessage got %+v, want only the accepted things/lamp/state from lamp", msgs)
	}
	if st := e.b.Stats(); st.Denied["iot:Publish"] != 1 || st.Denied["iot:Subscribe"] != 1 || st.Published != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestExplicitDenyWins(t *testing.T) {
	e := newEnv(t, nil)
	cert, _ := e.device("cam", allowAll, policyDoc(deny("NoSecrets", "iot:Publish", arn("topic/secret/*"))))
	cam := e.mustConnect("cam", cert)
	if tok := cam.publish(t, "open/a", 1, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish open/a: %v", tok.Error())
	}
	cam.publish(t, "secret/a", 0, nil)
	cam.waitLost(t)
	d := e.waitDenial("iot:Publish", arn("topic/secret/a"))
	if !strings.Contains(d.Reason, "explicit Deny") || !strings.Contains(d.Reason, "NoSecrets") {
		t.Errorf("reason %q, want the explicit Deny statement named", d.Reason)
	}
}

func TestReceiveDenied(t *testing.T) {
	e := newEnv(t, nil)
	subAll := allow("iot:Subscribe", arn("topicfilter/alerts/*"))
	okCert, _ := e.device("a", policyDoc(allow("iot:Connect", "*"), subAll, allow("iot:Receive", arn("topic/alerts/*"))))
	noCert, _ := e.device("b", policyDoc(allow("iot:Connect", "*"), subAll))
	pubCert, _ := e.device("p", policyDoc(allow("iot:Connect", "*"), allow("iot:Publish", arn("topic/alerts/*"))))
	a, b, p := e.mustConnect("a", okCert), e.mustConnect("b", noCert), e.mustConnect("p", pubCert)
	for _, c := range []*client{a, b} {
		if code := c.subscribe(t, "alerts/#"); code != 1 {
			t.Fatalf("SUBACK = %#x", code)
		}
	}
	if tok := p.publish(t, "alerts/fire", 1, []byte("!")); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	a.waitMessage(t, "alerts/fire")
	d := e.waitDenial("iot:Receive", arn("topic/alerts/fire"))
	if d.ClientID != "b" {
		t.Errorf("receive denial for %q, want b", d.ClientID)
	}
	select {
	case m := <-b.got:
		t.Errorf("b received %q without iot:Receive", m.Topic())
	case <-time.After(200 * time.Millisecond):
	}
	select {
	case err := <-b.lost:
		t.Errorf("b was disconnected (%v); a Receive denial is silent", err)
	default:
	}
}

func TestPayloadOverLimit(t *testing.T) {
	e := newEnv(t, func(o *iotdata.Options) { o.MaxPayload = 1024 })
	cert, _ := e.device("big", allowAll)
	c := e.mustConnect("big", cert)
	if tok := c.publish(t, "t/ok", 1, make([]byte, 1024)); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish at the limit: %v", tok.Error())
	}
	c.publish(t, "t/big", 1, make([]byte, 1025))
	c.waitLost(t)
	d := e.waitDenial("iot:Publish", arn("topic/t/big"))
	if !strings.Contains(d.Reason, "1025 bytes") {
		t.Errorf("reason %q", d.Reason)
	}
	if st := e.b.Stats(); st.Dropped[iotdata.DropPayloadTooBig] != 1 {
		t.Errorf("Dropped = %v", st.Dropped)
	}
}

func TestTopicLimits(t *testing.T) {
	e := newEnv(t, nil)
	cert, _ := e.device("", allowAll)
	tests := []struct{ name, topic string }{
		{"eight slashes", "a/b/c/d/e/f/g/h/i"},
		{"257 bytes", strings.Repeat("x", 257)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.mustConnect(fmt.Sprintf("c%d", i), cert)
			c.publish(t, tt.topic, 0, nil)
			c.waitLost(t)
			e.waitDenial("iot:Publish", arn("topic/"+tt.topic))
		})
	}
	// Basic Ingest's prefix does not count.
	c := e.mustConnect("ingest", cert)
	if tok := c.publish(t, "$aws/rules/r/a/b/c/d/e/f/g/h", 1, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("basic ingest publish: %v", tok.Error())
	}
}

func TestPublishRate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, func(o *iotdata.Options) { o.PublishRate = 5; o.Now = func() time.Time { return now } })
	cert, _ := e.device("", allowAll)
	c := e.mustConnect("fast", cert)
	for i := range 8 {
		if tok := c.publish(t, "t/x", 1, []byte{byte(i)}); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %d: %v", i, tok.Error())
		}
	}
	if st := e.b.Stats(); st.Published != 5 || st.Dropped[iotdata.DropThrottled] != 3 {
		t.Errorf("Stats = %+v; want 5 published and 3 throttled with the clock stopped", st)
	}
	e.waitDenial("iot:Publish", arn("topic/t/x"))
}

func TestClientIDTakeover(t *testing.T) {
	e := newEnv(t, nil)
	cert, _ := e.device("lamp", thingPolicy)
	first := e.mustConnect("lamp", cert)
	second := e.mustConnect("lamp", cert)
	first.waitLost(t)
	if !second.IsConnectionOpen() {
		t.Fatal("the second connection is not open")
	}
	if code := second.subscribe(t, "things/lamp/x"); code != 1 {
		t.Errorf("SUBACK after takeover = %#x", code)
	}
}

func TestPublishInjection(t *testing.T) {
	e := newEnv(t, nil)
	okCert, _ := e.device("s", allowAll)
	noCert, _ := e.device("n", policyDoc(allow("iot:Connect", "*"), allow("iot:Subscribe", "*")))
	s, n := e.mustConnect("s", okCert), e.mustConnect("n", noCert)
	s.subscribe(t, "cmd/#")
	n.subscribe(t, "cmd/#")
	for i := range 5 {
		if err := e.b.Publish(iotdata.Message{Topic: fmt.Sprintf("cmd/%d", i), Payload: []byte{byte(i)}, QoS: 1, Principal: "iot.amazonaws.com"}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	for i := range 5 {
		if m := s.waitMessage(t, fmt.Sprintf("cmd/%d", i)); !bytes.Equal(m.Payload(), []byte{byte(i)}) {
			t.Errorf("payload %v", m.Payload())
		}
	}
	msgs := e.msgs()
	if len(msgs) != 5 {
		t.Fatalf("OnMessage called %d times, want 5", len(msgs))
	}
	for i, m := range msgs {
		if m.Topic != fmt.Sprintf("cmd/%d", i) || m.Principal != "iot.amazonaws.com" || m.QoS != 1 || m.Timestamp.IsZero() {
			t.Errorf("OnMessage[%d] = %+v", i, m)
		}
	}
	if got := e.b.Stats().Denied["iot:Receive"]; got != 5 {
		t.Errorf("receive denials = %d, want 5 (n has no iot:Receive)", got)
	}
	select {
	case m := <-n.got:
		t.Errorf("n received %q", m.Topic())
	default:
	}
	for _, bad := range []iotdata.Message{{Topic: "a/+"}, {Topic: ""}, {Topic: "t", Payload: make([]byte, iotdata.DefaultMaxPayload+1)}, {Topic: "t", QoS: 2}} {
		if err := e.b.Publish(bad); err == nil {
			t.Errorf("Publish(%q, %d bytes, QoS %d) = nil, want an error", bad.Topic, len(bad.Payload), bad.QoS)
		}
	}
}

// A malformed packet (mochi-mqtt issue 501: an MQTT 5 SUBSCRIBE with no
// options byte) over a TLS connection must not take the broker down.
func TestMalformedPacketIsContained(t *testing.T) {
	e := newEnv(t, nil)
	cert, _ := e.device("", allowAll)
	conn, err := tls.Dial("tcp", e.b.Addr(), &tls.Config{RootCAs: e.roots, Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	id := "raw"
	vh := []byte{0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3c, 0x00}
	payload := append([]byte{0x00, byte(len(id))}, id...)
	if _, err := conn.Write(append([]byte{0x10, byte(len(vh) + len(payload))}, append(vh, payload...)...)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	ack := make([]byte, 2)
	if _, err := io.ReadFull(conn, ack); err != nil || ack[0] != 0x20 {
		t.Fatalf("CONNACK = %x, %v", ack, err)
	}
	rest := make([]byte, ack[1])
	if _, err := io.ReadFull(conn, rest); err != nil || rest[1] != 0 {
		t.Fatalf("CONNACK body = %x, %v", rest, err)
	}
	if _, err := conn.Write([]byte{0x82, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 'a'}); err != nil {
		t.Fatal(err)
	}
	io.ReadAll(conn)
	c := e.mustConnect("after", cert)
	if code := c.subscribe(t, "x"); code != 1 {
		t.Errorf("SUBACK after the contained panic = %#x", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.b.Stats().Panics == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if e.b.Stats().Panics != 1 {
		t.Errorf("Stats().Panics = %d, want 1", e.b.Stats().Panics)
	}
}

// A certificate's policies are read at every decision: detaching the only
// policy takes effect on the next action.
func TestPolicyChangeTakesEffect(t *testing.T) {
	e := newEnv(t, nil)
	cert, _ := e.device("", allowAll)
	c := e.mustConnect("x", cert)
	if code := c.subscribe(t, "a"); code != 1 {
		t.Fatalf("SUBACK = %#x", code)
	}
	certs, err := e.c.ListTargetsForPolicy(e.ctx, &iotsdk.ListTargetsForPolicyInput{PolicyName: aws.String("p1")})
	if err != nil || len(certs.Targets) != 1 {
		t.Fatalf("ListTargetsForPolicy = %v, %v", certs, err)
	}
	if _, err := e.c.DetachPolicy(e.ctx, &iotsdk.DetachPolicyInput{PolicyName: aws.String("p1"), Target: aws.String(certs.Targets[0])}); err != nil {
		t.Fatal(err)
	}
	if code := c.subscribe(t, "b"); code != 0x80 {
		t.Errorf("SUBACK after detaching = %#x, want 0x80", code)
	}
}

// A persistent session keeps its subscriptions and QoS 1 messages across a
// reconnect (AWS: mqtt-persistent-sessions.html).
func TestPersistentSession(t *testing.T) {
	e := newEnv(t, nil)
	cert, _ := e.device("", allowAll)
	sub, _, err := e.connectSession("keeper", cert, false)
	if err != nil {
		t.Fatal(err)
	}
	if code := sub.subscribe(t, "q/#"); code != 1 {
		t.Fatalf("SUBACK = %#x", code)
	}
	sub.Disconnect(100)
	pub := e.mustConnect("pub", cert)
	if tok := pub.publish(t, "q/1", 1, []byte("while away")); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	again, _, err := e.connectSession("keeper", cert, false)
	if err != nil {
		t.Fatal(err)
	}
	// paho hands a resumed session's messages to the default handler.
	if m := again.waitMessage(t, "q/1"); string(m.Payload()) != "while away" {
		t.Errorf("payload %q", m.Payload())
	}
}
