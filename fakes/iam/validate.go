package iam

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Constraints of api-2.json iam/2010-05-08.

func isNameChar(r rune) bool { // [\w+=,.@-]
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+=,.@-", r))
}

// validateName checks roleNameType (max 64) and userNameType (max 64/128).
func validateName(member, v string, max int) error {
	switch {
	case v == "":
		return validationError(member, v, "Member must have length greater than or equal to 1")
	case utf8.RuneCountInString(v) > max:
		return validationError(member, v, fmt.Sprintf("Member must have length less than or equal to %d", max))
	case strings.IndexFunc(v, func(r rune) bool { return !isNameChar(r) }) >= 0:
		return validationError(member, v, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

// validatePath checks pathType: "/" or "/" + [\x21-\x7E]+ + "/", at most
// 512 characters.
func validatePath(member, v string) error {
	const pattern = `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	if len(v) > 512 {
		return validationError(member, v, "Member must have length less than or equal to 512")
	}
	if v == "/" {
		return nil
	}
	if len(v) < 3 || v[0] != '/' || v[len(v)-1] != '/' {
		return validationError(member, v, pattern)
	}
	for i := 1; i < len(v)-1; i++ {
		if v[i] < 0x21 || v[i] > 0x7E {
			return validationError(member, v, pattern)
		}
	}
	return nil
}

// validatePathPrefix checks pathPrefixType: "/" + [\x21-\x7F]*, 1–512.
func validatePathPrefix(member, v string) error {
	if len(v) > 512 {
		return validationError(member, v, "Member must have length less than or equal to 512")
	}
	if !strings.HasPrefix(v, "/") || strings.IndexFunc(v, func(r rune) bool { return r < 0x21 || r > 0x7F }) >= 0 {
		return validationError(member, v, `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	return nil
}

// validateDescription checks roleDescriptionType: at most 1000 of
// [\t\n\r\x20-\x7E\xA1-\xFF].
func validateDescription(member, v string) error {
	if utf8.RuneCountInString(v) > 1000 {
		return validationError(member, v, "Member must have length less than or equal to 1000")
	}
	if strings.IndexFunc(v, func(r rune) bool {
		return !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7E || r >= 0xA1 && r <= 0xFF)
	}) >= 0 {
		return validationError(member, v, `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	}
	return nil
}

// validatePolicyDocument checks policyDocumentType: 1–131072 of
// [\t\n\r\x20-\xFF]. The grammar is the engine's (policydoc.go).
func validatePolicyDocument(member, v string) error {
	switch {
	case v == "":
		return validationError(member, v, "Member must have length greater than or equal to 1")
	case utf8.RuneCountInString(v) > 131072:
		return validationError(member, "...", "Member must have length less than or equal to 131072")
	case strings.IndexFunc(v, func(r rune) bool { return !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xFF) }) >= 0:
		return validationError(member, v, `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
	}
	return nil
}

// intParam parses an optional integer parameter within [lo, hi].
func intParam(p params, name, member string, def, lo, hi int) (int, error) {
	if !p.has(name) {
		return def, nil
	}
	v := p.get(name)
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, validationError(member, v, "Member must be an integer")
	}
	if n < lo || n > hi {
		return 0, validationError(member, v, fmt.Sprintf("Member must have value greater than or equal to %d and less than or equal to %d", lo, hi))
	}
	return n, nil
}

func isTagChar(r rune) bool { // [\p{L}\p{Z}\p{N}_.:/=+\-@]
	return unicode.IsLetter(r) || unicode.In(r, unicode.Z) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r)
}

// tagsParam reads Tags.member.N.Key / .Value (N from 1) — the Query
// protocol's list encoding. At most 50, keys unique.
func tagsParam(p params) ([]Tag, error) {
	var tags []Tag
	seen := map[string]bool{}
	for i := 1; ; i++ {
		prefix := "Tags.member." + strconv.Itoa(i)
		if !p.has(prefix+".Key") && !p.has(prefix+".Value") {
			break
		}
		t := Tag{Key: p.get(prefix + ".Key"), Value: p.get(prefix + ".Value")}
		member := fmt.Sprintf("tags.%d.member.key", i)
		switch {
		case t.Key == "" || utf8.RuneCountInString(t.Key) > 128:
			return nil, validationError(member, t.Key, "Member must have length greater than or equal to 1 and less than or equal to 128")
		case strings.IndexFunc(t.Key, func(r rune) bool { return !isTagChar(r) }) >= 0:
			return nil, validationError(member, t.Key, `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		case utf8.RuneCountInString(t.Value) > 256 || strings.IndexFunc(t.Value, func(r rune) bool { return !isTagChar(r) }) >= 0:
			return nil, validationError(fmt.Sprintf("tags.%d.member.value", i), t.Value, `Member must have length less than or equal to 256 and satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		case seen[strings.ToLower(t.Key)]:
			return nil, invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(t.Key)] = true
		tags = append(tags, t)
		if len(tags) > 50 {
			return nil, validationError("tags", "...", "Member must have length less than or equal to 50")
		}
	}
	return tags, nil
}

// requiredName reads a required name parameter (userNameType,
// groupNameType, roleNameType, policyNameType: [\w+=,.@-]+).
func requiredName(p params, name, member string, max int) (string, error) {
	if !p.has(name) {
		return "", missingParameter(member)
	}
	v := p.get(name)
	return v, validateName(member, v, max)
}

// pathOrRoot reads an optional Path, "/" when absent.
func pathOrRoot(p params) (string, error) {
	if !p.has("Path") {
		return "/", nil
	}
	v := p.get("Path")
	return v, validatePath("path", v)
}

// prefixOrRoot reads an optional PathPrefix, "/" when absent.
func prefixOrRoot(p params) (string, error) {
	if !p.has("PathPrefix") {
		return "/", nil
	}
	v := p.get("PathPrefix")
	return v, validatePathPrefix("pathPrefix", v)
}

// validateARN checks arnType (20–2048 characters) and the ARN grammar.
// AWS answers a malformed ARN with InvalidInput "ARN X is not valid.".
func validateARN(v string) error {
	if _, err := awsproto.ParseARN(v); err != nil || len(v) < 20 || len(v) > 2048 {
		return invalidInput("ARN %s is not valid.", v)
	}
	return nil
}

// requiredARN reads a required ARN parameter.
func requiredARN(p params, name, member string) (string, error) {
	if !p.has(name) {
		return "", missingParameter(member)
	}
	v := p.get(name)
	return v, validateARN(v)
}

// listParam reads a Query list: NAME.member.1, NAME.member.2, ...
func listParam(p params, name string) []string {
	var out []string
	for i := 1; ; i++ {
		k := name + ".member." + strconv.Itoa(i)
		if !p.has(k) {
			return out
		}
		out = append(out, p.get(k))
	}
}

// boolParam reads an optional boolean ("true"/"false").
func boolParam(p params, name, member string) (bool, error) {
	if !p.has(name) {
		return false, nil
	}
	switch v := p.get(name); strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, validationError(member, v, "Member must be a boolean")
	}
}

// enumParam reads an optional enum parameter, def when absent.
func enumParam(p params, name, member, def string, allowed ...string) (string, error) {
	if !p.has(name) {
		return def, nil
	}
	v := p.get(name)
	if !slices.Contains(allowed, v) {
		return "", validationError(member, v, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
	}
	return v, nil
}
