package device

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Discovered is what the Greengrass discovery API told a device: where its
// group's core listens and the CAs that signed the core's certificate.
type Discovered struct {
	GroupID string
	// Broker is host:port of the core's first connectivity entry, and
	// Host its host (the name its server certificate must carry).
	Broker, Host string
	Roots        *x509.CertPool
}

// ErrNotDiscovered: the discovery API knows the thing in no deployed
// group version (HTTP 404), or not in the group asked for.
var ErrNotDiscovered = errors.New("the thing is in no deployed version of the group")

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
	return DiscoverGroup(ctx, client, baseURL, thing, "", cert, trust)
}

// DiscoverGroup is Discover for one group: groupID's core, or
// ErrNotDiscovered when the answer does not list that group ("" takes
// the first group with a reachable core).
func DiscoverGroup(ctx context.Context, client *http.Client, baseURL, thing, groupID string, cert tls.Certificate, trust *x509.CertPool) (Discovered, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
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
	if resp.StatusCode == http.StatusNotFound {
		return Discovered{}, fmt.Errorf("discover %s: %w", thing, ErrNotDiscovered)
	}
	if resp.StatusCode != http.StatusOK {
		return Discovered{}, fmt.Errorf("discover %s: HTTP %d: %s", thing, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return parseDiscovery(thing, body, groupID)
}

// parseDiscovery picks groupID's (or, for "", the first group's) first
// core's first usable address [AWS: gg-discover-api.html, response].
func parseDiscovery(thing string, body []byte, groupID string) (Discovered, error) {
	var doc discoverDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return Discovered{}, fmt.Errorf("discover %s: answer is not the discovery document: %w", thing, err)
	}
	for _, g := range doc.GGGroups {
		if groupID != "" && g.GGGroupID != groupID {
			continue
		}
		roots := x509.NewCertPool()
		for _, ca := range g.CAs {
			roots.AppendCertsFromPEM([]byte(ca))
		}
		for _, c := range g.Cores {
			for _, conn := range c.Connectivity {
				if conn.HostAddress == "" || conn.PortNumber <= 0 || conn.PortNumber > 65535 {
					continue
				}
				return Discovered{GroupID: g.GGGroupID, Host: conn.HostAddress,
					Broker: net.JoinHostPort(conn.HostAddress, strconv.Itoa(conn.PortNumber)), Roots: roots}, nil
			}
		}
		if groupID != "" {
			return Discovered{}, fmt.Errorf("discover %s: group %s lists no core address (has its core published its connectivity?)", thing, groupID)
		}
	}
	if groupID != "" {
		return Discovered{}, fmt.Errorf("discover %s: group %s: %w", thing, groupID, ErrNotDiscovered)
	}
	return Discovered{}, fmt.Errorf("discover %s: no group with a reachable core in the answer", thing)
}
