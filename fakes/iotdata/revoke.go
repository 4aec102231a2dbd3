package iotdata

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// DisconnectAuthError is AWS IoT's disconnect reason "The client failed to
// authenticate or authorization failed" (life-cycle-events.html), given to
// connections closed because their certificate left ACTIVE [INF: AWS does
// not name the reason for that case].
const DisconnectAuthError = "AUTH_ERROR"

// DisconnectCertificate closes every open connection authenticated with
// the certificate certID, recording an ActionDisconnect refusal with
// reason for each; it returns how many it closed. AWS: UpdateCertificate,
// "Within a few minutes of updating a certificate from the ACTIVE state to
// any other state, AWS IoT disconnects all devices that used that
// certificate to connect"; tgsim does it when called, at once. The next
// CONNECT with the certificate is refused by VerifyClientCertificate.
func (b *Broker) DisconnectCertificate(certID, reason string) int {
	n := 0
	b.conns.Range(func(k, v any) bool {
		cl, cs := k.(*mqtt.Client), v.(*connState)
		if cs.id.certID != certID || cl.Closed() {
			return true
		}
		// OnDisconnect must not record the close a second time.
		cs.refused.Store(true)
		b.deny(Denial{ClientID: cl.ID, CertificateID: certID, Action: ActionDisconnect, Resource: b.authz.clientARN(cl.ID),
			Reason: reason, DisconnectReason: DisconnectAuthError})
		if cl.Properties.ProtocolVersion == 5 {
			_ = b.srv.DisconnectClient(cl, packets.ErrNotAuthorized)
		} else {
			cl.Stop(packets.ErrNotAuthorized)
		}
		n++
		return true
	})
	return n
}
