package greengrass

import (
	"net/http"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// checkRoleArn accepts an IAM role ARN.
func checkRoleArn(s string) error {
	if s == "" {
		return badRequest("RoleArn is required.")
	}
	a, err := awsproto.ParseARN(s)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") || a.Resource == "role/" {
		return badRequest("RoleArn %q is not an IAM role ARN.", s)
	}
	return nil
}

// AssociateRoleToGroup serves PUT /greengrass/groups/{GroupId}/role.
// Divergence: the role is not looked up in IAM (one fake never calls
// another).
func (s *Service) AssociateRoleToGroup(w http.ResponseWriter, r *http.Request, p pathParams) error {
	var in struct{ RoleArn string }
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkRoleArn(in.RoleArn); err != nil {
		return err
	}
	if err := passRole(r, in.RoleArn); err != nil {
		return err
	}
	ra := RoleAssociation{RoleArn: in.RoleArn, AssociatedAt: s.opts.Now()}
	if err := s.backend.AssociateRoleToGroup(r.Context(), p["GroupId"], ra); err != nil {
		return err
	}
	reply(w, struct{ AssociatedAt string }{timestamp(ra.AssociatedAt)})
	return nil
}

// GetAssociatedRole serves GET /greengrass/groups/{GroupId}/role.
func (s *Service) GetAssociatedRole(w http.ResponseWriter, r *http.Request, p pathParams) error {
	ra, err := s.backend.GetAssociatedRole(r.Context(), p["GroupId"])
	if err != nil {
		return err
	}
	reply(w, struct{ AssociatedAt, RoleArn string }{timestamp(ra.AssociatedAt), ra.RoleArn})
	return nil
}

// DisassociateRoleFromGroup serves DELETE /greengrass/groups/{GroupId}/role.
func (s *Service) DisassociateRoleFromGroup(w http.ResponseWriter, r *http.Request, p pathParams) error {
	if err := s.backend.DisassociateRoleFromGroup(r.Context(), p["GroupId"]); err != nil {
		return err
	}
	reply(w, struct{ DisassociatedAt string }{timestamp(s.opts.Now())})
	return nil
}

// AssociateServiceRoleToAccount serves PUT /greengrass/servicerole.
func (s *Service) AssociateServiceRoleToAccount(w http.ResponseWriter, r *http.Request, _ pathParams) error {
	var in struct{ RoleArn string }
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkRoleArn(in.RoleArn); err != nil {
		return err
	}
	if err := passRole(r, in.RoleArn); err != nil {
		return err
	}
	ra := RoleAssociation{RoleArn: in.RoleArn, AssociatedAt: s.opts.Now()}
	if err := s.backend.SetServiceRole(r.Context(), &ra); err != nil {
		return err
	}
	reply(w, struct{ AssociatedAt string }{timestamp(ra.AssociatedAt)})
	return nil
}

// GetServiceRoleForAccount serves GET /greengrass/servicerole.
func (s *Service) GetServiceRoleForAccount(w http.ResponseWriter, r *http.Request, _ pathParams) error {
	ra, err := s.backend.ServiceRole(r.Context())
	if err != nil {
		return err
	}
	reply(w, struct{ AssociatedAt, RoleArn string }{timestamp(ra.AssociatedAt), ra.RoleArn})
	return nil
}

// DisassociateServiceRoleFromAccount serves DELETE /greengrass/servicerole.
func (s *Service) DisassociateServiceRoleFromAccount(w http.ResponseWriter, r *http.Request, _ pathParams) error {
	if err := s.backend.SetServiceRole(r.Context(), nil); err != nil {
		return err
	}
	reply(w, struct{ DisassociatedAt string }{timestamp(s.opts.Now())})
	return nil
}

// ListTagsForResource serves GET /tags/{resource-arn}.
func (s *Service) ListTagsForResource(w http.ResponseWriter, r *http.Request, p pathParams) error {
	tags, err := s.backend.Tags(r.Context(), p["resource-arn"])
	if err != nil {
		return err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	reply(w, struct {
		Tags map[string]string `json:"tags"`
	}{tags})
	return nil
}

// TagResource serves POST /tags/{resource-arn}; success is 204 with no body.
func (s *Service) TagResource(w http.ResponseWriter, r *http.Request, p pathParams) error {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.backend.TagResource(r.Context(), p["resource-arn"], in.Tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// UntagResource serves DELETE /tags/{resource-arn}?tagKeys=...; success is 204.
func (s *Service) UntagResource(w http.ResponseWriter, r *http.Request, p pathParams) error {
	keys := r.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return badRequest("tagKeys is required.")
	}
	if err := s.backend.UntagResource(r.Context(), p["resource-arn"], keys); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// passRole checks iam:PassRole: associating a role hands it to Greengrass.
// [SAR] AssociateRoleToGroup and AssociateServiceRoleToAccount list
// iam:PassRole as a dependent action; iam:PassedToService is Greengrass's
// service principal.
func passRole(r *http.Request, roleArn string) error {
	ctx := r.Context()
	return awsproto.AuthorizerFrom(ctx).Authorize(ctx, "iam:PassRole", roleArn,
		map[string][]string{"iam:PassedToService": {"greengrass.amazonaws.com"}})
}
