package iotdata_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"testing"
	"time"
)

// raw5 is a hand-driven MQTT 5 connection (paho.mqtt.golang speaks 3.1.1).
type raw5 struct {
	t    *testing.T
	conn *tls.Conn
	r    *bufio.Reader
}

func (e *env) dial5(clientID string, cert tls.Certificate) *raw5 {
	e.t.Helper()
	conn, err := tls.Dial("tcp", e.b.Addr(), &tls.Config{RootCAs: e.roots, Certificates: []tls.Certificate{cert}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	c := &raw5{t: e.t, conn: conn, r: bufio.NewReader(conn)}
	// CONNECT: protocol name, level 5, clean start, keepalive 60, no
	// properties, client id.
	body := append([]byte{0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3c, 0x00}, str(clientID)...)
	c.send(0x10, body)
	return c
}

func str(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }

func (c *raw5) send(header byte, body []byte) {
	c.t.Helper()
	if len(body) > 127 {
		c.t.Fatal("raw5: body too long for this test helper")
	}
	if _, err := c.conn.Write(append([]byte{header, byte(len(body))}, body...)); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next packet's type nibble and body; ok is false when the
// broker closed the connection.
func (c *raw5) read() (typ byte, body []byte, ok bool) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	h, err := c.r.ReadByte()
	if err != nil {
		return 0, nil, false
	}
	n, mul := 0, 1
	for {
		b, err := c.r.ReadByte()
		if err != nil {
			return 0, nil, false
		}
		n += int(b&0x7f) * mul
		if b&0x80 == 0 {
			break
		}
		mul *= 128
	}
	body = make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return 0, nil, false
	}
	return h >> 4, body, true
}

func TestMQTT5Refusals(t *testing.T) {
	e := newEnv(t, nil)
	bare, _ := e.device("")
	cert, _ := e.device("", policyDoc(allow("iot:Connect", "*"), allow("iot:Publish", arn("topic/ok")), allow("iot:Subscribe", arn("topicfilter/ok"))))

	// No policy: CONNACK reason 0x87 Not authorized.
	c := e.dial5("nopolicy", bare)
	if typ, body, ok := c.read(); !ok || typ != 2 || len(body) < 2 || body[1] != 0x87 {
		t.Fatalf("CONNACK = %d %x %v; want reason 0x87", typ, body, ok)
	}

	c = e.dial5("v5", cert)
	if typ, body, ok := c.read(); !ok || typ != 2 || body[1] != 0 {
		t.Fatalf("CONNACK = %d %x %v; want success", typ, body, ok)
	}
	// SUBSCRIBE "no": SUBACK 0x87 for that filter; "ok": granted QoS 1.
	sub := append([]byte{0x00, 0x01, 0x00}, append(append(str("no"), 0x01), append(str("ok"), 0x01)...)...)
	c.send(0x82, sub)
	typ, body, ok := c.read()
	if !ok || typ != 9 || len(body) < 5 || body[len(body)-2] != 0x87 || body[len(body)-1] != 0x01 {
		t.Fatalf("SUBACK = %d %x %v; want reasons 87 01", typ, body, ok)
	}
	// PUBLISH QoS 1 to a denied topic: PUBACK 0x87, the connection stays.
	pub := append(str("no"), 0x00, 0x02, 0x00, 'x')
	c.send(0x32, pub)
	if typ, body, ok := c.read(); !ok || typ != 4 || len(body) < 3 || body[2] != 0x87 {
		t.Fatalf("PUBACK = %d %x %v; want reason 0x87", typ, body, ok)
	}
	e.waitDenial("iot:Publish", arn("topic/no"))
	pub = append(str("ok"), 0x00, 0x03, 0x00, 'y')
	c.send(0x32, pub)
	typ, body, ok = c.read()
	if ok && typ == 3 { // our own subscription to "ok" delivers first
		typ, body, ok = c.read()
	}
	if !ok || typ != 4 || (len(body) > 2 && body[2] >= 0x80) {
		t.Fatalf("PUBACK for an allowed publish = %d %x %v", typ, body, ok)
	}
	// PUBLISH QoS 0 to a denied topic: DISCONNECT 0x87.
	c.send(0x30, append(str("no"), 0x00, 'z'))
	for {
		typ, body, ok := c.read()
		if !ok {
			t.Fatal("connection closed without a DISCONNECT")
		}
		if typ == 14 {
			if len(body) < 1 || body[0] != 0x87 {
				t.Errorf("DISCONNECT = %x, want reason 0x87", body)
			}
			break
		}
	}
}
