package iot

import (
	"fmt"
	"strings"
)

// Member constraints of api-2.json iot/2015-05-28.
const (
	thingNamePattern      = "[a-zA-Z0-9:_-]+" // ThingName, ThingTypeName
	attributeNamePattern  = "[a-zA-Z0-9_.,@/:#-]+"
	attributeValuePattern = "[a-zA-Z0-9_.,@/:#-]*"
)

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ':' || c == '_' || c == '-'
}

func isAttributeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.,@/:#-", c) >= 0
}

func allChars(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// validateName checks a ThingName or ThingTypeName member: 1–128 characters
// of [a-zA-Z0-9:_-].
func validateName(member, v string) error {
	switch {
	case len(v) < 1:
		return validationError(member, v, "Member must have length greater than or equal to 1")
	case len(v) > 128:
		return validationError(member, v, "Member must have length less than or equal to 128")
	case !allChars(v, isNameChar):
		return validationError(member, v, "Member must satisfy regular expression pattern: "+thingNamePattern)
	}
	return nil
}

// validateAttributes checks an Attributes map: names 1–128, values 0–800
// characters, each of its pattern.
func validateAttributes(member string, attrs map[string]string) error {
	for k, v := range attrs {
		switch {
		case k == "" || len(k) > 128 || !allChars(k, isAttributeChar):
			return validationError(member+".key", k, fmt.Sprintf("Member must have length less than or equal to 128 and satisfy regular expression pattern: %s", attributeNamePattern))
		case len(v) > 800 || !allChars(v, isAttributeChar):
			return validationError(member+"."+k, v, fmt.Sprintf("Member must have length less than or equal to 800 and satisfy regular expression pattern: %s", attributeValuePattern))
		}
	}
	return nil
}

// normalizeCertID checks a CertificateId (64 hex digits) and lower-cases it.
func normalizeCertID(v string) (string, error) {
	if len(v) != 64 {
		return "", validationError("certificateId", v, "Member must have length equal to 64")
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return "", validationError("certificateId", v, "Member must satisfy regular expression pattern: (0x)?[a-fA-F0-9]+")
		}
	}
	return strings.ToLower(v), nil
}
