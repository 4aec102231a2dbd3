package thingsgraph

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/sim/tdm"
)

// thingNamePattern is the model's ThingName pattern (api-2.json).
var thingNamePattern = regexp.MustCompile(`^[a-zA-Z0-9:_-]+$`)

// AssociateEntityToThing binds a registry thing to a device (or device
// model) of the namespace. The thing must exist in AWS IoT: Things Graph
// calls iot:DescribeThing [SAR dependent actions]. AWS: AssociateEntityToThing.
func (s *Service) AssociateEntityToThing(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ThingName        string `json:"thingName"`
		EntityID         string `json:"entityId"`
		NamespaceVersion *int64 `json:"namespaceVersion"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.ThingName == "" || len(in.ThingName) > 128 || !thingNamePattern.MatchString(in.ThingName) {
		return nil, invalidRequest("thingName %q must be 1-128 characters of [a-zA-Z0-9:_-]", in.ThingName)
	}
	if err := validateURN("entityId", in.EntityID); err != nil {
		return nil, err
	}
	s.mu.RLock()
	acct := s.accounts[accountNamespaceName(s.region(ctx), s.account(ctx))]
	e := s.resolverLocked(acct)(tdm.Key(in.EntityID))
	s.mu.RUnlock()
	if e == nil {
		return nil, notFound("entity %s not found in the account or public namespace", in.EntityID)
	}
	if e.Kind != tdm.Kind("DEVICE") && e.Kind != tdm.Kind("DEVICE_MODEL") {
		return nil, invalidRequest("entity %s is a %s; only a DEVICE or DEVICE_MODEL can be associated with a thing", in.EntityID, e.Kind)
	}
	// Dependent action iot:DescribeThing [SAR], made as the caller.
	if _, err := s.iotFor(ctx).DescribeThing(ctx, &iot.DescribeThingInput{ThingName: &in.ThingName}); err != nil {
		var nf *iottypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, notFound("thing %s does not exist in AWS IoT", in.ThingName)
		}
		var ae smithy.APIError
		if errors.As(err, &ae) && strings.HasPrefix(ae.ErrorCode(), "AccessDenied") {
			return nil, accessDenied("AssociateEntityToThing needs iot:DescribeThing on the thing: %s", ae.ErrorMessage())
		}
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.things[in.ThingName]
	if m == nil {
		m = map[string]string{}
		s.things[in.ThingName] = m
	}
	m[string(e.Kind)] = e.ID
	s.log.InfoContext(ctx, "entity associated", "thing", in.ThingName, "entity", e.ID)
	return struct{}{}, nil
}

// DeviceDefinition returns the device definition with the given id from the
// account or public namespace (in-process inspection, for harnesses that
// drive virtual devices from their TDM definitions).
func (s *Service) DeviceDefinition(region, account, urn string) (*tdm.Device, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.resolverLocked(s.accounts[accountNamespaceName(region, account)])(tdm.Key(urn))
	if e == nil || e.Kind != tdm.Kind("DEVICE") {
		return nil, false
	}
	set, errs := tdm.ExtractSource(&tdm.Document{Definitions: []*tdm.Definition{e.Def}}, e.Text)
	if len(errs) > 0 {
		return nil, false
	}
	d := set.Devices[tdm.Key(urn)]
	return d, d != nil
}

// AssociatedDevice returns the device URN associated with a thing.
func (s *Service) AssociatedDevice(thing string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id := s.things[thing]["DEVICE"]
	return id, id != ""
}
