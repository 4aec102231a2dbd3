package greengrass

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ConnectivityInfo is one endpoint where a core can be reached.
// AWS: shape ConnectivityInfo.
type ConnectivityInfo struct {
	HostAddress string `json:"HostAddress,omitempty"`
	ID          string `json:"Id,omitempty"`
	Metadata    string `json:"Metadata,omitempty"`
	PortNumber  int32  `json:"PortNumber,omitempty"`
}

// ThingConnectivity is the connectivity information of one core thing, as
// UpdateConnectivityInfo last set it.
type ThingConnectivity struct {
	ThingName string
	Info      []ConnectivityInfo
	// Version changes at every update; empty when never set.
	Version   string
	UpdatedAt time.Time
}

// ConnectivityBackend is the optional part of a Backend that stores core
// connectivity information (found by type assertion). Memory implements it.
// Connectivity information belongs to a thing name, not to a group: AWS
// does not check that the thing exists or is a core.
type ConnectivityBackend interface {
	// PutConnectivity replaces the thing's connectivity information.
	PutConnectivity(ctx context.Context, c ThingConnectivity) error
	// Connectivity returns the thing's connectivity information; a thing
	// never updated has none (no error, empty Version).
	Connectivity(ctx context.Context, thingName string) (ThingConnectivity, error)
}

func (s *Service) connectivityBackend() (ConnectivityBackend, error) {
	cb, ok := s.backend.(ConnectivityBackend)
	if !ok {
		return nil, notImplemented("connectivity information (the Backend does not implement ConnectivityBackend)")
	}
	return cb, nil
}

// GetConnectivityInfo serves GET /greengrass/things/{ThingName}/connectivityInfo.
// [INF] A thing never updated answers an empty list, not an error.
func (s *Service) GetConnectivityInfo(w http.ResponseWriter, r *http.Request, p pathParams) error {
	cb, err := s.connectivityBackend()
	if err != nil {
		return err
	}
	c, err := cb.Connectivity(r.Context(), p["ThingName"])
	if err != nil {
		return err
	}
	if c.Info == nil {
		c.Info = []ConnectivityInfo{}
	}
	reply(w, struct{ ConnectivityInfo []ConnectivityInfo }{c.Info})
	return nil
}

// UpdateConnectivityInfo serves PUT /greengrass/things/{ThingName}/connectivityInfo.
// The list replaces the previous one; the answer carries a new Version.
func (s *Service) UpdateConnectivityInfo(w http.ResponseWriter, r *http.Request, p pathParams) error {
	var in struct{ ConnectivityInfo []ConnectivityInfo }
	if err := decode(r, &in); err != nil {
		return err
	}
	thing := p["ThingName"]
	if !iotNamePattern.MatchString(thing) {
		return badRequest("ThingName %q must match [a-zA-Z0-9:_-]+ and be at most 128 characters.", thing)
	}
	if err := validateConnectivity(in.ConnectivityInfo); err != nil {
		return err
	}
	cb, err := s.connectivityBackend()
	if err != nil {
		return err
	}
	c := ThingConnectivity{ThingName: thing, Info: in.ConnectivityInfo, Version: s.opts.NewID(), UpdatedAt: s.opts.Now()}
	if err := cb.PutConnectivity(r.Context(), c); err != nil {
		return err
	}
	reply(w, struct{ Version string }{c.Version})
	return nil
}

// validateConnectivity checks each endpoint. [INF] The model requires no
// member; the console and the IP detector always send Id, HostAddress and
// PortNumber, and a core cannot be reached without them.
func validateConnectivity(info []ConnectivityInfo) error {
	var v validator
	seen := map[string]bool{}
	for i, c := range info {
		// Ids are free text: the IP detector writes AUTOIP_192.168.1.10_0.
		v.required(fmt.Sprintf("ConnectivityInfo[%d].Id", i), c.ID)
		if c.ID != "" && seen[c.ID] {
			v.add("ConnectivityInfo[%d].Id %q is used by more than one entry", i, c.ID)
		}
		seen[c.ID] = true
		v.required(fmt.Sprintf("ConnectivityInfo[%d].HostAddress", i), c.HostAddress)
		if c.PortNumber < 1 || c.PortNumber > 65535 {
			v.add("%s must be between 1 and 65535, got %d", fmt.Sprintf("ConnectivityInfo[%d].PortNumber", i), c.PortNumber)
		}
	}
	if len(v.problems) == 0 {
		return nil
	}
	return badRequest("The connectivity information is invalid. (ErrorDetails: [%s])", strings.Join(v.problems, ", "))
}
