package thingsgraph

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tgsim/tgsim/sim/tdm"
)

// Request constraints of the model (api-2.json iotthingsgraph 2018-09-06).
// SDKs check only some of them (the Go v1 client: required members and
// minimums), so each is enforced here and answered with
// InvalidRequestException naming the member.
const (
	maxResultsMin       = 1
	maxResultsMax       = 250
	defaultMaxResults   = 100 // [INF] the model gives no default page size
	maxTags             = 50
	maxTagKeyLen        = 128
	maxTagValueLen      = 256
	maxThingNameLen     = 128
	minRoleArnLen       = 20
	maxRoleArnLen       = 2048
	maxResourceArnLen   = 2048
	maxUploadIDLen      = 40
	maxNamespaceNameLen = 128
	maxGetEntitiesIDs   = 25
)

// tagKeyPattern is the model's TagKey pattern.
var tagKeyPattern = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)

// entityTypes is the model's EntityType enum.
var entityTypes = map[string]bool{"DEVICE": true, "SERVICE": true, "DEVICE_MODEL": true, "CAPABILITY": true, "STATE": true,
	"ACTION": true, "EVENT": true, "PROPERTY": true, "MAPPING": true, "ENUM": true}

// validateURN checks a required Urn member: at most 160 characters and the
// model's pattern (tdm.ParseURN implements both).
func validateURN(member, v string) error {
	if v == "" {
		return invalidRequest("%s is required", member)
	}
	return checkURN(member, v)
}

// checkURN checks an optional Urn member that is present.
func checkURN(member, v string) error {
	if n := utf8.RuneCountInString(v); n > tdm.MaxURNLength {
		return invalidRequest("%s has %d characters; the maximum is %d", member, n, tdm.MaxURNLength)
	}
	if _, err := tdm.ParseURN(v); err != nil {
		return invalidRequest("%s: %v", member, err)
	}
	return nil
}

// validateMaxResults checks MaxResults (1..250) and returns the page size.
func validateMaxResults(p *int64) (int, error) {
	if p == nil {
		return defaultMaxResults, nil
	}
	if *p < maxResultsMin || *p > maxResultsMax {
		return 0, invalidRequest("maxResults %d is out of range; it must be between %d and %d", *p, maxResultsMin, maxResultsMax)
	}
	return int(*p), nil
}

func validateThingName(member, v string) error {
	n := utf8.RuneCountInString(v)
	switch {
	case v == "":
		return invalidRequest("%s is required", member)
	case n > maxThingNameLen:
		return invalidRequest("%s has %d characters; the maximum is %d", member, n, maxThingNameLen)
	case !thingNamePattern.MatchString(v):
		return invalidRequest("%s %q must match [a-zA-Z0-9:_-]+", member, v)
	}
	return nil
}

func validateRoleArn(member, v string) error {
	if v == "" {
		return nil
	}
	if n := utf8.RuneCountInString(v); n < minRoleArnLen || n > maxRoleArnLen {
		return invalidRequest("%s has %d characters; it must have %d to %d", member, n, minRoleArnLen, maxRoleArnLen)
	}
	return nil
}

func validateResourceArn(v string) error {
	n := utf8.RuneCountInString(v)
	if v == "" {
		return invalidRequest("resourceArn is required")
	}
	if n > maxResourceArnLen {
		return invalidRequest("resourceArn has %d characters; the maximum is %d", n, maxResourceArnLen)
	}
	return nil
}

func validateNamespaceName(v string) error {
	if n := utf8.RuneCountInString(v); n > maxNamespaceNameLen {
		return invalidRequest("namespaceName has %d characters; the maximum is %d", n, maxNamespaceNameLen)
	}
	return nil
}

// validateTagKey checks one TagKey (1..128 characters, the model's pattern).
func validateTagKey(member, k string) error {
	n := utf8.RuneCountInString(k)
	switch {
	case n < 1 || n > maxTagKeyLen:
		return invalidRequest("%s has %d characters; it must have 1 to %d", member, n, maxTagKeyLen)
	case !tagKeyPattern.MatchString(k):
		return invalidRequest("%s %q may contain only letters, digits, white space and _.:/=+-@", member, k)
	}
	return nil
}

// validateTags checks a TagList (0..50 tags) of a request that sets tags.
// Keys with the aws: prefix are reserved [DOC ug:tagging-tg].
func validateTags(member string, tags []tag) error {
	if len(tags) > maxTags {
		return invalidRequest("%s has %d tags; the maximum is %d", member, len(tags), maxTags)
	}
	for i, t := range tags {
		m := member + "[" + itoa(i) + "]"
		if err := validateTagKey(m+".key", t.Key); err != nil {
			return err
		}
		if isReservedTagKey(t.Key) {
			return invalidRequest("%s.key %q: keys starting with aws: are reserved for AWS", m, t.Key)
		}
		// Divergence from the guide ("empty values allowed"): the model's
		// TagValue is 1..256 and spec §8 says to enforce the model.
		if n := utf8.RuneCountInString(t.Value); n < 1 || n > maxTagValueLen {
			return invalidRequest("%s.value has %d characters; it must have 1 to %d", m, n, maxTagValueLen)
		}
	}
	return nil
}

func isReservedTagKey(k string) bool { return len(k) >= 4 && strings.EqualFold(k[:4], "aws:") }

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}
