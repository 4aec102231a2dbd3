package greengrass

import "net/http"

// buildRoutes is the operation table: method and requestUri exactly as in
// api-2.json greengrass/2017-06-07.
func (s *Service) buildRoutes() []route {
	rs := []route{
		newRoute("POST", "/greengrass/groups", "CreateGroup", s.CreateGroup),
		newRoute("GET", "/greengrass/groups", "ListGroups", s.ListGroups),
		newRoute("GET", "/greengrass/groups/{GroupId}", "GetGroup", s.GetGroup),
		newRoute("PUT", "/greengrass/groups/{GroupId}", "UpdateGroup", s.UpdateGroup),
		newRoute("DELETE", "/greengrass/groups/{GroupId}", "DeleteGroup", s.DeleteGroup),
		newRoute("POST", "/greengrass/groups/{GroupId}/versions", "CreateGroupVersion", s.CreateGroupVersion),
		newRoute("GET", "/greengrass/groups/{GroupId}/versions", "ListGroupVersions", s.ListGroupVersions),
		newRoute("GET", "/greengrass/groups/{GroupId}/versions/{GroupVersionId}", "GetGroupVersion", s.GetGroupVersion),
		newRoute("POST", "/greengrass/groups/{GroupId}/deployments", "CreateDeployment", s.CreateDeployment),
		newRoute("GET", "/greengrass/groups/{GroupId}/deployments", "ListDeployments", s.ListDeployments),
		newRoute("GET", "/greengrass/groups/{GroupId}/deployments/{DeploymentId}/status", "GetDeploymentStatus", s.GetDeploymentStatus),
		newRoute("POST", "/greengrass/groups/{GroupId}/deployments/$reset", "ResetDeployments", s.ResetDeployments),
		newRoute("PUT", "/greengrass/groups/{GroupId}/role", "AssociateRoleToGroup", s.AssociateRoleToGroup),
		newRoute("GET", "/greengrass/groups/{GroupId}/role", "GetAssociatedRole", s.GetAssociatedRole),
		newRoute("DELETE", "/greengrass/groups/{GroupId}/role", "DisassociateRoleFromGroup", s.DisassociateRoleFromGroup),
		newRoute("PUT", "/greengrass/servicerole", "AssociateServiceRoleToAccount", s.AssociateServiceRoleToAccount),
		newRoute("GET", "/greengrass/servicerole", "GetServiceRoleForAccount", s.GetServiceRoleForAccount),
		newRoute("DELETE", "/greengrass/servicerole", "DisassociateServiceRoleFromAccount", s.DisassociateServiceRoleFromAccount),
		newRoute("GET", "/greengrass/things/{ThingName}/connectivityInfo", "GetConnectivityInfo", s.GetConnectivityInfo),
		newRoute("PUT", "/greengrass/things/{ThingName}/connectivityInfo", "UpdateConnectivityInfo", s.UpdateConnectivityInfo),
		newRoute("POST", "/greengrass/groups/{GroupId}/certificateauthorities", "CreateGroupCertificateAuthority", s.CreateGroupCertificateAuthority),
		newRoute("GET", "/greengrass/groups/{GroupId}/certificateauthorities", "ListGroupCertificateAuthorities", s.ListGroupCertificateAuthorities),
		newRoute("GET", "/greengrass/groups/{GroupId}/certificateauthorities/{CertificateAuthorityId}", "GetGroupCertificateAuthority", s.GetGroupCertificateAuthority),
		newRoute("GET", "/greengrass/groups/{GroupId}/certificateauthorities/configuration/expiry", "GetGroupCertificateConfiguration", s.GetGroupCertificateConfiguration),
		newRoute("PUT", "/greengrass/groups/{GroupId}/certificateauthorities/configuration/expiry", "UpdateGroupCertificateConfiguration", s.UpdateGroupCertificateConfiguration),
		newRoute("GET", "/tags/{resource-arn}", "ListTagsForResource", s.ListTagsForResource),
		newRoute("POST", "/tags/{resource-arn}", "TagResource", s.TagResource),
		newRoute("DELETE", "/tags/{resource-arn}", "UntagResource", s.UntagResource),
	}
	for _, k := range Kinds {
		op := kindInfos[k].op
		base := "/greengrass/definition/" + string(k)
		id := base + "/{" + k.idParam() + "}"
		rs = append(rs,
			newRoute("POST", base, "Create"+op+"Definition", s.createDefinition(k)),
			newRoute("GET", base, "List"+op+"Definitions", s.listDefinitions(k)),
			newRoute("GET", id, "Get"+op+"Definition", s.getDefinition(k)),
			newRoute("PUT", id, "Update"+op+"Definition", s.updateDefinition(k)),
			newRoute("DELETE", id, "Delete"+op+"Definition", s.deleteDefinition(k)),
			newRoute("POST", id+"/versions", "Create"+op+"DefinitionVersion", s.createDefinitionVersion(k)),
			newRoute("GET", id+"/versions", "List"+op+"DefinitionVersions", s.listDefinitionVersions(k)),
			newRoute("GET", id+"/versions/{"+k.versionParam()+"}", "Get"+op+"DefinitionVersion", s.getDefinitionVersion(k)),
		)
	}
	// Operations of the model this fake does not serve: they answer a clear
	// BadRequestException instead of an unknown-route error.
	for _, u := range unimplemented {
		op := u.op
		rs = append(rs, newRoute(u.method, u.uri, op, func(http.ResponseWriter, *http.Request, pathParams) error {
			return notImplemented(op)
		}))
	}
	return rs
}

var unimplemented = []struct{ method, uri, op string }{
	{"POST", "/greengrass/updates", "CreateSoftwareUpdateJob"},
	{"GET", "/greengrass/bulk/deployments/{BulkDeploymentId}/status", "GetBulkDeploymentStatus"},
	{"GET", "/greengrass/things/{ThingName}/runtimeconfig", "GetThingRuntimeConfiguration"},
	{"GET", "/greengrass/bulk/deployments/{BulkDeploymentId}/detailed-reports", "ListBulkDeploymentDetailedReports"},
	{"GET", "/greengrass/bulk/deployments", "ListBulkDeployments"},
	{"POST", "/greengrass/bulk/deployments", "StartBulkDeployment"},
	{"PUT", "/greengrass/bulk/deployments/{BulkDeploymentId}/$stop", "StopBulkDeployment"},
	{"PUT", "/greengrass/things/{ThingName}/runtimeconfig", "UpdateThingRuntimeConfiguration"},
}
