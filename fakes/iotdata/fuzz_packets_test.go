package iotdata_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"

	"github.com/tgsim/tgsim/fakes/iot"
	"github.com/tgsim/tgsim/fakes/iotdata"
	"github.com/tgsim/tgsim/fakes/mqtttest"
)

// The packet helpers are fakes/mqtttest's, under this file's short names.
type fzConn = mqtttest.Conn

var (
	fzVarint    = mqtttest.Varint
	fzPacket    = mqtttest.Packet
	fzStr       = mqtttest.Str
	fzConnect   = mqtttest.Connect
	fzSubscribe = mqtttest.Subscribe
	fzPublish   = mqtttest.Publish
	fzPingreq   = mqtttest.Pingreq
)

// fzDial connects clientID with cert over MQTT 3.1.1 or 5 and waits for a
// successful CONNACK.
func fzDial(addr string, cfg *tls.Config, clientID string, v5 bool) (*fzConn, error) {
	nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	return mqtttest.Handshake(nc, clientID, v5)
}

// fzEnv is the fuzz target's IoT registry and broker. newEnv's *testing.T
// cleanups end with the first input, so the target builds its own, once,
// with the same registry calls.
type fzEnv struct {
	b              *iotdata.Broker
	fuzzTLS, probe *tls.Config
}

func newFuzzEnv(tb testing.TB) *fzEnv {
	tb.Helper()
	ctx := context.Background()
	reg, err := iot.NewServer(iot.Options{AccountID: account})
	if err != nil {
		tb.Fatalf("iot.NewServer: %v", err)
	}
	tb.Cleanup(reg.Close)
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	c := iotsdk.NewFromConfig(cfg, func(o *iotsdk.Options) { o.BaseEndpoint = aws.String(reg.URL); o.RetryMaxAttempts = 1 })

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "iot data plane"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	b, err := iotdata.New(iotdata.Options{
		AccountID: account, Region: region,
		ServerCertificate:       tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		VerifyClientCertificate: reg.VerifyClientCertificate,
		Policies:                reg.PoliciesForCertificate,
		// Small, so oversize payloads are cheap to make.
		MaxPayload: 4096,
	})
	if err != nil {
		tb.Fatalf("iotdata.New: %v", err)
	}
	tb.Cleanup(func() { b.Close() })

	device := func(name, doc string) *tls.Config {
		out, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{SetAsActive: true})
		if err != nil {
			tb.Fatalf("CreateKeysAndCertificate: %v", err)
		}
		cert, err := tls.X509KeyPair([]byte(aws.ToString(out.CertificatePem)), []byte(aws.ToString(out.KeyPair.PrivateKey)))
		if err != nil {
			tb.Fatalf("X509KeyPair: %v", err)
		}
		if _, err := c.CreatePolicy(ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
			tb.Fatalf("CreatePolicy: %v", err)
		}
		if _, err := c.AttachPolicy(ctx, &iotsdk.AttachPolicyInput{PolicyName: aws.String(name), Target: out.CertificateArn}); err != nil {
			tb.Fatalf("AttachPolicy: %v", err)
		}
		return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return &fzEnv{
		b: b,
		// Everything under its own client id, nothing else.
		fuzzTLS: device("fuzz", policyDoc(
			allow("iot:Connect", arn("client/fuzz")),
			allow("iot:Publish", arn("topic/fuzz/*")),
			allow("iot:Receive", arn("topic/fuzz/*")),
			allow("iot:Subscribe", arn("topicfilter/fuzz/*")),
		)),
		// The health probes: their own client ids and topics.
		probe: device("probe", policyDoc(
			allow("iot:Connect", arn("client/probe-*")),
			allow("iot:Publish", arn("topic/probe/*")),
			allow("iot:Receive", arn("topic/*")),
			allow("iot:Subscribe", arn("topicfilter/*")),
		)),
	}
}

