package core

import (
	"fmt"
	"strings"
)

// Route is one Greengrass subscription: messages from Source on a topic that
// matches Subject go to Target. Source and Target are a thing ARN, a
// version-qualified function ARN, "cloud" or "GGShadowService".
// AWS: Subscription shape, greengrass/2017-06-07 api-2.json.
type Route struct {
	ID      string
	Source  string
	Subject string
	Target  string
}

// Table is an immutable routing snapshot built from one group version. It is
// shared by every publishing goroutine without locks; a deployment swaps in a
// new Table atomically.
type Table struct {
	routes []Route
	// bySource holds, per source, the exact subjects and the wildcard ones.
	bySource map[string]*sourceRoutes
	// thingByClient maps an MQTT client id (thing name) to the thing ARN.
	thingByClient map[string]string
	// clientByThing is the reverse of thingByClient.
	clientByThing map[string]string
	// certByClient maps a client id to the certificate id its device entry lists.
	certByClient map[string]string
}

type sourceRoutes struct {
	exact    map[string][]string // topic → targets
	wildcard []Route
}

// Device is one entry of the group's device definition the core serves.
type Device struct {
	ThingName string
	ThingArn  string
	CertArn   string
}

// NewTable compiles routes and devices into a Table. Subjects must be valid
// topic filters; an invalid one is an error naming the subscription.
func NewTable(routes []Route, devices []Device) (*Table, error) {
	t := &Table{
		routes:        append([]Route(nil), routes...),
		bySource:      make(map[string]*sourceRoutes),
		thingByClient: make(map[string]string, len(devices)),
		clientByThing: make(map[string]string, len(devices)),
		certByClient:  make(map[string]string, len(devices)),
	}
	for _, d := range devices {
		t.thingByClient[d.ThingName] = d.ThingArn
		t.clientByThing[d.ThingArn] = d.ThingName
		if _, id, ok := strings.Cut(d.CertArn, ":cert/"); ok {
			t.certByClient[d.ThingName] = id
		}
	}
	for _, r := range routes {
		if err := ValidateFilter(r.Subject); err != nil {
			return nil, fmt.Errorf("subscription %s: subject: %w", r.ID, err)
		}
		sr := t.bySource[r.Source]
		if sr == nil {
			sr = &sourceRoutes{exact: make(map[string][]string)}
			t.bySource[r.Source] = sr
		}
		if strings.ContainsAny(r.Subject, "+#") {
			sr.wildcard = append(sr.wildcard, r)
		} else {
			sr.exact[r.Subject] = appendUnique(sr.exact[r.Subject], r.Target)
		}
	}
	return t, nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// Routes returns a copy of the table's subscriptions.
func (t *Table) Routes() []Route { return append([]Route(nil), t.routes...) }

// ThingArn returns the thing ARN of an MQTT client id, if it is a group device.
func (t *Table) ThingArn(clientID string) (string, bool) {
	a, ok := t.thingByClient[clientID]
	return a, ok
}

// CertificateID returns the certificate id the device definition lists for
// a client id (thing name).
func (t *Table) CertificateID(clientID string) (string, bool) {
	id, ok := t.certByClient[clientID]
	return id, ok
}

// ClientID returns the MQTT client id (thing name) of a thing ARN.
func (t *Table) ClientID(thingArn string) (string, bool) {
	c, ok := t.clientByThing[thingArn]
	return c, ok
}

// Targets returns every target a message from source on topic may reach, each
// once. The result may share memory with the table: do not modify it.
func (t *Table) Targets(source, topic string) []string {
	sr := t.bySource[source]
	if sr == nil {
		return nil
	}
	exact := sr.exact[topic]
	if len(sr.wildcard) == 0 {
		return exact
	}
	out := append([]string(nil), exact...)
	for _, r := range sr.wildcard {
		if MatchFilter(r.Subject, topic) {
			out = appendUnique(out, r.Target)
		}
	}
	return out
}

// ValidateFilter checks an MQTT topic filter: non-empty, no NUL, '#' only as
// the whole last level, '+' only as a whole level. [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.3-1]
func ValidateFilter(f string) error {
	if f == "" {
		return fmt.Errorf("topic filter is empty")
	}
	if strings.IndexByte(f, 0) >= 0 {
		return fmt.Errorf("topic filter %q contains NUL", f)
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return fmt.Errorf("topic filter %q: '#' must be the whole last level", f)
		}
		if strings.Contains(l, "+") && l != "+" {
			return fmt.Errorf("topic filter %q: '+' must be a whole level", f)
		}
	}
	return nil
}

// ValidateTopic checks a topic name a client publishes to: non-empty, no NUL,
// no wildcards. [MQTT-3.3.2-2] [MQTT-4.7.3-1]
func ValidateTopic(topic string) error {
	if topic == "" {
		return fmt.Errorf("topic is empty")
	}
	if strings.ContainsAny(topic, "+#\x00") {
		return fmt.Errorf("topic %q contains a wildcard or NUL", topic)
	}
	return nil
}

// MatchFilter reports whether topic matches filter. Topics starting with '$'
// do not match filters starting with a wildcard. [MQTT-4.7.2-1]
func MatchFilter(filter, topic string) bool {
	if filter == topic {
		return true
	}
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	for {
		fl, frest, fmore := strings.Cut(filter, "/")
		tl, trest, tmore := strings.Cut(topic, "/")
		switch {
		case fl == "#":
			return true
		case fl != "+" && fl != tl:
			return false
		}
		if !fmore || !tmore {
			// "a/#" also matches "a" [MQTT-4.7.1-2].
			return fmore == tmore || (fmore && frest == "#")
		}
		filter, topic = frest, trest
	}
}
