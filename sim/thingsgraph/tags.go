package thingsgraph

import (
	"context"
	"sort"
	"strings"

	"github.com/tgsim/tgsim/sim/tdm"
)

// instanceByArnLocked finds a system instance by the ARN the API returns
// (arn:aws:iotthingsgraph:REGION:ACCOUNT:default#Deployment#NAME; the
// metatype compares case-insensitively). The only taggable resource is the
// system instance [SAR]. An unknown or non-taggable ARN is
// InvalidRequestException: the model lists no ResourceNotFoundException
// for the tagging operations [INF spec §3.4]. s.mu held.
func (s *Service) instanceByArnLocked(ctx context.Context, arn string) (*instance, error) {
	if err := validateResourceArn(arn); err != nil {
		return nil, err
	}
	for _, inst := range s.instances {
		if inst.status != statusPendingDelete && sameResourceArn(s.arn(ctx, inst.id), arn) {
			return inst, nil
		}
	}
	return nil, invalidRequest("resourceArn %s is not the ARN of a system instance of this account; only system instances can be tagged", arn)
}

// sameResourceArn compares prefix#Metatype#Name, the metatype ignoring case.
func sameResourceArn(a, b string) bool {
	pa, pb := strings.SplitN(a, "#", 3), strings.SplitN(b, "#", 3)
	return len(pa) == 3 && len(pb) == 3 && pa[0] == pb[0] && strings.EqualFold(pa[1], pb[1]) && pa[2] == pb[2]
}

// TagResource adds or replaces tags of a system instance; an instance has
// at most 50 tags [DOC ug:tagging-tg]. AWS: TagResource.
func (s *Service) TagResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceArn string `json:"resourceArn"`
		Tags        *[]tag `json:"tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateResourceArn(in.ResourceArn); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, invalidRequest("tags is required")
	}
	if err := validateTags("tags", *in.Tags); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, err := s.instanceByArnLocked(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	merged := make(map[string]string, len(inst.tags)+len(*in.Tags))
	for k, v := range inst.tags {
		merged[k] = v
	}
	for _, t := range *in.Tags {
		merged[t.Key] = t.Value
	}
	if len(merged) > maxTags {
		return nil, invalidRequest("tags: %s would have %d tags; the maximum is %d", in.ResourceArn, len(merged), maxTags)
	}
	inst.tags = merged
	if err := s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// UntagResource removes tags (absent keys are ignored). AWS: UntagResource.
func (s *Service) UntagResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceArn string    `json:"resourceArn"`
		TagKeys     *[]string `json:"tagKeys"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateResourceArn(in.ResourceArn); err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		return nil, invalidRequest("tagKeys is required")
	}
	if n := len(*in.TagKeys); n < 1 || n > maxTags {
		return nil, invalidRequest("tagKeys has %d keys; it must have 1 to %d", n, maxTags)
	}
	for i, k := range *in.TagKeys {
		if err := validateTagKey("tagKeys["+itoa(i)+"]", k); err != nil {
			return nil, err
		}
		if isReservedTagKey(k) {
			return nil, invalidRequest("tagKeys[%d] %q: keys starting with aws: are reserved for AWS", i, k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, err := s.instanceByArnLocked(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	merged := make(map[string]string, len(inst.tags))
	for k, v := range inst.tags {
		merged[k] = v
	}
	for _, k := range *in.TagKeys {
		delete(merged, k)
	}
	inst.tags = merged
	if err := s.commitLocked(&change{instances: []string{tdm.Key(inst.id)}}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// ListTagsForResource lists a system instance's tags, ordered by key.
// AWS: ListTagsForResource.
func (s *Service) ListTagsForResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceArn string  `json:"resourceArn"`
		NextToken   *string `json:"nextToken"`
		MaxResults  *int64  `json:"maxResults"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateResourceArn(in.ResourceArn); err != nil {
		return nil, err
	}
	q := newPageQuery("ListTagsForResource", in.ResourceArn)
	s.mu.RLock()
	defer s.mu.RUnlock()
	inst, err := s.instanceByArnLocked(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(inst.tags))
	for k := range inst.tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	from, to, next, err := q.page(len(keys), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := make([]tag, 0, to-from)
	for _, k := range keys[from:to] {
		out = append(out, tag{Key: k, Value: inst.tags[k]})
	}
	return pageOut(map[string]any{"tags": out}, next), nil
}

// instanceTags returns a system instance's tags, found by URN or by ARN,
// for IAM's aws:ResourceTag condition keys.
func (s *Service) instanceTags(idOrArn string) map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]string{}
	for _, inst := range s.instances {
		u, _ := tdm.ParseURN(inst.id)
		if tdm.SameURN(inst.id, idOrArn) || (u.Path != "" && strings.HasSuffix(idOrArn, "#"+u.Path)) {
			for k, v := range inst.tags {
				out[k] = v
			}
		}
	}
	return out
}