// fzExpectPublishDenial reports whether stream starts with a complete,
// well-formed MQTT 3.1.1 PUBLISH that the broker must refuse and record:
// a topic outside the fuzz client's policy, or one AWS IoT refuses by its
// shape (wildcards). Anything mochi itself refuses first (malformed UTF-8,
// NUL, a QoS 1 PUBLISH with packet id 0, QoS 2) is not expected to leave a
// Denial.
func fzExpectPublishDenial(v5 bool, stream []byte) bool {
	if v5 || len(stream) < 2 || stream[0]>>4 != 3 {
		return false
	}
	qos := (stream[0] >> 1) & 3
	if qos > 1 || (qos == 0 && stream[0]&0x08 != 0) {
		return false
	}
	n, mul, i := 0, 1, 1
	for ; ; i++ {
		if i >= len(stream) || i > 4 {
			return false
		}
		n += int(stream[i]&0x7f) * mul
		if stream[i]&0x80 == 0 {
			break
		}
		mul *= 128
	}
	body := stream[i+1:]
	if n > len(body) || n > 4096 || n < 2 {
		return false
	}
	body = body[:n]
	tl := int(body[0])<<8 | int(body[1])
	if tl == 0 || 2+tl > len(body) {
		return false
	}
	topic := string(body[2 : 2+tl])
	if qos == 1 && (2+tl+2 > len(body) || body[2+tl] == 0 && body[2+tl+1] == 0) {
		return false
	}
	if !utf8.ValidString(topic) || strings.ContainsRune(topic, 0) {
		return false
	}
	for _, r := range topic {
		if r < 0x20 || r > 0x7e {
			return false // keep to what the policy matcher surely sees as-is
		}
	}
	if strings.ContainsAny(topic, "+#") {
		return true
	}
	return !strings.HasPrefix(topic, "fuzz/") || iotdata.ValidateTopic(topic) != nil
}

var fuzzPanicDir = os.Getenv("TGSIM_FUZZ_PANIC_DIR")

func fzSavePanic(tb testing.TB, target string, data []byte) {
	mqtttest.SavePanicInput(tb.Logf, fuzzPanicDir, target, data)
}

