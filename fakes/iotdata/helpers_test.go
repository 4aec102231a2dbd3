package iotdata_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"

	"github.com/tgsim/tgsim/fakes/iot"
	"github.com/tgsim/tgsim/fakes/iotdata"
)

const (
	account = "123456789012"
	region  = "us-east-1"
)

func arn(s string) string { return "arn:aws:iot:" + region + ":" + account + ":" + s }

// env is an IoT registry fake, its SDK client and a broker wired to it.
type env struct {
	t        *testing.T
	ctx      context.Context
	reg      *iot.Server
	c        *iotsdk.Client
	b        *iotdata.Broker
	roots    *x509.CertPool
	policies atomic.Int64

	mu       sync.Mutex
	messages []iotdata.Message
}

func newEnv(t *testing.T, mod func(*iotdata.Options)) *env {
	t.Helper()
	reg, err := iot.NewServer(iot.Options{AccountID: account})
	if err != nil {
		t.Fatalf("iot.NewServer: %v", err)
	}
	t.Cleanup(reg.Close)
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	e := &env{t: t, ctx: context.Background(), reg: reg,
		c: iotsdk.NewFromConfig(cfg, func(o *iotsdk.Options) { o.BaseEndpoint = aws.String(reg.URL); o.RetryMaxAttempts = 1 })}
	server, ca := serverCert(t)
	e.roots = x509.NewCertPool()
	e.roots.AddCert(ca)
	opts := iotdata.Options{
		AccountID: account, Region: region, ServerCertificate: server,
		VerifyClientCertificate: reg.VerifyClientCertificate,
		Policies:                reg.PoliciesForCertificate,
		OnMessage: func(m iotdata.Message) {
			e.mu.Lock()
			e.messages = append(e.messages, m)
			e.mu.Unlock()
		},
	}
	if mod != nil {
		mod(&opts)
	}
	b, err := iotdata.New(opts)
	if err != nil {
		t.Fatalf("iotdata.New: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	e.b = b
	return e
}

// serverCert is a self-signed certificate for 127.0.0.1.
func serverCert(t *testing.T) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "iot data plane"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, cert
}

// device registers a certificate (ACTIVE), attaches the policies to it and,
// when thing is not "", creates the thing and attaches the certificate.
func (e *env) device(thing string, docs ...string) (tls.Certificate, string) {
	e.t.Helper()
	out, err := e.c.CreateKeysAndCertificate(e.ctx, &iotsdk.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		e.t.Fatalf("CreateKeysAndCertificate: %v", err)
	}
	cert, err := tls.X509KeyPair([]byte(aws.ToString(out.CertificatePem)), []byte(aws.ToString(out.KeyPair.PrivateKey)))
	if err != nil {
		e.t.Fatalf("X509KeyPair: %v", err)
	}
	for _, d := range docs {
		name := fmt.Sprintf("p%d", e.policies.Add(1))
		if _, err := e.c.CreatePolicy(e.ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(d)}); err != nil {
			e.t.Fatalf("CreatePolicy: %v", err)
		}
		if _, err := e.c.AttachPolicy(e.ctx, &iotsdk.AttachPolicyInput{PolicyName: aws.String(name), Target: out.CertificateArn}); err != nil {
			e.t.Fatalf("AttachPolicy: %v", err)
		}
	}
	if thing != "" {
		if _, err := e.c.CreateThing(e.ctx, &iotsdk.CreateThingInput{ThingName: aws.String(thing)}); err != nil {
			e.t.Fatalf("CreateThing: %v", err)
		}
		if _, err := e.c.AttachThingPrincipal(e.ctx, &iotsdk.AttachThingPrincipalInput{ThingName: aws.String(thing), Principal: out.CertificateArn}); err != nil {
			e.t.Fatalf("AttachThingPrincipal: %v", err)
		}
	}
	return cert, aws.ToString(out.CertificateId)
}

// client is a paho client and what happened to it.
type client struct {
	paho.Client
	lost chan error
	got  chan paho.Message
}

// connect dials the broker; it returns the CONNACK's return code with the
// error.
func (e *env) connect(clientID string, cert tls.Certificate) (*client, byte, error) {
	e.t.Helper()
	return e.connectSession(clientID, cert, true)
}

// connectSession is connect with the MQTT clean session flag chosen.
func (e *env) connectSession(clientID string, cert tls.Certificate, clean bool) (*client, byte, error) {
	e.t.Helper()
	cl := &client{lost: make(chan error, 1), got: make(chan paho.Message, 100)}
	opts := paho.NewClientOptions().AddBroker("ssl://" + e.b.Addr()).SetClientID(clientID).
		SetTLSConfig(&tls.Config{RootCAs: e.roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second).
		SetProtocolVersion(4).SetCleanSession(clean).
		SetConnectionLostHandler(func(_ paho.Client, err error) { cl.lost <- err }).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { cl.got <- m })
	cl.Client = paho.NewClient(opts)
	tok := cl.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, 0, errors.New("connect timed out")
	}
	rc := tok.(*paho.ConnectToken).ReturnCode()
	if err := tok.Error(); err != nil {
		return nil, rc, err
	}
	e.t.Cleanup(func() { cl.Disconnect(0) })
	return cl, rc, nil
}

func (e *env) mustConnect(clientID string, cert tls.Certificate) *client {
	e.t.Helper()
	cl, rc, err := e.connect(clientID, cert)
	if err != nil {
		e.t.Fatalf("connect %s: rc %d, %v", clientID, rc, err)
	}
	return cl
}

// subscribe returns the SUBACK code for filter.
func (cl *client) subscribe(t *testing.T, filter string) byte {
	t.Helper()
	tok := cl.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) { cl.got <- m })
	if !tok.WaitTimeout(5 * time.Second) {
		t.Fatalf("subscribe %s timed out", filter)
	}
	return tok.(*paho.SubscribeToken).Result()[filter]
}

func (cl *client) publish(t *testing.T, topic string, qos byte, payload []byte) paho.Token {
	t.Helper()
	return cl.Publish(topic, qos, false, payload)
}

// waitLost waits for the broker to drop the connection.
func (cl *client) waitLost(t *testing.T) {
	t.Helper()
	select {
	case <-cl.lost:
	case <-time.After(5 * time.Second):
		t.Fatal("the broker did not disconnect the client")
	}
}

func (cl *client) waitMessage(t *testing.T, topic string) paho.Message {
	t.Helper()
	select {
	case m := <-cl.got:
		if m.Topic() != topic {
			t.Fatalf("got message on %q, want %q", m.Topic(), topic)
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatalf("no message on %q", topic)
	}
	return nil
}

// waitDenial waits for a refusal of action and returns it.
func (e *env) waitDenial(action, resource string) iotdata.Denial {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, d := range e.b.Denials() {
			if d.Action == action && (resource == "" || d.Resource == resource) {
				return d
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("no %s denial on %q; denials: %+v", action, resource, e.b.Denials())
	return iotdata.Denial{}
}

func (e *env) msgs() []iotdata.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]iotdata.Message(nil), e.messages...)
}

func policyDoc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func allow(action, resource string) string {
	return fmt.Sprintf(`{"Effect":"Allow","Action":%q,"Resource":%q}`, action, resource)
}

func deny(sid, action, resource string) string {
	return fmt.Sprintf(`{"Sid":%q,"Effect":"Deny","Action":%q,"Resource":%q}`, sid, action, resource)
}
