package iotdata

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// AWS IoT Core message broker limits. AWS: general/latest/gr/iot-core.html,
// "Message broker and protocol limits and quotas".
const (
	// MaxTopicBytes is the longest topic name or topic filter, in UTF-8 bytes.
	MaxTopicBytes = 256
	// MaxTopicSlashes is how many forward slashes a topic name or filter may
	// hold (8 levels).
	MaxTopicSlashes = 7
	// MaxClientIDBytes is the longest MQTT client id.
	MaxClientIDBytes = 128
	// DefaultMaxPayload is the largest PUBLISH payload: 128 KiB.
	DefaultMaxPayload = 128 * 1024
	// DefaultPublishRate is the per-connection inbound publish quota, per second.
	DefaultPublishRate = 100
	// MaxInflight is how many unacknowledged QoS 1 messages the broker keeps
	// in flight to, and accepts from, one client.
	MaxInflight = 100
	// SessionExpiry is how long a persistent session outlives its
	// connection, in seconds. AWS: iot/latest/developerguide/
	// mqtt-persistent-sessions.html, "By default, a persistent session
	// expires one hour after the message broker detects that a client has
	// disconnected."
	SessionExpiry = 3600
)

// basicIngestPrefix is the Basic Ingest reserved prefix. AWS:
// iot/latest/developerguide/iot-basic-ingest.html: "$aws/rules/ruleName/"
// does not count toward the topic's slash and length limits. [INF: the
// length exemption is read from the same sentence.]
const basicIngestPrefix = "$aws/rules/"

// countedPart is the part of a topic or filter the size limits apply to.
func countedPart(t string) string {
	if rest, ok := strings.CutPrefix(t, basicIngestPrefix); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i+1:]
		}
	}
	return t
}

// ValidateTopic reports whether topic may be the topic name of a PUBLISH to
// AWS IoT Core: non-empty valid UTF-8 with no NUL, no MQTT wildcard ('+',
// '#'), at most MaxTopicBytes bytes and MaxTopicSlashes forward slashes
// (the Basic Ingest prefix "$aws/rules/RULE/" not counted).
func ValidateTopic(topic string) error {
	if topic == "" {
		return fmt.Errorf("topic name is empty")
	}
	if strings.ContainsAny(topic, "+#") {
		return fmt.Errorf("topic name %q holds an MQTT wildcard ('+' or '#')", clip(topic))
	}
	return validateLevels("topic name", topic)
}

// ValidateTopicFilter applies AWS IoT Core's size limits to a SUBSCRIBE
// topic filter (the MQTT wildcard syntax itself is mochi's to check).
func ValidateTopicFilter(filter string) error {
	if filter == "" {
		return fmt.Errorf("topic filter is empty")
	}
	return validateLevels("topic filter", filter)
}

func validateLevels(what, t string) error {
	if strings.IndexByte(t, 0) >= 0 {
		return fmt.Errorf("%s %q holds a NUL character", what, clip(t))
	}
	if !utf8.ValidString(t) {
		return fmt.Errorf("%s %q is not valid UTF-8", what, clip(t))
	}
	c := countedPart(t)
	if len(c) > MaxTopicBytes {
		return fmt.Errorf("%s is %d bytes long, over AWS IoT's %d-byte limit", what, len(c), MaxTopicBytes)
	}
	if n := strings.Count(c, "/"); n > MaxTopicSlashes {
		return fmt.Errorf("%s %q has %d forward slashes, over AWS IoT's limit of %d", what, clip(t), n, MaxTopicSlashes)
	}
	return nil
}

// clip shortens a topic for an error message.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:80] + "..."
}
