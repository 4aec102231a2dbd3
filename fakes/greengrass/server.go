package greengrass

import "net/http/httptest"

// Server is a Service listening on a loopback port, for tests:
// srv.URL is the endpoint, srv.Close stops it and waits for in-flight
// requests.
type Server struct {
	*Service
	*httptest.Server
}

// NewServer starts a Service built from opts on a loopback port.
func NewServer(opts Options) (*Server, error) {
	svc, err := New(opts)
	if err != nil {
		return nil, err
	}
	return &Server{Service: svc, Server: httptest.NewServer(svc)}, nil
}
