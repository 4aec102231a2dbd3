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

// accessDenied is the authorization failure of a call Things Graph made for
// the caller. Not in the model; AWS JSON services answer it with 403.
func accessDenied(format string, args ...any) error {
	return awsproto.NewError(http.StatusForbidden, "AccessDeniedException", format, args...)
}

func inUse(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeInUse, format, args...)
}

func limitExceeded(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeLimitExceeded, format, args...)
}
