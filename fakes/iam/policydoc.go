package iam

import (
	"github.com/tgsim/tgsim/fakes/policy"
)

// Policy documents are parsed once, when they are stored; the parsed form
// is kept next to the text and shared (a *policy.Policy is immutable).

// policyRole says where a document is used, which decides whether it must
// or must not name a Principal.
type policyRole int

const (
	identityPolicy policyRole = iota // managed, inline, boundary, session: no Principal
	resourcePolicy                   // role trust policy, ResourcePolicy: Principal required
)

// parsePolicy checks a policy document member and parses it. Grammar
// errors are MalformedPolicyDocument carrying the engine's message.
func parsePolicy(member, doc string, use policyRole) (*policy.Policy, error) {
	if err := validatePolicyDocument(member, doc); err != nil {
		return nil, err
	}
	pol, err := policy.Parse(doc)
	if err != nil {
		return nil, malformedPolicy("%s", err.Error())
	}
	switch {
	case use == identityPolicy && pol.HasPrincipal():
		// AWS: PutUserPolicy / CreatePolicy with a Principal element.
		return nil, malformedPolicy("Policy document should not specify a principal.")
	case use == resourcePolicy && !pol.HasPrincipal():
		// AWS: CreateRole / UpdateAssumeRolePolicy without a Principal.
		return nil, malformedPolicy("Missing required field Principal")
	}
	return pol, nil
}

// Position is a line and column in a policy document, as
// SimulatePrincipalPolicy reports statement positions.
type Position struct{ Line, Column int }

// statementSpans finds where each statement of a (valid JSON) policy
// document starts and ends: the positions of its braces. Columns follow
// what IAM reports — one past the 1-based column of the brace (AWS CLI
// example simulate-custom-policy: a statement whose "{" is the 37th
// character starts at Column 38, and its "}" as the 166th ends at 167).
func statementSpans(doc string) [][2]Position {
	var spans [][2]Position
	line, col := 1, 0 // col: 1-based column of doc[i]
	depth := 0
	inString, escaped := false, false
	var key []byte
	var lastKey string     // the last object key read at depth 1
	stmtDepth := -1        // depth at which statement objects open, -1 until found
	var start Position     // of the statement being read
	awaitingValue := false // a depth-1 key was read, its value not yet opened
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		col++
		if c == '\n' {
			line, col = line+1, 0
			continue
		}
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			default:
				key = append(key, c)
			}
			continue
		}
		switch c {
		case '"':
			inString, key = true, key[:0]
		case ':':
			if depth == 1 {
				lastKey, awaitingValue = string(key), true
			}
		case '{', '[':
			depth++
			if awaitingValue && lastKey == "Statement" && depth == 2 {
				if c == '[' {
					stmtDepth = 3
				} else {
					stmtDepth = 2
				}
			}
			awaitingValue = false
			if c == '{' && depth == stmtDepth {
				start = Position{line, col + 1}
			}
		case '}', ']':
			if c == '}' && depth == stmtDepth {
				spans = append(spans, [2]Position{start, {line, col + 1}})
			}
			if depth == 2 && stmtDepth > 0 {
				stmtDepth = -2 // the Statement value is closed
			}
			depth--
		case ',':
			if depth == 1 {
				awaitingValue = false
			}
		}
	}
	return spans
}
