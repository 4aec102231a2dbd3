package greengrass

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// DiscoveryPathPrefix is where the Discovery API answers:
// GET /greengrass/discover/thing/{thingName}. In AWS it is served over
// mutual TLS on port 8443 (or 443 with ALPN x-amzn-http-ca) of the
// greengrass-ats.iot.REGION.amazonaws.com data endpoint, and the client
// certificate is the device's AWS IoT certificate.
// AWS: Greengrass v1 developer guide, "Greengrass Discovery RESTful API".
const DiscoveryPathPrefix = "/greengrass/discover/thing/"

// ErrNoClientCertificate is what ClientCertificateVerifier's function
// returns for a request without a TLS client certificate.
var ErrNoClientCertificate = errors.New("greengrass discovery: request carries no TLS client certificate")

// ClientCertificateVerifier adapts a registry check that takes the DER of
// a client certificate (the IoT fake's VerifyClientCertificate) into the
// verify function DiscoveryHandler wants. The request's first peer
// certificate is checked; the TLS layer must already have verified the
// chain or, as AWS IoT does, accept any certificate and leave the decision
// to the registry.
func ClientCertificateVerifier(check func(der []byte) (thingNames []string, certID string, err error)) func(*http.Request) ([]string, error) {
	return func(r *http.Request) ([]string, error) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return nil, ErrNoClientCertificate
		}
		things, _, err := check(r.TLS.PeerCertificates[0].Raw)
		return things, err
	}
}

// discoveryConnectivity, discoveryCore and discoveryGroup are the
// documented response document (lower camel case inside a core, as the
// AWS IoT Device SDKs parse it).
type discoveryConnectivity struct {
	ID          string `json:"id"`
	HostAddress string `json:"hostAddress"`
	PortNumber  int32  `json:"portNumber"`
	Metadata    string `json:"metadata"`
}

type discoveryCore struct {
	ThingArn     string                  `json:"thingArn"`
	Connectivity []discoveryConnectivity `json:"Connectivity"`
}

type discoveryGroup struct {
	GGGroupID string          `json:"GGGroupId"`
	Cores     []discoveryCore `json:"Cores"`
	CAs       []string        `json:"CAs"`
}

// DiscoveryHandler returns the Greengrass Discovery API as an http.Handler,
// to be served over TLS that asks for a client certificate. verify (not
// nil) names the things the request's certificate is attached to; the
// caller checks the certificate against the IoT registry (see
// ClientCertificateVerifier). The answers:
//
//   - 403 {"message":null,"traceId":...} when verify fails or the
//     certificate is not attached to the thing in the path (in AWS: the
//     certificate's policy does not allow greengrass:Discover for it);
//   - 404 {"errorMessage":"The thing provided for discovery was not found"}
//     when no group is found for the thing;
//   - 200 {"GGGroups":[...]} with, for every group whose latest deployed
//     group version lists the thing as a device or as its core, the core's
//     thing ARN, its connectivity information and the group's CAs.
//
// Divergence: AWS drops the TLS connection for an inactive certificate;
// here verify's error becomes a 403. [INF] "Deployed" is the group's newest
// deployment that did not fail; a group whose newest such deployment is a
// reset is not discoverable. Groups whose core has no connectivity
// information are left out (AWS: 404 when "none of the groups have an
// MQTT broker endpoint"). CAs lists every CA of the group, active first.
func (s *Service) DiscoveryHandler(verify func(r *http.Request) (thingNames []string, err error)) http.Handler {
	if verify == nil {
		panic("greengrass: DiscoveryHandler needs a verify function")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := awsproto.NewRequestID()
		awsproto.SetRequestIDHeaders(w.Header(), id)
		ctx = awsproto.WithRequestID(ctx, id)
		notFound := func() {
			awsproto.WriteJSON(w, http.StatusNotFound, "application/json", map[string]string{"errorMessage": "The thing provided for discovery was not found"})
		}
		rest, ok := strings.CutPrefix(r.URL.EscapedPath(), DiscoveryPathPrefix)
		thing, err := url.PathUnescape(rest)
		if !ok || err != nil || thing == "" || strings.Contains(rest, "/") {
			notFound()
			return
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			awsproto.WriteJSON(w, http.StatusMethodNotAllowed, "application/json", map[string]string{"errorMessage": "Method " + r.Method + " is not allowed"})
			return
		}
		things, err := verify(r)
		if err != nil || !slices.Contains(things, thing) {
			s.log.DebugContext(ctx, "discovery refused", "thing", thing, "certificate_things", things, "error", err, "request_id", id)
			awsproto.WriteJSON(w, http.StatusForbidden, "application/json", struct {
				Message *string `json:"message"`
				TraceID string  `json:"traceId"`
			}{nil, id})
			return
		}
		groups, err := s.discover(ctx, thing)
		if err != nil {
			s.log.ErrorContext(ctx, "discovery failed", "thing", thing, "error", err, "request_id", id)
			awsproto.WriteJSON(w, http.StatusInternalServerError, "application/json", map[string]string{"errorMessage": "Internal error"})
			return
		}
		if len(groups) == 0 {
			notFound()
			return
		}
		s.log.DebugContext(ctx, "discovery", "thing", thing, "groups", len(groups), "request_id", id)
		awsproto.WriteJSON(w, http.StatusOK, "application/json", struct {
			GGGroups []discoveryGroup `json:"GGGroups"`
		}{groups})
	})
}

