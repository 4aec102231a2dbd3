package s3

import "net/http/httptest"

// Server is a Service listening on a loopback port, for tests.
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

// NewTLSServer is NewServer over HTTPS with httptest's self-signed
// certificate; use Server.Client() (or its Transport) in the SDK client.
// Over TLS the SDK sends aws-chunked bodies with trailing checksums.
func NewTLSServer(opts Options) (*Server, error) {
	svc, err := New(opts)
	if err != nil {
		return nil, err
	}
	return &Server{Service: svc, Server: httptest.NewTLSServer(svc)}, nil
}
