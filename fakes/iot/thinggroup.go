package iot

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

type thingGroupProperties struct {
	ThingGroupDescription string            `json:"thingGroupDescription,omitempty"`
	AttributePayload      *attributePayload `json:"attributePayload,omitempty"`
}

type groupNameAndArn struct {
	GroupName string `json:"groupName"`
	GroupArn  string `json:"groupArn"`
}

// validateGroupProperties checks the description (at most 2028
// characters) and the attributes.
func validateGroupProperties(p *thingGroupProperties) error {
	if p == nil {
		return nil
	}
	if len(p.ThingGroupDescription) > 2028 {
		return validationError("thingGroupProperties.thingGroupDescription", p.ThingGroupDescription, "Member must have length less than or equal to 2028")
	}
	if p.AttributePayload != nil {
		return validateAttributes("thingGroupProperties.attributePayload.attributes", p.AttributePayload.Attributes)
	}
	return nil
}

// CreateThingGroup is POST /thing-groups/{thingGroupName}.
func (s *Service) CreateThingGroup(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingGroupName")
	if err := validateName("thingGroupName", name); err != nil {
		return err
	}
	var in struct {
		ParentGroupName      string                `json:"parentGroupName"`
		ThingGroupProperties *thingGroupProperties `json:"thingGroupProperties"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.ParentGroupName != "" {
		if err := validateName("parentGroupName", in.ParentGroupName); err != nil {
			return err
		}
		if in.ParentGroupName == name {
			return invalidRequest("A thing group cannot be its own parent.")
		}
	}
	if err := validateGroupProperties(in.ThingGroupProperties); err != nil {
		return err
	}
	account, region := s.scope(r.Context())
	g := ThingGroup{
		Name: name, ID: s.opts.NewID(), ARN: "arn:aws:iot:" + region + ":" + account + ":thinggroup/" + name,
		Parent: in.ParentGroupName, Attributes: map[string]string{}, CreatedAt: s.opts.Now(),
	}
	if p := in.ThingGroupProperties; p != nil {
		g.Description = p.ThingGroupDescription
		if p.AttributePayload != nil {
			for k, v := range p.AttributePayload.Attributes {
				if v != "" {
					g.Attributes[k] = v
				}
			}
		}
	}
	g, err := s.backend.CreateThingGroup(r.Context(), g)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		ThingGroupName string `json:"thingGroupName"`
		ThingGroupArn  string `json:"thingGroupArn"`
		ThingGroupID   string `json:"thingGroupId"`
	}{g.Name, g.ARN, g.ID})
}

// DescribeThingGroup is GET /thing-groups/{thingGroupName}.
func (s *Service) DescribeThingGroup(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingGroupName")
	if err := validateName("thingGroupName", name); err != nil {
		return err
	}
	g, err := s.backend.GetThingGroup(r.Context(), name)
	if err != nil {
		return err
	}
	// rootToParentThingGroups: the chain from the root down to the parent.
	chain := []groupNameAndArn{}
	for p := g.Parent; p != ""; {
		pg, err := s.backend.GetThingGroup(r.Context(), p)
		if err != nil {
			break // deleted concurrently: report what is left
		}
		chain = append(chain, groupNameAndArn{pg.Name, pg.ARN})
		p = pg.Parent
	}
	slices.Reverse(chain)
	type metadata struct {
		ParentGroupName         string            `json:"parentGroupName,omitempty"`
		RootToParentThingGroups []groupNameAndArn `json:"rootToParentThingGroups"`
		CreationDate            epoch             `json:"creationDate"`
	}
	return writeJSON(w, struct {
		ThingGroupName       string               `json:"thingGroupName"`
		ThingGroupID         string               `json:"thingGroupId"`
		ThingGroupArn        string               `json:"thingGroupArn"`
		Version              int64                `json:"version"`
		ThingGroupProperties thingGroupProperties `json:"thingGroupProperties"`
		ThingGroupMetadata   metadata             `json:"thingGroupMetadata"`
	}{g.Name, g.ID, g.ARN, g.Version,
		thingGroupProperties{g.Description, &attributePayload{Attributes: g.Attributes}},
		metadata{g.Parent, chain, epoch(g.CreatedAt)}})
}

// descendants returns the names of every group below root (root excluded).
func descendants(all []ThingGroup, root string) map[string]bool {
	out := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, g := range all {
			if !out[g.Name] && (g.Parent == root || out[g.Parent]) && g.Parent != "" {
				out[g.Name] = true
				changed = true
			}
		}
	}
	return out
}

// ListThingGroups is GET /thing-groups?parentGroup&namePrefixFilter&recursive.
func (s *Service) ListThingGroups(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := maxResults(r, "maxResults", 50)
	if err != nil {
		return err
	}
	all, err := s.backend.ListThingGroups(r.Context())
	if err != nil {
		return err
	}
	// AWS: RecursiveWithoutDefault — without parentGroup every group is
	// listed unless recursive=false, which keeps the root groups only.
	recursive := q.Get("recursive") != "false"
	parent, prefix := q.Get("parentGroup"), q.Get("namePrefixFilter")
	var under map[string]bool
	if parent != "" {
		if _, err := s.backend.GetThingGroup(r.Context(), parent); err != nil {
			return err
		}
		under = descendants(all, parent)
	}
	var matched []ThingGroup
	for _, g := range all {
		switch {
		case parent != "" && recursive && !under[g.Name],
			parent != "" && !recursive && g.Parent != parent,
			parent == "" && !recursive && g.Parent != "",
			!strings.HasPrefix(g.Name, prefix):
			continue
		}
		matched = append(matched, g)
	}
	items, next, err := page(matched, func(g ThingGroup) string { return g.Name }, q.Get("nextToken"), limit)
	if err != nil {
		return err
	}
	out := struct {
		ThingGroups []groupNameAndArn `json:"thingGroups"`
		NextToken   string            `json:"nextToken,omitempty"`
	}{ThingGroups: []groupNameAndArn{}, NextToken: next}
	for _, g := range items {
		out.ThingGroups = append(out.ThingGroups, groupNameAndArn{g.Name, g.ARN})
	}
	return writeJSON(w, out)
}

// UpdateThingGroup is PATCH /thing-groups/{thingGroupName}.
func (s *Service) UpdateThingGroup(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingGroupName")
	if err := validateName("thingGroupName", name); err != nil {
		return err
	}
	var in struct {
		ThingGroupProperties *thingGroupProperties `json:"thingGroupProperties"`
		ExpectedVersion      *int64                `json:"expectedVersion"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.ThingGroupProperties == nil {
		return invalidRequest("thingGroupProperties is required.")
	}
	if err := validateGroupProperties(in.ThingGroupProperties); err != nil {
		return err
	}
	u := ThingGroupUpdate{Description: &in.ThingGroupProperties.ThingGroupDescription, ExpectedVersion: in.ExpectedVersion}
	if p := in.ThingGroupProperties.AttributePayload; p != nil && p.Attributes != nil {
		u.Attributes, u.Merge = p.Attributes, p.Merge
	}
	g, err := s.backend.UpdateThingGroup(r.Context(), name, u)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		Version int64 `json:"version"`
	}{g.Version})
}

