package iam

import (
	"context"
	"slices"
	"strings"
)

// Tags and permissions boundaries work the same on users and roles.

// requiredTags reads a required Tags list.
func requiredTags(p params) ([]Tag, error) {
	tags, err := tagsParam(p)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, missingParameter("tags")
	}
	return tags, nil
}

// requiredTagKeys reads a required TagKeys list (tagKeyListType, ≤ 50).
func requiredTagKeys(p params) ([]string, error) {
	keys := listParam(p, "TagKeys")
	switch {
	case len(keys) == 0:
		return nil, missingParameter("tagKeys")
	case len(keys) > maxTagsPerEntity:
		return nil, validationError("tagKeys", "...", "Member must have length less than or equal to 50")
	}
	return keys, nil
}

// mergeTags adds or overwrites tags; keys compare regardless of case.
// AWS: TagUser/TagRole — "If a tag with the same key name already exists,
// then that tag is overwritten with the new value"; at most 50 tags.
func mergeTags(have, add []Tag) ([]Tag, error) {
	out := slices.Clone(have)
	for _, t := range add {
		i := slices.IndexFunc(out, func(o Tag) bool { return strings.EqualFold(o.Key, t.Key) })
		if i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	if len(out) > maxTagsPerEntity {
		return nil, limitExceeded("The number of tags has reached the maximum limit.")
	}
	return out, nil
}

// removeTags drops the tags with the given keys; unknown keys are ignored.
func removeTags(have []Tag, keys []string) []Tag {
	return slices.DeleteFunc(slices.Clone(have), func(t Tag) bool {
		return slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, t.Key) })
	})
}

type tagsXML struct {
	Tags        []tagXML `xml:"Tags>member"`
	IsTruncated bool     `xml:"IsTruncated"`
	Marker      string   `xml:"Marker,omitempty"`
}

// tagsResult is the ListUserTags / ListRoleTags answer.
func tagsResult(p params, tags []Tag) (any, error) {
	pg, truncated, marker, err := page(p, tags)
	if err != nil {
		return nil, err
	}
	out := tagsXML{Tags: []tagXML{}, IsTruncated: truncated, Marker: marker}
	for _, t := range pg {
		out.Tags = append(out.Tags, tagXML(t))
	}
	return out, nil
}

// putBoundary is Put{User,Role}PermissionsBoundary.
func (s *Service) putBoundary(ctx context.Context, p params, kind Kind, nameParam, member string, max int) (any, error) {
	name, err := requiredName(p, nameParam, member, max)
	if err != nil {
		return nil, err
	}
	arn, err := requiredARN(p, "PermissionsBoundary", "permissionsBoundary")
	if err != nil {
		return nil, err
	}
	return nil, s.backend.SetPermissionsBoundary(ctx, kind, name, arn)
}

// deleteBoundary is Delete{User,Role}PermissionsBoundary.
func (s *Service) deleteBoundary(ctx context.Context, p params, kind Kind, nameParam, member string, max int) (any, error) {
	name, err := requiredName(p, nameParam, member, max)
	if err != nil {
		return nil, err
	}
	return nil, s.backend.SetPermissionsBoundary(ctx, kind, name, "")
}