// FuzzIoTDataPackets writes arbitrary bytes after a valid CONNECT of a
// client whose policy allows everything under its own client id, over
// mutual TLS, and checks after every input that the broker still serves
// others (a long-lived subscriber gets what a fresh client publishes, both
// answer PINGREQ), and that a well-formed PUBLISH it had to refuse left a
// Denial.
func FuzzIoTDataPackets(f *testing.F) {
	seed := func(v5 bool, parts ...[]byte) []byte {
		b := byte(0)
		if v5 {
			b = 1
		}
		return append([]byte{b}, bytes.Join(parts, nil)...)
	}
	for _, s := range [][]byte{
		// mochi-mqtt issue 501: MQTT 5 SUBSCRIBE whose filter lacks its
		// options byte.
		seed(true, []byte{0x82, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 'a'}),
		// Topic names with wildcards and NUL.
		seed(false, fzPublish("fuzz/+/x", 0, 0, []byte("p"), false)),
		seed(true, fzPublish("fuzz/#", 1, 7, []byte("p"), true)),
		seed(false, fzPublish("fuzz/a\x00b", 0, 0, []byte("p"), false)),
		seed(true, fzPublish("fuzz/a\x00b", 1, 1, []byte("p"), true)),
		// Remaining length of 268435455, over mochi's packet limit.
		seed(false, []byte{0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 'a'}),
		// A fifth remaining-length byte (malformed).
		seed(true, []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01}),
		// A payload just over MaxPayload (4096): refused by the hook.
		seed(false, fzPublish("fuzz/big", 0, 0, bytes.Repeat([]byte{'x'}, 4097), false)),
		seed(true, fzPublish("fuzz/big", 1, 9, bytes.Repeat([]byte{'x'}, 4097), true)),
		// A second CONNECT on the same connection, taking another
		// client's id.
		seed(false, fzConnect("probe-sub", false)),
		seed(true, fzConnect("probe-sub", true)),
		// PUBLISH with QoS 3, and with QoS 2 (AWS IoT has no QoS 2).
		seed(false, []byte{0x36, 0x07, 0x00, 0x03, 'f', '/', 'x', 0x00, 0x01}),
		seed(true, fzPublish("fuzz/q2", 2, 5, []byte("p"), true)),
		// SUBSCRIBE with an empty filter.
		seed(false, fzSubscribe(1, "", 0, false)),
		seed(true, fzSubscribe(1, "", 1, true)),
		// PUBLISHes the policy refuses: 3.1.1 is disconnected, MQTT 5
		// QoS 1 gets PUBACK 0x87, MQTT 5 QoS 0 DISCONNECT 0x87.
		seed(false, fzPublish("probe/health", 0, 0, []byte("spoof"), false)),
		seed(true, fzPublish("other", 1, 3, []byte("x"), true)),
		seed(true, fzPublish("other", 0, 0, []byte("x"), true)),
		// Valid PUBLISHes, then a DISCONNECT / PINGREQ.
		seed(false, fzPublish("fuzz/ok", 0, 0, []byte(`{"a":1}`), false), []byte{0xe0, 0x00}),
		seed(true, fzPublish("fuzz/ok", 1, 2, []byte(`{"a":1}`), true), fzPingreq),
		// A valid SUBSCRIBE then an UNSUBSCRIBE; a refused SUBSCRIBE.
		seed(true, fzSubscribe(4, "fuzz/#", 1, true), fzPacket(0xa2, append([]byte{0x00, 0x05, 0x00}, str("fuzz/#")...))),
		seed(false, fzSubscribe(6, "#", 1, false)),
		// MQTT 5 topic alias without a topic name.
		seed(true, fzPacket(0x30, []byte{0x00, 0x00, 0x03, 0x23, 0x00, 0x01, 'x'})),
		// Reserved packet types.
		seed(false, []byte{0x00, 0x00}),
		seed(false, []byte{0xf0, 0x00}),
	} {
		f.Add(s)
	}

	e := newFuzzEnv(f)
	addr := e.b.Addr()
	sub, err := fzDial(addr, e.probe, "probe-sub", false)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { sub.Close() })
	sub.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if _, err := sub.Write(fzSubscribe(1, "#", 0, false)); err != nil {
		f.Fatal(err)
	}
	if body, err := sub.ExpectPacket(9, 2*time.Second); err != nil || len(body) < 3 || body[2] >= 0x80 {
		f.Fatalf("probe-sub SUBACK %x: %v", body, err)
	}
	var probes int

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		v5, stream := data[0]&1 == 1, data[1:]
		before := e.b.Stats()
		wantDenial := fzExpectPublishDenial(v5, stream)

		fc, err := fzDial(addr, e.fuzzTLS, "fuzz", v5)
		if err != nil {
			t.Fatalf("the fuzz client's CONNECT was refused: %v", err)
		}
		fc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = fc.Write(stream)
		fc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, _ = io.Copy(io.Discard, fc)
		fc.Close()

		// The broker still serves everyone else.
		probes++
		payload := fmt.Appendf(nil, "probe %d", probes)
		pub, err := fzDial(addr, e.probe, "probe-pub", false)
		if err != nil {
			t.Fatalf("a well-behaved client cannot connect after the input: %v", err)
		}
		defer pub.Close()
		pub.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := pub.Write(append(fzPublish("probe/health", 0, 0, payload, false), fzPingreq...)); err != nil {
			t.Fatalf("probe publish: %v", err)
		}
		if _, err := pub.ExpectPacket(13, 2*time.Second); err != nil {
			t.Fatalf("probe PINGRESP: %v", err)
		}
		sub.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := sub.Write(fzPingreq); err != nil {
			t.Fatalf("subscriber PINGREQ: %v", err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			typ, body, err := sub.ReadPacket(time.Until(deadline))
			if err != nil {
				t.Fatalf("the subscriber did not get the probe %q (Stats %+v): %v", payload, e.b.Stats(), err)
			}
			if typ == 3 && bytes.Equal(body, append(str("probe/health"), payload...)) {
				break
			}
		}

		after := e.b.Stats()
		if wantDenial && after.Denied[iotdata.ActionPublish] == before.Denied[iotdata.ActionPublish] {
			t.Errorf("a PUBLISH the fuzz client may not make was not recorded as refused: Denied %v -> %v, Dropped %v -> %v",
				before.Denied, after.Denied, before.Dropped, after.Dropped)
		}
		if after.Panics > before.Panics {
			t.Logf("contained panic after input %x (Stats().Panics %d -> %d)", data, before.Panics, after.Panics)
			fzSavePanic(t, "FuzzIoTDataPackets", data)
		}
	})
}