// DeleteThingGroup is DELETE /thing-groups/{thingGroupName}?expectedVersion.
func (s *Service) DeleteThingGroup(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingGroupName")
	if err := validateName("thingGroupName", name); err != nil {
		return err
	}
	var expected *int64
	if v := r.URL.Query().Get("expectedVersion"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return validationError("expectedVersion", v, "Member must be a number")
		}
		expected = &n
	}
	if err := s.backend.DeleteThingGroup(r.Context(), name, expected); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

type groupMembership struct {
	ThingGroupName string `json:"thingGroupName"`
	ThingGroupArn  string `json:"thingGroupArn"`
	ThingName      string `json:"thingName"`
	ThingArn       string `json:"thingArn"`
}

// nameFromARN returns the resource name of an IoT ARN of the given type
// ("thing", "thinggroup"), or an InvalidRequestException.
func nameFromARN(member, v, kind string) (string, error) {
	a, err := awsproto.ParseARN(v)
	if err != nil || a.Service != "iot" || !strings.HasPrefix(a.Resource, kind+"/") {
		return "", invalidRequest("Invalid %s %q: expected arn:aws:iot:REGION:ACCOUNT:%s/NAME.", member, v, kind)
	}
	return strings.TrimPrefix(a.Resource, kind+"/"), nil
}

