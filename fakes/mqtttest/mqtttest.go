// Package mqtttest writes MQTT 3.1.1 and 5 packets by hand and reads the
// answers, for tests and fuzz targets that must send what no client
// library would (truncated, oversize or malformed packets) to tgsim's
// brokers: the Greengrass core and the AWS IoT data plane.
package mqtttest

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Varint is MQTT's variable byte integer.
func Varint(n int) []byte {
	var out []byte
	for {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			return out
		}
	}
}

// Packet is a fixed header byte, the remaining length, then body.
func Packet(header byte, body []byte) []byte {
	return append(append([]byte{header}, Varint(len(body))...), body...)
}

// Str is an MQTT UTF-8 string: a two-byte length, then the bytes.
func Str(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }

// Connect is a CONNECT with clean session (start), keep-alive 60 s and no
// properties.
func Connect(clientID string, v5 bool) []byte {
	level := byte(4)
	if v5 {
		level = 5
	}
	body := []byte{0x00, 0x04, 'M', 'Q', 'T', 'T', level, 0x02, 0x00, 0x3c}
	if v5 {
		body = append(body, 0x00)
	}
	return Packet(0x10, append(body, Str(clientID)...))
}

// Subscribe is a SUBSCRIBE of one filter.
func Subscribe(pid uint16, filter string, qos byte, v5 bool) []byte {
	body := []byte{byte(pid >> 8), byte(pid)}
	if v5 {
		body = append(body, 0x00)
	}
	body = append(append(body, Str(filter)...), qos)
	return Packet(0x82, body)
}

// Publish is a PUBLISH; pid is written for QoS above 0.
func Publish(topic string, qos byte, pid uint16, payload []byte, v5 bool) []byte {
	body := Str(topic)
	if qos > 0 {
		body = append(body, byte(pid>>8), byte(pid))
	}
	if v5 {
		body = append(body, 0x00)
	}
	return Packet(0x30|qos<<1, append(body, payload...))
}

// Pingreq is a PINGREQ.
var Pingreq = []byte{0xc0, 0x00}

// Conn is a hand-driven MQTT connection.
type Conn struct {
	net.Conn
	r *bufio.Reader
}

// NewConn wraps a connection (TCP or TLS).
func NewConn(c net.Conn) *Conn { return &Conn{Conn: c, r: bufio.NewReader(c)} }

// ReadPacket returns the next packet's type (the high nibble) and body.
func (c *Conn) ReadPacket(d time.Duration) (typ byte, body []byte, err error) {
	c.SetReadDeadline(time.Now().Add(d))
	h, err := c.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, mul := 0, 1
	for i := 0; ; i++ {
		b, err := c.r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		if i == 4 {
			return 0, nil, errors.New("malformed remaining length from the broker")
		}
		n += int(b&0x7f) * mul
		if b&0x80 == 0 {
			break
		}
		mul *= 128
	}
	body = make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return 0, nil, err
	}
	return h >> 4, body, nil
}

// ExpectPacket reads until a packet of type typ. It fails on anything else but
// PUBLISH and PINGRESP, which may arrive at any time.
func (c *Conn) ExpectPacket(typ byte, d time.Duration) ([]byte, error) {
	deadline := time.Now().Add(d)
	for {
		got, body, err := c.ReadPacket(time.Until(deadline))
		if err != nil {
			return nil, fmt.Errorf("waiting for packet type %d: %w", typ, err)
		}
		if got == typ {
			return body, nil
		}
		if got != 3 && got != 13 {
			return nil, fmt.Errorf("got packet type %d (%x), want %d", got, body, typ)
		}
	}
}

// Handshake wraps nc, sends a CONNECT for clientID (MQTT 3.1.1, or 5 with
// v5) and waits for a successful CONNACK; on any failure it closes nc.
func Handshake(nc net.Conn, clientID string, v5 bool) (*Conn, error) {
	c := NewConn(nc)
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(Connect(clientID, v5)); err != nil {
		c.Close()
		return nil, err
	}
	body, err := c.ExpectPacket(2, 2*time.Second)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("CONNACK for %s: %w", clientID, err)
	}
	if len(body) < 2 || body[1] != 0 {
		c.Close()
		return nil, fmt.Errorf("CONNACK for %s = %x, want success", clientID, body)
	}
	return c, nil
}

// SavePanicInput writes data, in the testdata/fuzz corpus format, under
// dir/target when dir is set (a fuzz target's TGSIM_FUZZ_PANIC_DIR): the
// inputs after which a broker counted a contained panic, to replay.
// Errors are logged, not fatal.
func SavePanicInput(logf func(format string, args ...any), dir, target string, data []byte) {
	if dir == "" {
		return
	}
	dir = filepath.Join(dir, target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		logf("save panic input: %v", err)
		return
	}
	name := filepath.Join(dir, hex.EncodeToString(data[:min(len(data), 16)])+fmt.Sprintf("-%d", len(data)))
	if err := os.WriteFile(name, fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data), 0o644); err != nil {
		logf("save panic input: %v", err)
	}
}
