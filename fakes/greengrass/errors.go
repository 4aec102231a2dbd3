package greengrass

import (
	"net/http"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// Error codes as Greengrass spells them. The API model declares only
// BadRequestException and InternalServerErrorException (shape GeneralError,
// members Message and ErrorDetails); the others are what the live service
// answers for missing ids and versions and for deployments without a core.
// AWS: api-2.json greengrass/2017-06-07 "errors"; observed codes as recorded
// by moto's greengrass tests.
const (
	CodeBadRequest                 = "BadRequestException"
	CodeInternalServerError        = "InternalServerErrorException"
	CodeIDNotFound                 = "IdNotFoundException"
	CodeVersionNotFound            = "VersionNotFoundException"
	CodeInvalidContainerDefinition = "InvalidContainerDefinitionException"
	CodeInvalidInput               = "InvalidInputException"
	CodeMissingCore                = "MissingCoreException"
	CodeResourceNotFound           = "ResourceNotFoundException"
	CodeUnknownOperation           = awsproto.CodeUnknownOperation
)

func badRequest(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, CodeBadRequest, format, args...)
}

func idNotFound(format string, args ...any) error {
	return awsproto.NewError(http.StatusNotFound, CodeIDNotFound, format, args...)
}

func versionNotFound(format string, args ...any) error {
	return awsproto.NewError(http.StatusNotFound, CodeVersionNotFound, format, args...)
}

func invalidContainer(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, CodeInvalidContainerDefinition, format, args...)
}

func invalidInput(format string, args ...any) error {
	return awsproto.NewError(http.StatusBadRequest, CodeInvalidInput, format, args...)
}

func resourceNotFound(format string, args ...any) error {
	return awsproto.NewError(http.StatusNotFound, CodeResourceNotFound, format, args...)
}

// missingCore carries the detail code the console shows for it.
// AWS: GG-303 "You need a Greengrass Core in this Group before you can deploy."
func missingCore() error {
	return awsproto.NewError(http.StatusBadRequest, CodeMissingCore,
		"The group cannot be deployed. (ErrorDetails: [GG-303: You need a Greengrass Core in this Group before you can deploy.])")
}

func unknownOperation(method, path string) error {
	return awsproto.NewError(http.StatusNotFound, CodeUnknownOperation, "no Greengrass operation matches %s %s", method, path)
}

// notImplemented answers an operation of the model this fake does not serve.
// Divergence: status 400, not 5xx, so SDK clients fail at once instead of
// retrying.
func notImplemented(op string) error {
	return awsproto.NewError(http.StatusBadRequest, CodeBadRequest, "tgsim does not implement Greengrass operation %s", op)
}

// jsonErrors is the funnel configuration: Greengrass puts the message in
// "Message" (shape GeneralError).
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	awsproto.WriteJSONError(r.Context(), w, err, awsproto.JSONErrorOptions{
		InternalCode: CodeInternalServerError,
		MessageKey:   "Message",
		ContentType:  "application/json",
		Logger:       s.log,
	})
}
