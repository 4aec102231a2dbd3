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
)

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
