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
	codeDeleteConflict        = "DeleteConflictException"        // 409
	codeCertificateValidation = "CertificateValidationException" // 400
	codeMalformedPolicy       = "MalformedPolicyException"       // 400
	codeVersionsLimitExceeded = "VersionsLimitExceededException" // 409
	codeLimitExceeded         = "LimitExceededException"         // 410
	codeSQLParse              = "SqlParseException"              // 400
	codeUnauthorized          = "UnauthorizedException"          // 401
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

func notFound(format string, args ...any) error {
	return awsproto.NewError(http.StatusNotFound, codeResourceNotFound, format, args...)
}

func alreadyExists(format string, args ...any) error {
	return awsproto.NewError(http.StatusConflict, codeResourceAlreadyExists, format, args...)
}

func deleteConflict(format string, args ...any) error {
	return awsproto.NewError(http.StatusConflict, codeDeleteConflict, format, args...)
}

func groupVersionConflict(name string, expected, actual int64) error {
	return awsproto.NewError(http.StatusConflict, codeVersionConflict,
		"The version for thing group %s does not match the expected version (expected %d, current %d).", name, expected, actual)
}

func certificateValidation(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeCertificateValidation, format, args...)
}

func malformedPolicy(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeMalformedPolicy, format, args...)
}

func versionsLimitExceeded(policy string) error {
	return awsproto.NewError(http.StatusConflict, codeVersionsLimitExceeded,
		"The policy %s already has the maximum number of versions (%d)", policy, maxPolicyVersions)
}

func limitExceeded(format string, args ...any) error {
	return awsproto.NewError(http.StatusGone, codeLimitExceeded, format, args...)
}

func sqlParse(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, codeSQLParse, format, args...)
}

// ruleNotFound: AWS: GetTopicRule, DeleteTopicRule, ReplaceTopicRule,
// EnableTopicRule and DisableTopicRule list no ResourceNotFoundException;
// AWS IoT answers a missing rule with UnauthorizedException (401).
func ruleNotFound(name string) error {
	return awsproto.NewError(http.StatusUnauthorized, codeUnauthorized, "Rule %s does not exist or you are not authorized to access it", name)
}