// resolve picks the group and thing names of a membership request: by
// name or by ARN, one of each.
func (m groupMembership) resolve() (group, thing string, err error) {
	pick := func(name, arn, nameMember, arnMember, kind string) (string, error) {
		switch {
		case name != "" && arn != "":
			return "", invalidRequest("Specify either %s or %s, not both.", nameMember, arnMember)
		case name != "":
			return name, validateName(nameMember, name)
		case arn != "":
			n, err := nameFromARN(arnMember, arn, kind)
			if err != nil {
				return "", err
			}
			return n, validateName(nameMember, n)
		}
		return "", invalidRequest("Either %s or %s is required.", nameMember, arnMember)
	}
	if group, err = pick(m.ThingGroupName, m.ThingGroupArn, "thingGroupName", "thingGroupArn", "thinggroup"); err != nil {
		return "", "", err
	}
	thing, err = pick(m.ThingName, m.ThingArn, "thingName", "thingArn", "thing")
	return group, thing, err
}

// AddThingToThingGroup is PUT /thing-groups/addThingToThingGroup.
func (s *Service) AddThingToThingGroup(w http.ResponseWriter, r *http.Request) error {
	var in groupMembership
	if err := decode(r, &in); err != nil {
		return err
	}
	group, thing, err := in.resolve()
	if err != nil {
		return err
	}
	if err := s.backend.AddThingToThingGroup(r.Context(), group, thing); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// RemoveThingFromThingGroup is PUT /thing-groups/removeThingFromThingGroup.
func (s *Service) RemoveThingFromThingGroup(w http.ResponseWriter, r *http.Request) error {
	var in groupMembership
	if err := decode(r, &in); err != nil {
		return err
	}
	group, thing, err := in.resolve()
	if err != nil {
		return err
	}
	if err := s.backend.RemoveThingFromThingGroup(r.Context(), group, thing); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// ListThingsInThingGroup is GET /thing-groups/{thingGroupName}/things.
// With recursive=true the things of every descendant group are included.
func (s *Service) ListThingsInThingGroup(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingGroupName")
	if err := validateName("thingGroupName", name); err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := maxResults(r, "maxResults", 50)
	if err != nil {
		return err
	}
	things, err := s.backend.ThingsInThingGroup(r.Context(), name)
	if err != nil {
		return err
	}
	if q.Get("recursive") == "true" {
		all, err := s.backend.ListThingGroups(r.Context())
		if err != nil {
			return err
		}
		for g := range descendants(all, name) {
			more, err := s.backend.ThingsInThingGroup(r.Context(), g)
			if err != nil {
				continue // deleted concurrently
			}
			things = append(things, more...)
		}
		slices.Sort(things)
		things = slices.Compact(things)
	}
	items, next, err := page(things, func(t string) string { return t }, q.Get("nextToken"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		Things    []string `json:"things"`
		NextToken string   `json:"nextToken,omitempty"`
	}{append([]string{}, items...), next})
}

// ListThingGroupsForThing is GET /things/{thingName}/thing-groups: the
// groups the thing is directly in.
func (s *Service) ListThingGroupsForThing(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingName")
	if err := validateName("thingName", name); err != nil {
		return err
	}
	limit, err := maxResults(r, "maxResults", 50)
	if err != nil {
		return err
	}
	names, err := s.backend.ThingGroupsForThing(r.Context(), name)
	if err != nil {
		return err
	}
	var groups []groupNameAndArn
	for _, n := range names {
		g, err := s.backend.GetThingGroup(r.Context(), n)
		if err != nil {
			continue // deleted concurrently
		}
		groups = append(groups, groupNameAndArn{g.Name, g.ARN})
	}
	items, next, err := page(groups, func(g groupNameAndArn) string { return g.GroupName }, r.URL.Query().Get("nextToken"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		ThingGroups []groupNameAndArn `json:"thingGroups"`
		NextToken   string            `json:"nextToken,omitempty"`
	}{append([]groupNameAndArn{}, items...), next})
}
