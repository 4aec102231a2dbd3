package e2e_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/harness"
)

// The guide's worked example, set up and deployed only through aws CLI
// calls against tgsim up (as a user of the real service would), then run
// by virtual devices; the CLI reads the resulting flow executions.
var _ = Describe("the worked example through the aws CLI", Label("clients"), Ordered, func() {
	var (
		// certs are each thing's certificate and key, as the CLI printed them.
		certs = map[string]tls.Certificate{}
		pems  = map[string][2]string{} // certificate and key PEM, for mosquitto
		caPEM string
		h     *harness.Harness
		bin   string
		dir   string
	)
	cli := func(ctx context.Context, args ...string) string {
		out, stderr, code := awsCLI(ctx, bin, h, nil, args...)
		ExpectWithOffset(1, code).To(Equal(0), "aws %v\n%s", args, stderr)
		return out
	}
	// definition writes a DefinitionDocument for --definition file://...
	definition := func(name, tdmPath string) string {
		text, err := os.ReadFile(tdmPath)
		Expect(err).NotTo(HaveOccurred())
		b, _ := json.Marshal(map[string]string{"language": "GRAPHQL", "text": string(text)})
		p := filepath.Join(dir, name+".json")
		Expect(os.WriteFile(p, b, 0o644)).To(Succeed())
		return "file://" + p
	}

	BeforeAll(func() {
		clis := awsCLIs()
		if len(clis) == 0 {
			Skip("no aws CLI on PATH (apt-get install awscli); .ci/run installs it")
		}
		bin = clis[sortedKeys(clis)[len(clis)-1]] // the newest major version
		var err error
		h, err = harness.Start(harness.Options{AutoCores: true, CoreTLS: true})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(h.Close()).To(Succeed()) })
		dir = GinkgoT().TempDir()
	})

	It("sets up S3, IoT and Greengrass", func(ctx SpecContext) {
		cli(ctx, "s3api", "create-bucket", "--bucket", "room215-flows")
		for _, thing := range []string{"Room215Motion", "Room215Camera", "Room215Screen", "room215_Core"} {
			var th struct {
				ThingArn string `json:"thingArn"`
			}
			Expect(json.Unmarshal([]byte(cli(ctx, "iot", "create-thing", "--thing-name", thing)), &th)).To(Succeed())
			var cert struct {
				CertificateArn string `json:"certificateArn"`
				CertificatePem string `json:"certificatePem"`
				KeyPair        struct {
					PrivateKey string `json:"PrivateKey"`
				} `json:"keyPair"`
			}
			Expect(json.Unmarshal([]byte(cli(ctx, "iot", "create-keys-and-certificate", "--set-as-active")), &cert)).To(Succeed())
			cli(ctx, "iot", "attach-thing-principal", "--thing-name", thing, "--principal", cert.CertificateArn)
			// The private key is printed once: keep it for the device.
			pair, err := tls.X509KeyPair([]byte(cert.CertificatePem), []byte(cert.KeyPair.PrivateKey))
			Expect(err).NotTo(HaveOccurred())
			certs[thing] = pair
			pems[thing] = [2]string{cert.CertificatePem, cert.KeyPair.PrivateKey}
			if thing == "room215_Core" {
				core := `{"Cores":[{"Id":"core","ThingArn":"` + th.ThingArn + `","CertificateArn":"` + cert.CertificateArn + `","SyncShadow":false}]}`
				var cd struct{ LatestVersionArn string }
				Expect(json.Unmarshal([]byte(cli(ctx, "greengrass", "create-core-definition", "--name", "room215-core", "--initial-version", core)), &cd)).To(Succeed())
				cli(ctx, "greengrass", "create-group", "--name", "room215", "--initial-version", `{"CoreDefinitionVersionArn":"`+cd.LatestVersionArn+`"}`)
			}
		}
	})

	It("associates things and creates the flow, the system and the flow configuration", func(ctx SpecContext) {
		for thing, dev := range map[string]string{
			"Room215Motion": "urn:tdm:aws/examples:Device:HCSR501MotionSensor",
			"Room215Camera": "urn:tdm:aws/examples:Device:RaspberryPiCamera",
			"Room215Screen": "urn:tdm:aws/examples:Device:RaspberryPiScreen",
		} {
			cli(ctx, "iotthingsgraph", "associate-entity-to-thing", "--thing-name", thing, "--entity-id", dev)
		}
		cli(ctx, "iotthingsgraph", "create-flow-template", "--definition", definition("flow", "../scenarios/motion-camera/security-flow.workflow.graphql"))
		cli(ctx, "iotthingsgraph", "create-system-template", "--definition", definition("system", "../scenarios/motion-camera/security-flow.system.graphql"))
		out := cli(ctx, "iotthingsgraph", "create-system-instance", "--definition", definition("deployment", "../scenarios/motion-camera/room215.deployment.graphql"),
			"--target", "GREENGRASS", "--greengrass-group-name", "room215", "--s3-bucket-name", "room215-flows")
		Expect(out).To(ContainSubstring(`"status": "NOT_DEPLOYED"`))
	})

	It("deploys, and the core tgsim up started applies it", func(ctx SpecContext) {
		out := cli(ctx, "iotthingsgraph", "deploy-system-instance", "--id", "urn:tdm:us-east-1/000000000000/default:Deployment:Room215")
		var dep struct {
			GreengrassDeploymentID string `json:"greengrassDeploymentId"`
		}
		Expect(json.Unmarshal([]byte(out), &dep)).To(Succeed())
		Expect(dep.GreengrassDeploymentID).NotTo(BeEmpty())
		Eventually(func() string {
			return cli(ctx, "iotthingsgraph", "get-system-instance", "--id", "urn:tdm:us-east-1/000000000000/default:Deployment:Room215")
		}).WithContext(ctx).WithTimeout(20 * time.Second).WithPolling(100 * time.Millisecond).Should(ContainSubstring(`"status": "DEPLOYED_IN_TARGET"`))
	})

	It("runs the flow for device events and the CLI reads the executions", func(ctx SpecContext) {
		addr := h.Cores()["room215"]
		Expect(addr).NotTo(BeEmpty())
		// The core speaks mutual TLS: trust the group CA, as read with the CLI.
		var groups struct{ Groups []struct{ Id, Name string } }
		Expect(json.Unmarshal([]byte(cli(ctx, "greengrass", "list-groups")), &groups)).To(Succeed())
		Expect(groups.Groups).To(HaveLen(1))
		var cas struct {
			GroupCertificateAuthorities []struct{ GroupCertificateAuthorityId string }
		}
		Expect(json.Unmarshal([]byte(cli(ctx, "greengrass", "list-group-certificate-authorities", "--group-id", groups.Groups[0].Id)), &cas)).To(Succeed())
		Expect(cas.GroupCertificateAuthorities).NotTo(BeEmpty())
		var ca struct{ PemEncodedCertificate string }
		Expect(json.Unmarshal([]byte(cli(ctx, "greengrass", "get-group-certificate-authority", "--group-id", groups.Groups[0].Id,
			"--certificate-authority-id", cas.GroupCertificateAuthorities[0].GroupCertificateAuthorityId)), &ca)).To(Succeed())
		roots := x509.NewCertPool()
		Expect(roots.AppendCertsFromPEM([]byte(ca.PemEncodedCertificate))).To(BeTrue())
		caPEM = ca.PemEncodedCertificate
		tlsFor := func(thing string) *tls.Config {
			return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{certs[thing]}, MinVersion: tls.VersionTLS12}
		}
		camera, err := device.Connect(ctx, device.Options{ThingName: "Room215Camera", Broker: addr, TLS: tlsFor("Room215Camera"), Actions: []device.Action{{
			Name: "capture", RequestTopic: "Room215Camera/capture", ResponseTopic: "Room215Camera/capture/finished",
			Respond: func(int, []byte) []byte { return []byte(`{"lastClickedImage":"https://images.example/cli.jpg"}`) },
		}}})
		Expect(err).NotTo(HaveOccurred())
		defer camera.Close()
		screen, err := device.Connect(ctx, device.Options{ThingName: "Room215Screen", Broker: addr, TLS: tlsFor("Room215Screen"), Actions: []device.Action{{Name: "display", RequestTopic: "Room215Screen/display"}}})
		Expect(err).NotTo(HaveOccurred())
		defer screen.Close()
		motion, err := device.Connect(ctx, device.Options{ThingName: "Room215Motion", Broker: addr, TLS: tlsFor("Room215Motion"), Events: []device.Event{{Name: "StateChanged", Topic: "Room215Motion/motion"}}})
		Expect(err).NotTo(HaveOccurred())
		defer motion.Close()
		Expect(motion.Emit(ctx, "StateChanged", []byte(`{"isMotionDetected":true}`))).To(Succeed())
		Expect(screen.WaitReceived(ctx, func(r []device.Received) bool { return len(r) == 1 })).To(Succeed())
		Expect(string(screen.Received()[0].Payload)).To(Equal(`{"imageUri":"https://images.example/cli.jpg"}`))

		var search struct {
			Summaries []struct{ FlowExecutionID, Status string } `json:"summaries"`
		}
		Eventually(func() string {
			out := cli(ctx, "iotthingsgraph", "search-flow-executions", "--system-instance-id", "urn:tdm:us-east-1/000000000000/default:Deployment:Room215")
			Expect(json.Unmarshal([]byte(out), &search)).To(Succeed())
			if len(search.Summaries) == 0 {
				return ""
			}
			return search.Summaries[0].Status
		}).WithContext(ctx).WithTimeout(10 * time.Second).WithPolling(100 * time.Millisecond).Should(Equal("SUCCEEDED"))
		out := cli(ctx, "iotthingsgraph", "list-flow-execution-messages", "--flow-execution-id", search.Summaries[0].FlowExecutionID)
		Expect(out).To(ContainSubstring(`"eventType": "EXECUTION_STARTED"`))
		Expect(out).To(ContainSubstring(`"eventType": "THING_ACTION_TASK"`))
		Expect(out).To(ContainSubstring(`"eventType": "EXECUTION_SUCCEEDED"`))
	})

	It("lets mosquitto_pub publish with the thing's own certificate, and refuses impersonation", func(ctx SpecContext) {
		if _, err := exec.LookPath("mosquitto_pub"); err != nil {
			Skip("mosquitto_pub is not on PATH (apt-get install mosquitto-clients); .ci/run installs it")
		}
		write := func(name, text string) string {
			p := filepath.Join(dir, name)
			Expect(os.WriteFile(p, []byte(text), 0o600)).To(Succeed())
			return p
		}
		ca := write("group-ca.pem", caPEM)
		cert, key := write("motion.pem", pems["Room215Motion"][0]), write("motion.key", pems["Room215Motion"][1])
		host, port, err := net.SplitHostPort(h.Cores()["room215"])
		Expect(err).NotTo(HaveOccurred())
		screen, err := device.Connect(ctx, device.Options{ThingName: "Room215Screen", Broker: h.Cores()["room215"],
			TLS:     &tls.Config{RootCAs: rootsOf(caPEM), Certificates: []tls.Certificate{certs["Room215Screen"]}, MinVersion: tls.VersionTLS12},
			Actions: []device.Action{{Name: "display", RequestTopic: "Room215Screen/display"}}})
		Expect(err).NotTo(HaveOccurred())
		defer screen.Close()
		camera, err := device.Connect(ctx, device.Options{ThingName: "Room215Camera", Broker: h.Cores()["room215"],
			TLS: &tls.Config{RootCAs: rootsOf(caPEM), Certificates: []tls.Certificate{certs["Room215Camera"]}, MinVersion: tls.VersionTLS12},
			Actions: []device.Action{{Name: "capture", RequestTopic: "Room215Camera/capture", ResponseTopic: "Room215Camera/capture/finished",
				Respond: func(int, []byte) []byte { return []byte(`{"lastClickedImage":"https://images.example/mosquitto.jpg"}`) }}}})
		Expect(err).NotTo(HaveOccurred())
		defer camera.Close()

		pub := func(clientID string) (string, error) {
			out, err := exec.CommandContext(ctx, "mosquitto_pub", "-h", host, "-p", port, "-V", "mqttv311", "-q", "1",
				"--cafile", ca, "--cert", cert, "--key", key, "-i", clientID,
				"-t", "Room215Motion/motion", "-m", `{"isMotionDetected":true}`).CombinedOutput()
			return string(out), err
		}
		// Camera's client id with the motion sensor's certificate: refused.
		out, err := pub("Room215Camera")
		Expect(err).To(HaveOccurred(), "mosquitto_pub impersonating Room215Camera succeeded: %s", out)
		// Its own identity: the event reaches the runtime, and the screen shows the picture.
		out, err = pub("Room215Motion")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(screen.WaitReceived(ctx, func(r []device.Received) bool { return len(r) == 1 })).To(Succeed())
		Expect(string(screen.Received()[0].Payload)).To(Equal(`{"imageUri":"https://images.example/mosquitto.jpg"}`))
	})
})

func rootsOf(pemText string) *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM([]byte(pemText))
	return p
}
