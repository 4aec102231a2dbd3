package device

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Discovered is what the Greengrass discovery API told a device: where its
// group's core listens and the CAs that signed the core's certificate.
type Discovered struct {
	GroupID string
	// Broker is host:port of the core's first connectivity entry.
	Broker string
	Roots  *x509.CertPool
}

// discoverDoc is the discovery API's answer [AWS: Greengrass discovery
// API, GET /greengrass/discover/thing/{thingName}].
type discoverDoc struct {
	GGGroups []struct {
		GGGroupID string `json:"GGGroupId"`
		Cores     []struct {
			ThingArn     string `json:"thingArn"`
			Connectivity []struct {
				HostAddress string `json:"hostAddress"`
				PortNumber  int    `json:"portNumber"`
			} `json:"Connectivity"`
		} `json:"Cores"`
		CAs []string `json:"CAs"`
	} `json:"GGGroups"`
}

// Discover asks the discovery API at baseURL (https://host:port) for
// thing's group, over mutual TLS with the thing's certificate, as a
// Greengrass device's SDK does before its first connect. trust is the
// discovery endpoint's server certificate pool. client, when set, is
// reused (its transport must present cert); nil builds one.
func Discover(ctx context.Context, client *http.Client, baseURL, thing string, cert tls.Certificate, trust *x509.CertPool) (Discovered, error) {
	if client == nil {
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: trust, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}
		defer client.CloseIdleConnections()
	}
	u := strings.TrimRight(baseURL, "/") + "/greengrass/discover/thing/" + url.PathEscape(thing)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Discovered{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Discovered{}, fmt.Errorf("discover %s: %w", thing, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Discovered{}, fmt.Errorf("discover %s: %w", thing, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Discovered{}, fmt.Errorf("discover %s: HTTP %d: %s", thing, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return parseDiscovery(thing, body)
}

// parseDiscovery picks the first group's first core with connectivity.
func parseDiscovery(thing string, body []byte) (Discovered, error) {
	var doc discoverDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return Discovered{}, fmt.Errorf("discover %s: answer is not the discovery document: %w", thing, err)
	}
	for _, g := range doc.GGGroups {
		roots := x509.NewCertPool()
		for _, ca := range g.CAs {
			roots.AppendCertsFromPEM([]byte(ca))
		}
		for _, c := range g.Cores {
			for _, conn := range c.Connectivity {
				if conn.HostAddress == "" || conn.PortNumber <= 0 {
					continue
				}
				return Discovered{GroupID: g.GGGroupID, Broker: net.JoinHostPort(conn.HostAddress, strconv.Itoa(conn.PortNumber)), Roots: roots}, nil
			}
		}
	}
	return Discovered{}, fmt.Errorf("discover %s: no group with a reachable core in the answer", thing)
}
