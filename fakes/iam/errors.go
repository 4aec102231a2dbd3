package iam

import (
	"net/http"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Error codes as the Query protocol spells them ("error.code" in
// api-2.json iam/2010-05-08), with their HTTP status.
const (
	codeNoSuchEntity            = "NoSuchEntity"            // 404
	codeEntityAlreadyExists     = "EntityAlreadyExists"     // 409
	codeMalformedPolicyDocument = "MalformedPolicyDocument" // 400
	codeValidationError         = "ValidationError"         // 400
	codeInvalidAction           = awsproto.CodeInvalidAction
	codeMissingAction           = "MissingAction"
	codeMissingAuthToken        = "MissingAuthenticationToken"
	codeDeleteConflict          = "DeleteConflict"      // 409
	codeLimitExceeded           = "LimitExceeded"       // 409
	codeInvalidInput            = "InvalidInput"        // 400
	codeAccessDenied            = "AccessDenied"        // 403
	codePolicyNotAttachable     = "PolicyNotAttachable" // 400
)

// noSuchEntity is the 404 every lookup answers with; AWS words the message
// per entity, so callers pass it whole.
func noSuchEntity(format string, args ...any) error {
	return awsproto.NewError(http.StatusNotFound, codeNoSuchEntity, format, args...)
}

func noSuchGroup(name string) error {
	return noSuchEntity("The group with name %s cannot be found.", name)
}

func noSuchPolicy(arn string) error {
	return noSuchEntity("Policy %s does not exist or is not attachable.", arn)
}

func noSuchKind(kind Kind, name string) error {
	switch kind {
	case KindUser:
		return noSuchUser(name)
	case KindGroup:
		return noSuchGroup(name)
	}
	return noSuchRole(name)
}

func entityExists(format string, args ...any) error {
	return awsproto.NewError(http.StatusConflict, codeEntityAlreadyExists, format, args...)
}

func deleteConflict(format string, args ...any) error {
	return awsproto.NewError(http.StatusConflict, codeDeleteConflict, format, args...)
}

func limitExceeded(format string, args ...any) error {
	return awsproto.NewError(http.StatusConflict, codeLimitExceeded, format, args...)
}

func invalidInput(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeInvalidInput, format, args...)
}

// accessDenied is STS's and IAM's 403.
func accessDenied(format string, args ...any) error {
	return awsproto.NewError(http.StatusForbidden, codeAccessDenied, format, args...)
}

func noSuchRole(name string) error {
	return awsproto.NewError(http.StatusNotFound, codeNoSuchEntity, "The role with name %s cannot be found.", name)
}

func noSuchUser(name string) error {
	return awsproto.NewError(http.StatusNotFound, codeNoSuchEntity, "The user with name %s cannot be found.", name)
}

func roleExists(name string) error {
	return awsproto.NewError(http.StatusConflict, codeEntityAlreadyExists, "Role with name %s already exists.", name)
}

func malformedPolicy(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeMalformedPolicyDocument, format, args...)
}

// validationError is AWS's wording for a parameter that breaks its
// constraint. member is the lower-camel name AWS prints ("roleName").
func validationError(member, value, constraint string) error {
	return awsproto.NewError(http.StatusBadRequest, codeValidationError,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

// validationErrorMsg is a ValidationError with a message of its own.
func validationErrorMsg(msg string) error {
	return awsproto.NewError(http.StatusBadRequest, codeValidationError, "%s", msg)
}

func missingParameter(member string) error {
	return awsproto.NewError(http.StatusBadRequest, codeValidationError,
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func invalidAction(action, version string) error {
	return awsproto.NewError(http.StatusBadRequest, codeInvalidAction, "Could not find operation %s for version %s", action, version)
}

func missingAction() error {
	return awsproto.NewError(http.StatusBadRequest, codeMissingAction, "Missing Action")
}
