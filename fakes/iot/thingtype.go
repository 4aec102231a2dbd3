package iot

import (
	"net/http"
	"slices"
)

type thingTypeProperties struct {
	ThingTypeDescription string   `json:"thingTypeDescription,omitempty"`
	SearchableAttributes []string `json:"searchableAttributes"`
}

type thingTypeMetadata struct {
	Deprecated      bool   `json:"deprecated"`
	DeprecationDate *epoch `json:"deprecationDate,omitempty"`
	CreationDate    epoch  `json:"creationDate"`
}

func metadataOf(t ThingType) thingTypeMetadata {
	md := thingTypeMetadata{Deprecated: t.Deprecated, CreationDate: epoch(t.CreatedAt)}
	if t.Deprecated {
		d := epoch(t.DeprecatedAt)
		md.DeprecationDate = &d
	}
	return md
}

// CreateThingType is POST /thing-types/{thingTypeName}.
func (s *Service) CreateThingType(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingTypeName")
	if err := validateName("thingTypeName", name); err != nil {
		return err
	}
	var in struct {
		ThingTypeProperties *thingTypeProperties `json:"thingTypeProperties"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	t := ThingType{Name: name, ID: s.opts.NewID(), CreatedAt: s.opts.Now(), SearchableAttributes: []string{}}
	if p := in.ThingTypeProperties; p != nil {
		// AWS: ThingTypeDescription — at most 2028 characters.
		if len(p.ThingTypeDescription) > 2028 {
			return validationError("thingTypeProperties.thingTypeDescription", p.ThingTypeDescription, "Member must have length less than or equal to 2028")
		}
		if len(p.SearchableAttributes) > maxSearchableAttributes {
			return invalidRequest("A thing type can have at most %d searchable attributes; found %d.", maxSearchableAttributes, len(p.SearchableAttributes))
		}
		for _, a := range p.SearchableAttributes {
			if err := validateAttributes("thingTypeProperties.searchableAttributes", map[string]string{a: ""}); err != nil {
				return err
			}
		}
		t.Description = p.ThingTypeDescription
		t.SearchableAttributes = append(t.SearchableAttributes, p.SearchableAttributes...)
	}
	account, region := s.scope(r.Context())
	t.ARN = "arn:aws:iot:" + region + ":" + account + ":thingtype/" + name
	t, err := s.backend.CreateThingType(r.Context(), t)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		ThingTypeName string `json:"thingTypeName"`
		ThingTypeArn  string `json:"thingTypeArn"`
		ThingTypeID   string `json:"thingTypeId"`
	}{t.Name, t.ARN, t.ID})
}

// DescribeThingType is GET /thing-types/{thingTypeName}.
func (s *Service) DescribeThingType(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingTypeName")
	if err := validateName("thingTypeName", name); err != nil {
		return err
	}
	t, err := s.backend.GetThingType(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		ThingTypeName       string              `json:"thingTypeName"`
		ThingTypeID         string              `json:"thingTypeId"`
		ThingTypeArn        string              `json:"thingTypeArn"`
		ThingTypeProperties thingTypeProperties `json:"thingTypeProperties"`
		ThingTypeMetadata   thingTypeMetadata   `json:"thingTypeMetadata"`
	}{t.Name, t.ID, t.ARN, thingTypeProperties{t.Description, t.SearchableAttributes}, metadataOf(t)})
}

// ListThingTypes is GET /thing-types?thingTypeName&maxResults&nextToken.
func (s *Service) ListThingTypes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := maxResults(r, "maxResults", 50)
	if err != nil {
		return err
	}
	all, err := s.backend.ListThingTypes(r.Context())
	if err != nil {
		return err
	}
	if n := q.Get("thingTypeName"); n != "" {
		all = slices.DeleteFunc(all, func(t ThingType) bool { return t.Name != n })
	}
	items, next, err := page(all, func(t ThingType) string { return t.Name }, q.Get("nextToken"), limit)
	if err != nil {
		return err
	}
	type definition struct {
		ThingTypeName       string              `json:"thingTypeName"`
		ThingTypeArn        string              `json:"thingTypeArn"`
		ThingTypeProperties thingTypeProperties `json:"thingTypeProperties"`
		ThingTypeMetadata   thingTypeMetadata   `json:"thingTypeMetadata"`
	}
	out := struct {
		ThingTypes []definition `json:"thingTypes"`
		NextToken  string       `json:"nextToken,omitempty"`
	}{ThingTypes: []definition{}, NextToken: next}
	for _, t := range items {
		out.ThingTypes = append(out.ThingTypes, definition{t.Name, t.ARN, thingTypeProperties{t.Description, t.SearchableAttributes}, metadataOf(t)})
	}
	return writeJSON(w, out)
}

// DeprecateThingType is POST /thing-types/{thingTypeName}/deprecate.
func (s *Service) DeprecateThingType(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingTypeName")
	if err := validateName("thingTypeName", name); err != nil {
		return err
	}
	var in struct {
		UndoDeprecate bool `json:"undoDeprecate"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.backend.DeprecateThingType(r.Context(), name, in.UndoDeprecate, s.opts.Now()); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// DeleteThingType is DELETE /thing-types/{thingTypeName}.
func (s *Service) DeleteThingType(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingTypeName")
	if err := validateName("thingTypeName", name); err != nil {
		return err
	}
	if err := s.backend.DeleteThingType(r.Context(), name); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}
