package greengrass

import (
	"net/http"
)

// groupInformation is the wire form of a group. AWS: shape GroupInformation
// (also CreateGroupResponse; GetGroupResponse adds tags).
type groupInformation struct {
	Arn                  string            `json:"Arn,omitempty"`
	CreationTimestamp    string            `json:"CreationTimestamp,omitempty"`
	ID                   string            `json:"Id,omitempty"`
	LastUpdatedTimestamp string            `json:"LastUpdatedTimestamp,omitempty"`
	LatestVersion        string            `json:"LatestVersion,omitempty"`
	LatestVersionArn     string            `json:"LatestVersionArn,omitempty"`
	Name                 string            `json:"Name,omitempty"`
	Tags                 map[string]string `json:"tags,omitempty"`
}

func groupInfo(g Group, withTags bool) groupInformation {
	out := groupInformation{
		Arn: g.Arn, CreationTimestamp: timestamp(g.CreatedAt), ID: g.ID,
		LastUpdatedTimestamp: timestamp(g.UpdatedAt), LatestVersion: g.LatestVersion,
		LatestVersionArn: g.LatestVersionArn, Name: g.Name,
	}
	if withTags {
		out.Tags = g.Tags
	}
	return out
}

// versionInformation is the wire form of a version without its content.
// AWS: shape VersionInformation (also Create*VersionResponse).
type versionInformation struct {
	Arn               string `json:"Arn,omitempty"`
	CreationTimestamp string `json:"CreationTimestamp,omitempty"`
	ID                string `json:"Id,omitempty"`
	Version           string `json:"Version,omitempty"`
}

func groupVersionInfo(v GroupVersion) versionInformation {
	return versionInformation{Arn: v.Arn, CreationTimestamp: timestamp(v.CreatedAt), ID: v.GroupID, Version: v.Version}
}

// CreateGroup serves POST /greengrass/groups.
func (s *Service) CreateGroup(w http.ResponseWriter, r *http.Request, _ pathParams) error {
	var in struct {
		InitialVersion *GroupDefinition
		Name           string
		Tags           map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == "" {
		// AWS: CreateGroupRequest requires Name.
		return badRequest("Name is required.")
	}
	region, account := s.where(r.Context())
	now := s.opts.Now()
	g := Group{ID: s.opts.NewID(), Name: in.Name, CreatedAt: now, UpdatedAt: now, Tags: in.Tags}
	g.Arn = groupArn(region, account, g.ID)
	var initial *GroupVersion
	if in.InitialVersion != nil {
		v := s.newGroupVersion(region, account, g.ID, *in.InitialVersion)
		initial = &v
	}
	g, err := s.backend.CreateGroup(r.Context(), g, initial)
	if err != nil {
		return err
	}
	reply(w, groupInfo(g, false))
	return nil
}

func (s *Service) newGroupVersion(region, account, groupID string, d GroupDefinition) GroupVersion {
	v := GroupVersion{GroupID: groupID, Version: s.opts.NewID(), CreatedAt: s.opts.Now(), Definition: d}
	v.Arn = groupVersionArn(region, account, groupID, v.Version)
	return v
}

// GetGroup serves GET /greengrass/groups/{GroupId}.
func (s *Service) GetGroup(w http.ResponseWriter, r *http.Request, p pathParams) error {
	g, err := s.backend.GetGroup(r.Context(), p["GroupId"])
	if err != nil {
		return err
	}
	reply(w, groupInfo(g, true))
	return nil
}

// ListGroups serves GET /greengrass/groups.
func (s *Service) ListGroups(w http.ResponseWriter, r *http.Request, _ pathParams) error {
	groups, err := s.backend.ListGroups(r.Context())
	if err != nil {
		return err
	}
	groups, next, err := paginate(r, groups)
	if err != nil {
		return err
	}
	out := struct {
		Groups    []groupInformation
		NextToken string `json:"NextToken,omitempty"`
	}{Groups: make([]groupInformation, 0, len(groups)), NextToken: next}
	for _, g := range groups {
		out.Groups = append(out.Groups, groupInfo(g, false))
	}
	reply(w, out)
	return nil
}

// UpdateGroup serves PUT /greengrass/groups/{GroupId}.
func (s *Service) UpdateGroup(w http.ResponseWriter, r *http.Request, p pathParams) error {
	var in struct{ Name string }
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == "" {
		// AWS: "Input does not contain any attributes to be updated".
		return invalidContainer("Input does not contain any attributes to be updated")
	}
	if _, err := s.backend.UpdateGroup(r.Context(), p["GroupId"], in.Name, s.opts.Now()); err != nil {
		return err
	}
	reply(w, struct{}{})
	return nil
}

// DeleteGroup serves DELETE /greengrass/groups/{GroupId}.
func (s *Service) DeleteGroup(w http.ResponseWriter, r *http.Request, p pathParams) error {
	if err := s.backend.DeleteGroup(r.Context(), p["GroupId"]); err != nil {
		return err
	}
	reply(w, struct{}{})
	return nil
}

// CreateGroupVersion serves POST /greengrass/groups/{GroupId}/versions.
func (s *Service) CreateGroupVersion(w http.ResponseWriter, r *http.Request, p pathParams) error {
	var in GroupDefinition
	if err := decode(r, &in); err != nil {
		return err
	}
	region, account := s.where(r.Context())
	v, err := s.backend.CreateGroupVersion(r.Context(), s.newGroupVersion(region, account, p["GroupId"], in))
	if err != nil {
		return err
	}
	reply(w, groupVersionInfo(v))
	return nil
}

// GetGroupVersion serves GET /greengrass/groups/{GroupId}/versions/{GroupVersionId}.
func (s *Service) GetGroupVersion(w http.ResponseWriter, r *http.Request, p pathParams) error {
	v, err := s.backend.GetGroupVersion(r.Context(), p["GroupId"], p["GroupVersionId"])
	if err != nil {
		return err
	}
	reply(w, struct {
		versionInformation
		Definition GroupDefinition
	}{groupVersionInfo(v), v.Definition})
	return nil
}

// ListGroupVersions serves GET /greengrass/groups/{GroupId}/versions.
func (s *Service) ListGroupVersions(w http.ResponseWriter, r *http.Request, p pathParams) error {
	vs, err := s.backend.ListGroupVersions(r.Context(), p["GroupId"])
	if err != nil {
		return err
	}
	vs, next, err := paginate(r, vs)
	if err != nil {
		return err
	}
	out := struct {
		NextToken string `json:"NextToken,omitempty"`
		Versions  []versionInformation
	}{NextToken: next, Versions: make([]versionInformation, 0, len(vs))}
	for _, v := range vs {
		out.Versions = append(out.Versions, groupVersionInfo(v))
	}
	reply(w, out)
	return nil
}
