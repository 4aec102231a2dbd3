package thingsgraph

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/sim/tdm"
)

// thingNamePattern is the model's ThingName pattern (api-2.json).
var thingNamePattern = regexp.MustCompile(`^[a-zA-Z0-9:_-]+$`)

// AssociateEntityToThing binds a registry thing to a device (or device
// model) of the namespace, resolved in the latest version or
// namespaceVersion. The thing must exist in AWS IoT: Things Graph calls
// iot:DescribeThing [SAR dependent actions]. AWS: AssociateEntityToThing.
func (s *Service) AssociateEntityToThing(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ThingName        string `json:"thingName"`
		EntityID         string `json:"entityId"`
		NamespaceVersion *int64 `json:"namespaceVersion"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateThingName("thingName", in.ThingName); err != nil {
		return nil, err
	}
	if err := validateURN("entityId", in.EntityID); err != nil {
		return nil, err
	}
	s.mu.RLock()
	snap, err := s.snapshotLocked(ctx, "namespaceVersion", in.NamespaceVersion)
	var e *tdm.Entity
	if err == nil {
		e = s.entityResolverLocked(snap)(tdm.Key(in.EntityID))
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, notFound("entity %s not found in the account or public namespace", in.EntityID)
	}
	if e.Kind != tdm.KindDevice && e.Kind != tdm.KindDeviceModel {
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
	if err := s.commitLocked(&change{things: []string{in.ThingName}}); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "entity associated", "thing", in.ThingName, "entity", e.ID)
	return struct{}{}, nil
}

// DissociateEntityFromThing removes a thing's association with the entity
// of the given type; a thing without one is ResourceNotFoundException.
// AWS: DissociateEntityFromThing.
func (s *Service) DissociateEntityFromThing(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ThingName  string `json:"thingName"`
		EntityType string `json:"entityType"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateThingName("thingName", in.ThingName); err != nil {
		return nil, err
	}
	if in.EntityType == "" {
		return nil, invalidRequest("entityType is required")
	}
	if !entityTypes[in.EntityType] {
		return nil, invalidRequest("entityType %q is not an EntityType", in.EntityType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.things[in.ThingName]
	if m[in.EntityType] == "" {
		return nil, notFound("thing %s has no %s associated", in.ThingName, in.EntityType)
	}
	delete(m, in.EntityType)
	if len(m) == 0 {
		delete(s.things, in.ThingName)
	}
	if err := s.commitLocked(&change{things: []string{in.ThingName}}); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "entity dissociated", "thing", in.ThingName, "entity_type", in.EntityType)
	return struct{}{}, nil
}

// SearchThings lists the things associated with a device, or with any
// device implementing a device model (exact ids, resolved in the latest
// version or namespaceVersion), ordered by thing name. An unknown entity
// is ResourceNotFoundException. AWS: SearchThings.
func (s *Service) SearchThings(ctx context.Context, body []byte) (any, error) {
	var in struct {
		EntityID         string  `json:"entityId"`
		NextToken        *string `json:"nextToken"`
		MaxResults       *int64  `json:"maxResults"`
		NamespaceVersion *int64  `json:"namespaceVersion"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateURN("entityId", in.EntityID); err != nil {
		return nil, err
	}
	q := newPageQuery("SearchThings", []any{tdm.Key(in.EntityID), in.NamespaceVersion})
	region, account := s.region(ctx), s.account(ctx)
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap, err := s.snapshotLocked(ctx, "namespaceVersion", in.NamespaceVersion)
	if err != nil {
		return nil, err
	}
	resolve := s.entityResolverLocked(snap)
	target := resolve(tdm.Key(in.EntityID))
	if target == nil {
		return nil, notFound("entity %s not found in the account or public namespace", in.EntityID)
	}
	var names []string
	for thing, m := range s.things {
		for _, id := range m {
			if tdm.SameURN(id, target.ID) {
				names = append(names, thing)
				break
			}
			if target.Kind == tdm.KindDeviceModel {
				if dev := resolve(tdm.Key(id)); dev != nil && dev.Kind == tdm.KindDevice && implementsRole(dev, target.ID) {
					names = append(names, thing)
					break
				}
			}
		}
	}
	sort.Strings(names)
	from, to, next, err := q.page(len(names), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, 0, to-from)
	for _, n := range names[from:to] {
		out = append(out, map[string]string{"thingName": n, "thingArn": fmt.Sprintf("arn:aws:iot:%s:%s:thing/%s", region, account, n)})
	}
	return pageOut(map[string]any{"things": out}, next), nil
}

// DeviceDefinition returns the device definition with the given id from the
// account or public namespace (in-process inspection, for harnesses that
// drive virtual devices from their TDM definitions).
func (s *Service) DeviceDefinition(region, account, urn string) (*tdm.Device, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.entityResolverLocked(s.accounts[accountNamespaceName(region, account)].latest())(tdm.Key(urn))
	if e == nil || e.Kind != tdm.KindDevice {
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
