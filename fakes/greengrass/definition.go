package greengrass

import (
	"net/http"
)

// definitionInformation is the wire form of a definition. AWS: shape
// DefinitionInformation (also Create*/Get*DefinitionResponse).
type definitionInformation struct {
	Arn                  string            `json:"Arn,omitempty"`
	CreationTimestamp    string            `json:"CreationTimestamp,omitempty"`
	ID                   string            `json:"Id,omitempty"`
	LastUpdatedTimestamp string            `json:"LastUpdatedTimestamp,omitempty"`
	LatestVersion        string            `json:"LatestVersion,omitempty"`
	LatestVersionArn     string            `json:"LatestVersionArn,omitempty"`
	Name                 string            `json:"Name,omitempty"`
	Tags                 map[string]string `json:"tags,omitempty"`
}

func definitionInfo(d Definition, withTags bool) definitionInformation {
	out := definitionInformation{
		Arn: d.Arn, CreationTimestamp: timestamp(d.CreatedAt), ID: d.ID,
		LastUpdatedTimestamp: timestamp(d.UpdatedAt), LatestVersion: d.LatestVersion,
		LatestVersionArn: d.LatestVersionArn, Name: d.Name,
	}
	if withTags {
		out.Tags = d.Tags
	}
	return out
}

func definitionVersionInfo(v DefinitionVersion) versionInformation {
	return versionInformation{Arn: v.Arn, CreationTimestamp: timestamp(v.CreatedAt), ID: v.DefinitionID, Version: v.Version}
}

// newDefinitionVersion validates c and builds the version to store.
func (s *Service) newDefinitionVersion(region, account string, k Kind, defID string, c DefinitionContent) (DefinitionVersion, error) {
	c = k.keep(c)
	if err := validateContent(k, c); err != nil {
		return DefinitionVersion{}, err
	}
	v := DefinitionVersion{Kind: k, DefinitionID: defID, Version: s.opts.NewID(), CreatedAt: s.opts.Now(), Content: c}
	v.Arn = definitionVersionArn(region, account, k, defID, v.Version)
	return v, nil
}

// The handlers below serve all seven kinds; the route table names each
// operation as AWS does (CreateDeviceDefinition, GetCoreDefinitionVersion, ...).

// createDefinition serves Create<Kind>Definition, POST /greengrass/definition/<kind>.
func (s *Service) createDefinition(k Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ pathParams) error {
		var in struct {
			InitialVersion *DefinitionContent
			Name           string
			Tags           map[string]string `json:"tags"`
		}
		if err := decode(r, &in); err != nil {
			return err
		}
		region, account := s.where(r.Context())
		now := s.opts.Now()
		d := Definition{Kind: k, ID: s.opts.NewID(), Name: in.Name, CreatedAt: now, UpdatedAt: now, Tags: in.Tags}
		d.Arn = definitionArn(region, account, k, d.ID)
		var initial *DefinitionVersion
		if in.InitialVersion != nil {
			v, err := s.newDefinitionVersion(region, account, k, d.ID, *in.InitialVersion)
			if err != nil {
				return err
			}
			initial = &v
		}
		d, err := s.backend.CreateDefinition(r.Context(), d, initial)
		if err != nil {
			return err
		}
		reply(w, definitionInfo(d, false))
		return nil
	}
}

// getDefinition serves Get<Kind>Definition.
func (s *Service) getDefinition(k Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p pathParams) error {
		d, err := s.backend.GetDefinition(r.Context(), k, p[k.idParam()])
		if err != nil {
			return err
		}
		reply(w, definitionInfo(d, true))
		return nil
	}
}

// listDefinitions serves List<Kind>Definitions.
func (s *Service) listDefinitions(k Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ pathParams) error {
		ds, err := s.backend.ListDefinitions(r.Context(), k)
		if err != nil {
			return err
		}
		ds, next, err := paginate(r, ds)
		if err != nil {
			return err
		}
		out := struct {
			Definitions []definitionInformation
			NextToken   string `json:"NextToken,omitempty"`
		}{Definitions: make([]definitionInformation, 0, len(ds)), NextToken: next}
		for _, d := range ds {
			out.Definitions = append(out.Definitions, definitionInfo(d, true))
		}
		reply(w, out)
		return nil
	}
}

// updateDefinition serves Update<Kind>Definition (renames it).
func (s *Service) updateDefinition(k Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p pathParams) error {
		var in struct{ Name string }
		if err := decode(r, &in); err != nil {
			return err
		}
		if in.Name == "" {
			return invalidContainer("Input does not contain any attributes to be updated")
		}
		if _, err := s.backend.UpdateDefinition(r.Context(), k, p[k.idParam()], in.Name, s.opts.Now()); err != nil {
			return err
		}
		reply(w, struct{}{})
		return nil
	}
}

// deleteDefinition serves Delete<Kind>Definition.
func (s *Service) deleteDefinition(k Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p pathParams) error {
		if err := s.backend.DeleteDefinition(r.Context(), k, p[k.idParam()]); err != nil {
			return err
		}
		reply(w, struct{}{})
		return nil
	}
}

// createDefinitionVersion serves Create<Kind>DefinitionVersion; the body
// holds the version's members at top level.
func (s *Service) createDefinitionVersion(k Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p pathParams) error {
		var in DefinitionContent
		if err := decode(r, &in); err != nil {
			return err
		}
		region, account := s.where(r.Context())
		v, err := s.newDefinitionVersion(region, account, k, p[k.idParam()], in)
		if err != nil {
			return err
		}
		v, err = s.backend.CreateDefinitionVersion(r.Context(), v)
		if err != nil {
			return err
		}
		reply(w, definitionVersionInfo(v))
		return nil
	}
}

// getDefinitionVersion serves Get<Kind>DefinitionVersion.
// Divergence: the whole version comes in one response; AWS may page long
// ones with NextToken.
func (s *Service) getDefinitionVersion(k Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p pathParams) error {
		v, err := s.backend.GetDefinitionVersion(r.Context(), k, p[k.idParam()], p[k.versionParam()])
		if err != nil {
			return err
		}
		reply(w, struct {
			versionInformation
			Definition DefinitionContent
		}{definitionVersionInfo(v), v.Content})
		return nil
	}
}

// listDefinitionVersions serves List<Kind>DefinitionVersions.
func (s *Service) listDefinitionVersions(k Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p pathParams) error {
		vs, err := s.backend.ListDefinitionVersions(r.Context(), k, p[k.idParam()])
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
			out.Versions = append(out.Versions, definitionVersionInfo(v))
		}
		reply(w, out)
		return nil
	}
}
