package iot

import (
	"fmt"
	"net/http"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Error codes, spelled and with the HTTP status of api-2.json iot/2015-05-28.
const (
	codeInvalidRequest        = "InvalidRequestException"        // 400
	codeResourceNotFound      = "ResourceNotFoundException"      // 404
	codeResourceAlreadyExists = "ResourceAlreadyExistsException" // 409
	codeVersionConflict       = "VersionConflictException"       // 409
	codeCertificateState      = "CertificateStateException"      // 406
	codeInternalFailure       = "InternalFailureException"       // 500
	codeUnknownOperation      = awsproto.CodeUnknownOperation    // 404, not in the model
	errorContentType          = "application/json"
)

func invalidRequest(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeInvalidRequest, format, args...)
}

// validationError is AWS's wording for a member that breaks its constraint.
func validationError(member, value, constraint string) error {
	return invalidRequest("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func thingNotFound(name string) error {
	return awsproto.NewError(http.StatusNotFound, codeResourceNotFound, "Thing %s cannot be found.", name)
}

func certificateNotFound(id string) error {
	return awsproto.NewError(http.StatusNotFound, codeResourceNotFound, "The certificate given in the principal does not exist: %s", id)
}

func thingAlreadyExists(name string) error {
	return awsproto.NewError(http.StatusConflict, codeResourceAlreadyExists, "Thing %s already exists in account with different attributes", name)
}

func versionConflict(name string, expected, actual int64) error {
	return awsproto.NewError(http.StatusConflict, codeVersionConflict,
		"The version for thing %s does not match the expected version (expected %d, current %d).", name, expected, actual)
}

func certificateState(format string, args ...any) error {
	return awsproto.NewError(http.StatusNotAcceptable, codeCertificateState, format, args...)
}

func unknownOperation(method, path string) error {
	return awsproto.NewError(http.StatusNotFound, codeUnknownOperation, "%s", fmt.Sprintf("no AWS IoT operation at %s %s", method, path))
}
