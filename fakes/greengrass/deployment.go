package greengrass

import (
	"context"
	"net/http"
	"strings"
)

// CreateDeployment serves POST /greengrass/groups/{GroupId}/deployments.
func (s *Service) CreateDeployment(w http.ResponseWriter, r *http.Request, p pathParams) error {
	var in struct {
		DeploymentID   string `json:"DeploymentId"`
		DeploymentType DeploymentType
		GroupVersionID string `json:"GroupVersionId"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if !in.DeploymentType.valid() {
		// AWS: InvalidInputException, "That deployment type is not valid.
		// Please specify one of the following types: {...}."
		return invalidInput("That deployment type is not valid.  Please specify one of the following types: {NewDeployment,Redeployment,ResetDeployment,ForceResetDeployment}.")
	}
	if in.DeploymentType == Redeployment && in.DeploymentID == "" {
		return invalidInput("Your request is missing the following required parameter(s): {DeploymentId}.")
	}
	d, err := s.deploy(r.Context(), p["GroupId"], in.DeploymentType, in.GroupVersionID, in.DeploymentID)
	if err != nil {
		return err
	}
	reply(w, deploymentRef(d))
	return nil
}

// ResetDeployments serves POST /greengrass/groups/{GroupId}/deployments/$reset.
func (s *Service) ResetDeployments(w http.ResponseWriter, r *http.Request, p pathParams) error {
	var in struct{ Force bool }
	if err := decode(r, &in); err != nil {
		return err
	}
	t := ResetDeployment
	if in.Force {
		t = ForceResetDeployment
	}
	d, err := s.deploy(r.Context(), p["GroupId"], t, "", "")
	if err != nil {
		return err
	}
	reply(w, deploymentRef(d))
	return nil
}

// deploy records a deployment and tells OnDeployment about it.
// Divergence: a deployment starts InProgress (AWS passes through Building)
// and stays there until SetDeploymentStatus reports the core's outcome.
func (s *Service) deploy(ctx context.Context, groupID string, t DeploymentType, groupVersionID, redeployOf string) (Deployment, error) {
	region, account := s.where(ctx)
	now := s.opts.Now()
	d := Deployment{
		GroupID: groupID, GroupArn: groupArn(region, account, groupID),
		DeploymentID: s.opts.NewID(), Type: t, GroupVersionID: groupVersionID,
		CreatedAt: now, UpdatedAt: now, Status: StatusInProgress,
	}
	d.Arn = deploymentArn(region, account, groupID, d.DeploymentID)
	d, err := s.backend.CreateDeployment(ctx, d, redeployOf)
	if err != nil {
		return Deployment{}, err
	}
	s.log.DebugContext(ctx, "deployment accepted", "group", groupID, "deployment", d.DeploymentID, "type", string(t))
	if s.opts.OnDeployment != nil {
		s.opts.OnDeployment(copyDeployment(d))
	}
	return d, nil
}

func deploymentRef(d Deployment) any {
	return struct {
		DeploymentArn string
		DeploymentID  string `json:"DeploymentId"`
	}{d.Arn, d.DeploymentID}
}

// ListDeployments serves GET /greengrass/groups/{GroupId}/deployments,
// newest first.
func (s *Service) ListDeployments(w http.ResponseWriter, r *http.Request, p pathParams) error {
	ds, err := s.backend.ListDeployments(r.Context(), p["GroupId"])
	if err != nil {
		return err
	}
	ds, next, err := paginate(r, ds)
	if err != nil {
		return err
	}
	type deployment struct {
		CreatedAt      string
		DeploymentArn  string
		DeploymentID   string `json:"DeploymentId"`
		DeploymentType DeploymentType
		GroupArn       string
	}
	out := struct {
		Deployments []deployment
		NextToken   string `json:"NextToken,omitempty"`
	}{Deployments: make([]deployment, 0, len(ds)), NextToken: next}
	for _, d := range ds {
		out.Deployments = append(out.Deployments, deployment{timestamp(d.CreatedAt), d.Arn, d.DeploymentID, d.Type, d.GroupArn})
	}
	reply(w, out)
	return nil
}

// GetDeploymentStatus serves GET /greengrass/groups/{GroupId}/deployments/{DeploymentId}/status.
func (s *Service) GetDeploymentStatus(w http.ResponseWriter, r *http.Request, p pathParams) error {
	d, err := s.backend.GetDeployment(r.Context(), p["GroupId"], p["DeploymentId"])
	if err != nil {
		return err
	}
	reply(w, struct {
		DeploymentStatus DeploymentStatus
		DeploymentType   DeploymentType
		ErrorDetails     []ErrorDetail `json:",omitempty"`
		ErrorMessage     string        `json:",omitempty"`
		UpdatedAt        string
	}{d.Status, d.Type, d.ErrorDetails, d.ErrorMessage, timestamp(d.UpdatedAt)})
	return nil
}

// SetDeploymentStatus records the outcome a core reports for a deployment
// (in AWS the core reports it over MQTT). errorMessage and details are kept
// only for StatusFailure. An unknown status is BadRequestException.
func (s *Service) SetDeploymentStatus(ctx context.Context, groupID, deploymentID string, status DeploymentStatus, errorMessage string, details ...ErrorDetail) (Deployment, error) {
	switch status {
	case StatusBuilding, StatusInProgress, StatusSuccess:
		errorMessage, details = "", nil
	case StatusFailure:
	default:
		return Deployment{}, badRequest("deployment status %q is not one of %s", status, strings.Join([]string{string(StatusBuilding), string(StatusInProgress), string(StatusSuccess), string(StatusFailure)}, ", "))
	}
	d := Deployment{GroupID: groupID, DeploymentID: deploymentID, Status: status, UpdatedAt: s.opts.Now(), ErrorMessage: errorMessage, ErrorDetails: details}
	d, err := s.backend.UpdateDeployment(ctx, d)
	if err != nil {
		return Deployment{}, err
	}
	s.log.DebugContext(ctx, "deployment status", "group", groupID, "deployment", deploymentID, "status", string(status))
	return d, nil
}

// Deployments returns a group's deployments, newest first, for tests and
// for the core simulator's inspection.
func (s *Service) Deployments(ctx context.Context, groupID string) ([]Deployment, error) {
	return s.backend.ListDeployments(ctx, groupID)
}
