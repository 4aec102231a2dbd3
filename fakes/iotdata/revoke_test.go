package iotdata_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/iot/types"

	"github.com/tgsim/tgsim/fakes/iotdata"
)

// TestDisconnectCertificate revokes a connected device's certificate: its
// open connection is closed with AUTH_ERROR, another device's stays, and
// the certificate cannot connect again.
func TestDisconnectCertificate(t *testing.T) {
	e := newEnv(t, nil)
	revoked, revokedID := e.device("lamp", allowAll)
	kept, _ := e.device("fan", allowAll)
	lamp := e.mustConnect("lamp", revoked)
	fan := e.mustConnect("fan", kept)
	if _, err := e.c.UpdateCertificate(e.ctx, &iotsdk.UpdateCertificateInput{CertificateId: aws.String(revokedID), NewStatus: types.CertificateStatusRevoked}); err != nil {
		t.Fatal(err)
	}
	if n := e.b.DisconnectCertificate(revokedID, "certificate REVOKED"); n != 1 {
		t.Errorf("DisconnectCertificate = %d, want 1", n)
	}
	lamp.waitLost(t)
	d := e.waitDenial(iotdata.ActionDisconnect, "")
	if d.ClientID != "lamp" || d.CertificateID != revokedID || d.Reason != "certificate REVOKED" || d.DisconnectReason != iotdata.DisconnectAuthError {
		t.Errorf("denial = %+v, want lamp's, certificate REVOKED, AUTH_ERROR", d)
	}
	if !fan.IsConnectionOpen() {
		t.Error("fan was disconnected; only lamp's certificate was revoked")
	}
	if n := e.b.DisconnectCertificate(revokedID, "again"); n != 0 {
		t.Errorf("second DisconnectCertificate = %d, want 0", n)
	}
	if _, rc, err := e.connect("lamp", revoked); err == nil || rc != 5 {
		t.Errorf("reconnect with the revoked certificate: rc %d, %v; want refused with 5", rc, err)
	}
}
