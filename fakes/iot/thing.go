package iot

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

type attributePayload struct {
	Attributes map[string]string `json:"attributes"`
	Merge      bool              `json:"merge"`
}

// CreateThing is POST /things/{thingName}.
func (s *Service) CreateThing(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingName")
	if err := validateName("thingName", name); err != nil {
		return err
	}
	var in struct {
		ThingTypeName    string            `json:"thingTypeName"`
		AttributePayload *attributePayload `json:"attributePayload"`
		BillingGroupName string            `json:"billingGroupName"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.ThingTypeName != "" {
		if err := validateName("thingTypeName", in.ThingTypeName); err != nil {
			return err
		}
	}
	if in.BillingGroupName != "" {
		// Divergence: billing groups are not modelled.
		return invalidRequest("billingGroupName: billing groups are not supported by this simulator")
	}
	attrs := map[string]string{}
	if in.AttributePayload != nil {
		if err := validateAttributes("attributePayload.attributes", in.AttributePayload.Attributes); err != nil {
			return err
		}
		for k, v := range in.AttributePayload.Attributes {
			if v != "" {
				attrs[k] = v
			}
		}
	}
	account, region := s.scope(r.Context())
	t, err := s.backend.CreateThing(r.Context(), Thing{
		Name:       name,
		ID:         s.opts.NewID(),
		ARN:        "arn:aws:iot:" + region + ":" + account + ":thing/" + name,
		TypeName:   in.ThingTypeName,
		Attributes: attrs,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		ThingName string `json:"thingName"`
		ThingArn  string `json:"thingArn"`
		ThingID   string `json:"thingId"`
	}{t.Name, t.ARN, t.ID})
}

// DescribeThing is GET /things/{thingName}.
func (s *Service) DescribeThing(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingName")
	if err := validateName("thingName", name); err != nil {
		return err
	}
	t, err := s.backend.GetThing(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		DefaultClientID string            `json:"defaultClientId"`
		ThingName       string            `json:"thingName"`
		ThingID         string            `json:"thingId"`
		ThingArn        string            `json:"thingArn"`
		ThingTypeName   string            `json:"thingTypeName,omitempty"`
		Attributes      map[string]string `json:"attributes"`
		Version         int64             `json:"version"`
	}{t.Name, t.Name, t.ID, t.ARN, t.TypeName, t.Attributes, t.Version})
}

type thingAttribute struct {
	ThingName     string            `json:"thingName"`
	ThingTypeName string            `json:"thingTypeName,omitempty"`
	ThingArn      string            `json:"thingArn"`
	Attributes    map[string]string `json:"attributes"`
	Version       int64             `json:"version"`
}

// ListThings is GET /things.
func (s *Service) ListThings(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := maxResults(r, "maxResults", 50)
	if err != nil {
		return err
	}
	attrName, attrValue, typeName := q.Get("attributeName"), q.Get("attributeValue"), q.Get("thingTypeName")
	prefix := q.Get("usePrefixAttributeValue") == "true"
	if attrValue != "" && attrName == "" {
		return invalidRequest("attributeValue requires attributeName")
	}
	all, err := s.backend.ListThings(r.Context())
	if err != nil {
		return err
	}
	types, err := s.backend.ListThingTypes(r.Context())
	if err != nil {
		return err
	}
	searchable := map[string][]string{}
	for _, tt := range types {
		searchable[tt.Name] = tt.SearchableAttributes
	}
	var matched []Thing
	for _, t := range all {
		if typeName != "" && t.TypeName != typeName {
			continue
		}
		if attrName != "" {
			// AWS: ThingTypeProperties.searchableAttributes — a typed thing
			// is found by its type's searchable attributes only; the (at
			// most three) attributes of an untyped thing are all searchable.
			if t.TypeName != "" && !slices.Contains(searchable[t.TypeName], attrName) {
				continue
			}
			v, ok := t.Attributes[attrName]
			if !ok || attrValue != "" && (prefix && !strings.HasPrefix(v, attrValue) || !prefix && v != attrValue) {
				continue
			}
		}
		matched = append(matched, t)
	}
	items, next, err := page(matched, func(t Thing) string { return t.Name }, q.Get("nextToken"), limit)
	if err != nil {
		return err
	}
	out := struct {
		Things    []thingAttribute `json:"things"`
		NextToken string           `json:"nextToken,omitempty"`
	}{Things: []thingAttribute{}, NextToken: next}
	for _, t := range items {
		out.Things = append(out.Things, thingAttribute{t.Name, t.TypeName, t.ARN, t.Attributes, t.Version})
	}
	return writeJSON(w, out)
}

// UpdateThing is PATCH /things/{thingName}.
func (s *Service) UpdateThing(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingName")
	if err := validateName("thingName", name); err != nil {
		return err
	}
	var in struct {
		ThingTypeName    string            `json:"thingTypeName"`
		AttributePayload *attributePayload `json:"attributePayload"`
		ExpectedVersion  *int64            `json:"expectedVersion"`
		RemoveThingType  bool              `json:"removeThingType"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	u := ThingUpdate{TypeName: in.ThingTypeName, RemoveType: in.RemoveThingType, ExpectedVersion: in.ExpectedVersion}
	if in.ThingTypeName != "" {
		if in.RemoveThingType {
			return invalidRequest("You cannot set removeThingType to true and specify a thingTypeName.")
		}
		if err := validateName("thingTypeName", in.ThingTypeName); err != nil {
			return err
		}
	}
	if in.AttributePayload != nil && in.AttributePayload.Attributes != nil {
		if err := validateAttributes("attributePayload.attributes", in.AttributePayload.Attributes); err != nil {
			return err
		}
		u.Attributes, u.Merge = in.AttributePayload.Attributes, in.AttributePayload.Merge
	}
	if _, err := s.backend.UpdateThing(r.Context(), name, u); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}

// DeleteThing is DELETE /things/{thingName}?expectedVersion=N.
func (s *Service) DeleteThing(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("thingName")
	if err := validateName("thingName", name); err != nil {
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
	if err := s.backend.DeleteThing(r.Context(), name, expected); err != nil {
		return err
	}
	return writeJSON(w, struct{}{})
}
