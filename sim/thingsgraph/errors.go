package thingsgraph

import (
	"net/http"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Error codes of the model (api-2.json iotthingsgraph, every "exception": true shape).
const (
	codeInvalidRequest  = "InvalidRequestException"
	codeNotFound        = "ResourceNotFoundException"
	codeAlreadyExists   = "ResourceAlreadyExistsException"
	codeInUse           = "ResourceInUseException"
	codeLimitExceeded   = "LimitExceededException"
	codeThrottling      = "ThrottlingException"
	codeInternalFailure = "InternalFailureException"
)

func invalidRequest(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeInvalidRequest, format, args...)
}

func notFound(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeNotFound, format, args...)
}

func alreadyExists(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeAlreadyExists, format, args...)
}

func inUse(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeInUse, format, args...)
}
