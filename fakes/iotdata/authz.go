package iotdata

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tgsim/tgsim/fakes/policy"
)

// IoT policy actions. AWS: iot/latest/developerguide/iot-policy-actions.html.
const (
	ActionConnect   = "iot:Connect"
	ActionPublish   = "iot:Publish"
	ActionSubscribe = "iot:Subscribe"
	ActionReceive   = "iot:Receive"
)

// identity is what a connection's policies are evaluated for.
type identity struct {
	clientID   string
	certID     string
	thingName  string // set only when the client id names an attached thing
	isAttached bool
	commonName string
}

// context builds the IoT policy variables of a connection. AWS:
// iot/latest/developerguide/basic-policy-variables.html (iot:ClientId),
// thing-policy-variables.html ("the value of clientId in the MQTT connect
// message ... must exactly match the thing name"; IsAttached "true" only
// for a thing attached to the certificate), cert-policy-variables.html
// (iot:Certificate.Subject.CommonName). iot:Connection.Thing.ThingTypeName
// and Attributes[...] are not set: the registry hook does not carry them
// [INF: statements that need them do not match, as when AWS cannot resolve
// them].
func (id *identity) context() policy.Context {
	c := policy.Context{}
	c.Set("iot:ClientId", id.clientID)
	c.Set("iot:Connection.Thing.IsAttached", fmt.Sprint(id.isAttached))
	if id.thingName != "" {
		c.Set("iot:Connection.Thing.ThingName", id.thingName)
	}
	if id.commonName != "" {
		c.Set("iot:Certificate.Subject.CommonName", id.commonName)
	}
	return c
}

// newIdentity builds a connection's identity from what the registry said.
func newIdentity(clientID, certID string, things []string, cert *x509.Certificate) *identity {
	id := &identity{clientID: clientID, certID: certID}
	if slices.Contains(things, clientID) {
		id.thingName, id.isAttached = clientID, true
	}
	if cert != nil {
		id.commonName = cert.Subject.CommonName
	}
	return id
}

// authorizer evaluates IoT policies.
type authorizer struct {
	arnPrefix string // arn:aws:iot:REGION:ACCOUNT:
	policies  func(certID string) []string

	mu     sync.Mutex
	parsed map[string]*policy.Policy // by document text; nil value = unparsable
}

func newAuthorizer(region, account string, policies func(string) []string) *authorizer {
	return &authorizer{
		arnPrefix: "arn:aws:iot:" + region + ":" + account + ":",
		policies:  policies,
		parsed:    map[string]*policy.Policy{},
	}
}

// Resource ARNs. AWS: iot/latest/developerguide/iot-action-resources.html:
// iot:Connect on client/CLIENTID, iot:Publish and iot:Receive on
// topic/TOPIC, iot:Subscribe on topicfilter/FILTER.
func (a *authorizer) clientARN(id string) string     { return a.arnPrefix + "client/" + id }
func (a *authorizer) topicARN(t string) string       { return a.arnPrefix + "topic/" + t }
func (a *authorizer) topicFilterARN(f string) string { return a.arnPrefix + "topicfilter/" + f }

// maxParsed bounds the parse cache; it is cleared when full.
const maxParsed = 4096

func (a *authorizer) parse(doc string) *policy.Policy {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.parsed[doc]; ok {
		return p
	}
	if len(a.parsed) >= maxParsed {
		clear(a.parsed)
	}
	p, err := policy.Parse(doc)
	if err != nil {
		p = nil // the registry validates documents; a bad one grants nothing
	}
	a.parsed[doc] = p
	return p
}

// decide evaluates action on resource for id. It returns "" when allowed,
// else the reason. Policies are identity-style: an Allow is needed and an
// explicit Deny wins. AWS: iot/latest/developerguide/iot-policies.html.
//
// In IoT policies '*' and '?' are the wildcards of a resource and MQTT's
// '+' and '#' are literal characters (AWS: iot/latest/developerguide/
// pub-sub-policy.html, "MQTT wildcard characters ... are treated as
// literal"); fakes/policy's default matcher does exactly that, and keeps
// substituted variable values literal.
func (a *authorizer) decide(id *identity, action, resource string) string {
	docs := a.policies(id.certID)
	set := policy.Set{Identity: make([]policy.NamedPolicy, 0, len(docs))}
	for i, d := range docs {
		if p := a.parse(d); p != nil {
			set.Identity = append(set.Identity, policy.NamedPolicy{ID: fmt.Sprintf("policy[%d]", i), Policy: p})
		}
	}
	res := policy.Evaluate(set, &policy.Request{Action: action, Resource: resource, Context: id.context()}, policy.Options{})
	switch res.Decision {
	case policy.Allowed:
		return ""
	case policy.ExplicitDeny:
		var parts []string
		for _, m := range res.Matched {
			s := fmt.Sprintf("%s statement %d", m.PolicyID, m.Statement)
			if m.Sid != "" {
				s += fmt.Sprintf(" (Sid %q)", m.Sid)
			}
			parts = append(parts, s)
		}
		return "explicit Deny in " + strings.Join(parts, ", ")
	}
	if res.Err != nil {
		return ReasonNoAllow + " (" + res.Err.Error() + ")"
	}
	if len(docs) == 0 {
		return ReasonNoAllow + " (no policy attached to the certificate)"
	}
	return ReasonNoAllow
}
