package iot

import "net/http"

// DescribeEndpoint is GET /endpoint?endpointType=T. AWS: DescribeEndpoint —
// iot:Data (legacy, the default), iot:Data-ATS, iot:CredentialProvider,
// iot:Jobs.
func (s *Service) DescribeEndpoint(w http.ResponseWriter, r *http.Request) error {
	t := r.URL.Query().Get("endpointType")
	var addr string
	switch t {
	case "", "iot:Data", "iot:Data-ATS", "iot:Jobs":
		addr = s.opts.DataEndpoint
	case "iot:CredentialProvider":
		addr = s.opts.CredentialProviderEndpoint
	default:
		return invalidRequest("Endpoint type %s is not valid.", t)
	}
	return writeJSON(w, struct {
		EndpointAddress string `json:"endpointAddress"`
	}{addr})
}
