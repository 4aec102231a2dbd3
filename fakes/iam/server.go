package iam

import "net/http/httptest"

// Server is a Service listening on a loopback port, for tests. It serves
// IAM and STS on one URL, told apart by the SigV4 credential scope.
type Server struct {
	*Service
	*httptest.Server
}

// NewServer starts a Service on a loopback httptest server. Close stops it
// and waits for in-flight requests.
func NewServer(opts Options) (*Server, error) {
	svc, err := New(opts)
	if err != nil {
		return nil, err
	}
	return &Server{Service: svc, Server: httptest.NewServer(svc)}, nil
}
