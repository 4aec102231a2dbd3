package thingsgraph

import (
	"context"
	"sort"
	"strings"

	"github.com/tgsim/tgsim/sim/tdm"
)

// entityIndex holds the keys of a snapshot's entities, sorted, by each
// attribute SearchEntities filters on, so a search starts from the
// smallest posting list instead of scanning the namespace.
type entityIndex struct {
	byType map[tdm.Kind][]string
	byName map[string][]string
	byNS   map[string][]string
	byPath map[string][]string // every ancestor path: a, a/b, a/b/c
	byRef  map[string][]string
}

func buildIndex(entities map[string]*storedEntity) *entityIndex {
	ix := &entityIndex{byType: map[tdm.Kind][]string{}, byName: map[string][]string{}, byNS: map[string][]string{},
		byPath: map[string][]string{}, byRef: map[string][]string{}}
	for _, k := range sortedKeys(entities) {
		se := entities[k]
		ix.byType[se.e.Kind] = append(ix.byType[se.e.Kind], k)
		ix.byName[se.name] = append(ix.byName[se.name], k)
		ix.byNS[se.ns] = append(ix.byNS[se.ns], k)
		for i := 0; i <= len(se.path); i++ {
			if i == len(se.path) || se.path[i] == '/' {
				ix.byPath[se.path[:i]] = append(ix.byPath[se.path[:i]], k)
			}
		}
		for r := range se.refs {
			ix.byRef[r] = append(ix.byRef[r], k)
		}
	}
	return ix
}

func (s *Service) entityDescription(ctx context.Context, se *storedEntity) map[string]any {
	return map[string]any{
		"id": se.e.ID, "arn": s.arn(ctx, se.e.ID), "type": string(se.e.Kind), "createdAt": epoch(se.created),
		// [INF] The entity's own definition, wrapped in the document braces
		// so that it can be uploaded again as it is.
		"definition": definitionDocument{Language: "GRAPHQL", Text: "{\n" + se.e.Text + "\n}"},
	}
}