// discover returns the discovery document's groups for thing, without the
// TLS and certificate check: what DiscoveryHandler answers to a device
// whose certificate is attached to thing. No group is not an error.
func (s *Service) discover(ctx context.Context, thing string) ([]discoveryGroup, error) {
	all, err := s.backend.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	var out []discoveryGroup
	for _, g := range all {
		core, member, err := s.deployedMembership(ctx, g.ID, thing)
		if err != nil {
			return nil, err
		}
		if !member {
			continue
		}
		var conn []discoveryConnectivity
		if cb, ok := s.backend.(ConnectivityBackend); ok {
			c, err := cb.Connectivity(ctx, thingNameOf(core.ThingArn))
			if err != nil {
				return nil, err
			}
			for _, ci := range c.Info {
				conn = append(conn, discoveryConnectivity{ci.ID, ci.HostAddress, ci.PortNumber, ci.Metadata})
			}
		}
		if len(conn) == 0 {
			continue
		}
		cas, err := s.groupCAs(ctx, g.ID)
		if err != nil {
			if ignoreMissing(err) == nil {
				continue // deleted meanwhile
			}
			return nil, err
		}
		dg := discoveryGroup{GGGroupID: g.ID, Cores: []discoveryCore{{ThingArn: core.ThingArn, Connectivity: conn}}}
		for _, ca := range cas {
			dg.CAs = append(dg.CAs, string(ca.CertificatePEM))
		}
		out = append(out, dg)
	}
	return out, nil
}

// deployedMembership finds the group's deployed version and reports its
// core and whether thing is that core or one of its devices.
func (s *Service) deployedMembership(ctx context.Context, groupID, thing string) (Core, bool, error) {
	ds, err := s.backend.ListDeployments(ctx, groupID)
	if err != nil {
		return Core{}, false, err
	}
	i := slices.IndexFunc(ds, func(d Deployment) bool { return d.Status != StatusFailure })
	if i < 0 || ds[i].Type.isReset() {
		return Core{}, false, nil
	}
	v, err := s.backend.GetGroupVersion(ctx, groupID, ds[i].GroupVersionID)
	if err != nil {
		return Core{}, false, ignoreMissing(err)
	}
	cores, err := s.versionContent(ctx, v.Definition.CoreDefinitionVersionArn)
	if err != nil || len(cores.Cores) == 0 {
		return Core{}, false, err
	}
	core := cores.Cores[0]
	if thingNameOf(core.ThingArn) == thing {
		return core, true, nil
	}
	members, err := s.discoveryMembers(ctx, v.Definition.DeviceDefinitionVersionArn)
	if err != nil {
		return Core{}, false, err
	}
	if members[thing] {
		return core, true, nil
	}
	return Core{}, false, nil
}

// discoveryMembers returns the thing names of a device definition
// version. A version never changes once created, so the set is computed
// once per ARN: with a thousand devices discovering, reading the whole
// definition per call made discovery quadratic in the group's size. A
// version deleted later stays cached; its group version can no longer be
// deployed, so no deployment leads discovery to it.
func (s *Service) discoveryMembers(ctx context.Context, arn string) (map[string]bool, error) {
	if arn == "" {
		return nil, nil
	}
	if m, ok := s.deviceSets.Load(arn); ok {
		return m.(map[string]bool), nil
	}
	devices, err := s.versionContent(ctx, arn)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(devices.Devices))
	for _, d := range devices.Devices {
		m[thingNameOf(d.ThingArn)] = true
	}
	if len(devices.Devices) > 0 {
		s.deviceSets.Store(arn, m)
	}
	return m, nil
}

// versionContent loads the definition version arn names; an empty arn or
// a version deleted since has no content.
func (s *Service) versionContent(ctx context.Context, arn string) (DefinitionContent, error) {
	if arn == "" {
		return DefinitionContent{}, nil
	}
	kind, id, version, ok := splitDefinitionVersionArn(arn)
	if !ok {
		return DefinitionContent{}, nil
	}
	v, err := s.backend.GetDefinitionVersion(ctx, kind, id, version)
	if err != nil {
		return DefinitionContent{}, ignoreMissing(err)
	}
	return v.Content, nil
}

// ignoreMissing drops the not-found errors of resources deleted since a
// deployment referenced them.
func ignoreMissing(err error) error {
	if e := awsproto.AsError(err); e != nil && e.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// thingNameOf returns NAME of arn:...:iot:...:thing/NAME, or "".
func thingNameOf(arn string) string {
	a, err := awsproto.ParseARN(arn)
	if err != nil || a.Service != "iot" {
		return ""
	}
	name, _ := strings.CutPrefix(a.Resource, "thing/")
	return name
}