// GetEntities returns entity definitions from the account namespace (latest
// or namespaceVersion) and the public version it tracks. Any unknown id is
// ResourceNotFoundException [INF spec §3.4]. AWS: GetEntities.
func (s *Service) GetEntities(ctx context.Context, body []byte) (any, error) {
	var in struct {
		IDs              *[]string `json:"ids"`
		NamespaceVersion *int64    `json:"namespaceVersion"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.IDs == nil {
		return nil, invalidRequest("ids is required")
	}
	if n := len(*in.IDs); n > maxGetEntitiesIDs {
		return nil, invalidRequest("ids has %d entries; the maximum is %d", n, maxGetEntitiesIDs)
	}
	for i, id := range *in.IDs {
		if err := validateURN("ids["+itoa(i)+"]", id); err != nil {
			return nil, err
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	acct, err := s.snapshotLocked(ctx, "namespaceVersion", in.NamespaceVersion)
	if err != nil {
		return nil, err
	}
	pub := s.publicFor(acct)
	out := []map[string]any{}
	for _, id := range *in.IDs {
		k := tdm.Key(id)
		se := pub.entities[k]
		if acct != nil && acct.entities[k] != nil {
			se = acct.entities[k]
		}
		if se == nil {
			return nil, notFound("entity %s not found in the account namespace or the public namespace it tracks", id)
		}
		out = append(out, s.entityDescription(ctx, se))
	}
	return map[string]any{"descriptions": out}, nil
}

type searchEntitiesInput struct {
	EntityTypes      *[]string      `json:"entityTypes"`
	Filters          []entityFilter `json:"filters"`
	NextToken        *string        `json:"nextToken"`
	MaxResults       *int64         `json:"maxResults"`
	NamespaceVersion *int64         `json:"namespaceVersion"`
}

type entityFilter struct {
	Name  string   `json:"name"`
	Value []string `json:"value"`
}

// SearchEntities searches the account namespace (latest or
// namespaceVersion) and the public version it tracks. Filters combine with
// AND, the values of one filter with OR [INF spec §8]. Filters: NAME — the
// last segment of the URN's semantic type path, exactly; NAMESPACE — the
// URN's namespace, exactly; SEMANTIC_TYPE_PATH — the path or an ancestor of
// it ("brightness" matches brightness/brightnessNumber); REFERENCED_ENTITY_ID
// — entities whose definition refers to that URN. Results are ordered by id.
// AWS: SearchEntities.
func (s *Service) SearchEntities(ctx context.Context, body []byte) (any, error) {
	var in searchEntitiesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.EntityTypes == nil {
		return nil, invalidRequest("entityTypes is required")
	}
	types := map[tdm.Kind]bool{}
	for i, t := range *in.EntityTypes {
		if !entityTypes[t] {
			return nil, invalidRequest("entityTypes[%d] %q is not an EntityType (DEVICE, SERVICE, DEVICE_MODEL, CAPABILITY, STATE, ACTION, EVENT, PROPERTY, MAPPING, ENUM)", i, t)
		}
		types[tdm.Kind(t)] = true
	}
	for i, f := range in.Filters {
		switch f.Name {
		case "NAME", "NAMESPACE", "SEMANTIC_TYPE_PATH":
		case "REFERENCED_ENTITY_ID":
			for j, v := range f.Value {
				if err := checkURN("filters["+itoa(i)+"].value["+itoa(j)+"]", v); err != nil {
					return nil, err
				}
			}
		default:
			return nil, invalidRequest("filters[%d].name %q is not one of NAME, NAMESPACE, SEMANTIC_TYPE_PATH, REFERENCED_ENTITY_ID", i, f.Name)
		}
	}
	q := newPageQuery("SearchEntities", []any{in.EntityTypes, in.Filters, in.NamespaceVersion})
	s.mu.RLock()
	defer s.mu.RUnlock()
	acct, err := s.snapshotLocked(ctx, "namespaceVersion", in.NamespaceVersion)
	if err != nil {
		return nil, err
	}
	var found []*storedEntity
	for _, snap := range []*snapshot{acct, s.publicFor(acct)} {
		if snap != nil {
			found = append(found, searchSnapshot(snap, types, in.Filters)...)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].e.ID < found[j].e.ID })
	from, to, next, err := q.page(len(found), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, to-from)
	for _, se := range found[from:to] {
		out = append(out, s.entityDescription(ctx, se))
	}
	return pageOut(map[string]any{"descriptions": out}, next), nil
}

// searchSnapshot returns the entities of snap matching every filter.
func searchSnapshot(snap *snapshot, types map[tdm.Kind]bool, filters []entityFilter) []*storedEntity {
	ix := snap.idx
	// The smallest candidate list: each type's, or one filter's postings.
	var best [][]string
	bestN := -1
	consider := func(lists [][]string) {
		n := 0
		for _, l := range lists {
			n += len(l)
		}
		if bestN < 0 || n < bestN {
			best, bestN = lists, n
		}
	}
	var typeLists [][]string
	for t := range types {
		typeLists = append(typeLists, ix.byType[t])
	}
	consider(typeLists)
	for _, f := range filters {
		var m map[string][]string
		switch f.Name {
		case "NAME":
			m = ix.byName
		case "NAMESPACE":
			m = ix.byNS
		case "SEMANTIC_TYPE_PATH":
			m = ix.byPath
		case "REFERENCED_ENTITY_ID":
			m = ix.byRef
		}
		var lists [][]string
		for _, v := range f.Value {
			if f.Name == "REFERENCED_ENTITY_ID" {
				v = tdm.Key(v)
			}
			lists = append(lists, m[v])
		}
		consider(lists)
	}
	seen := map[string]bool{}
	var out []*storedEntity
	for _, l := range best {
		for _, k := range l {
			if seen[k] {
				continue
			}
			seen[k] = true
			se := snap.entities[k]
			if types[se.e.Kind] && matchesAll(se, filters) {
				out = append(out, se)
			}
		}
	}
	return out
}

func matchesAll(se *storedEntity, filters []entityFilter) bool {
	for _, f := range filters {
		ok := false
		for _, v := range f.Value {
			switch f.Name {
			case "NAME":
				ok = se.name == v
			case "NAMESPACE":
				ok = se.ns == v
			case "SEMANTIC_TYPE_PATH":
				ok = se.path == v || strings.HasPrefix(se.path, v+"/")
			case "REFERENCED_ENTITY_ID":
				ok = se.refs[tdm.Key(v)]
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// EntityCount returns the number of entities in the latest version of an
// account's namespace (in-process inspection for tests and benchmarks).
func (s *Service) EntityCount(region, account string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if snap := s.accounts[accountNamespaceName(region, account)].latest(); snap != nil {
		return len(snap.entities)
	}
	return 0
}
