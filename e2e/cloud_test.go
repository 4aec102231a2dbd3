package e2e_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/harness"
)

// The worked example deployed to the CLOUD target with aws CLI calls only,
// then driven through AWS IoT Core's data plane by mosquitto and a virtual
// device, with IoT policies enforced; the CLI reads the executions.
var _ = Describe("the worked example in the cloud through the aws CLI and mosquitto", Label("clients"), Ordered, func() {
	const instance = "urn:tdm:us-east-1/000000000000/default:Deployment:Room215"
	var (
		h        *harness.Harness
		bin      string
		dir      string
		pems     = map[string][2]string{}
		certs    = map[string]tls.Certificate{}
		endpoint string
	)
	cli := func(ctx context.Context, args ...string) string {
		out, stderr, code := awsCLI(ctx, bin, h, nil, args...)
		ExpectWithOffset(1, code).To(Equal(0), "aws %v\n%s", args, stderr)
		return out
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		Expect(os.WriteFile(p, []byte(text), 0o600)).To(Succeed())
		return p
	}
	definition := func(name, tdmPath string) string {
		text, err := os.ReadFile(tdmPath)
		Expect(err).NotTo(HaveOccurred())
		b, _ := json.Marshal(map[string]string{"language": "GRAPHQL", "text": string(text)})
		return "file://" + write(name+".json", string(b))
	}

	BeforeAll(func() {
		clis := awsCLIs()
		if len(clis) == 0 {
			Skip("no aws CLI on PATH (apt-get install awscli); .ci/run installs it")
		}
		bin = clis[sortedKeys(clis)[len(clis)-1]]
		var err error
		h, err = harness.Start(harness.Options{})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(h.Close()).To(Succeed()) })
		dir = GinkgoT().TempDir()
	})

	It("creates things with certificates and an own-topics IoT policy, and the flow role", func(ctx SpecContext) {
		policy := `{"Version":"2012-10-17","Statement":[
		  {"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:000000000000:client/${iot:Connection.Thing.ThingName}"},
		  {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"arn:aws:iot:us-east-1:000000000000:topic/${iot:Connection.Thing.ThingName}/*"},
		  {"Effect":"Allow","Action":"iot:Subscribe","Resource":"arn:aws:iot:us-east-1:000000000000:topicfilter/${iot:Connection.Thing.ThingName}/*"}]}`
		cli(ctx, "iot", "create-policy", "--policy-name", "own-topics", "--policy-document", policy)
		for thing, dev := range map[string]string{
			"Room215Motion": "urn:tdm:aws/examples:Device:HCSR501MotionSensor",
			"Room215Camera": "urn:tdm:aws/examples:Device:RaspberryPiCamera",
			"Room215Screen": "urn:tdm:aws/examples:Device:RaspberryPiScreen",
		} {
			cli(ctx, "iot", "create-thing", "--thing-name", thing)
			var cert struct {
				CertificateArn string `json:"certificateArn"`
				CertificatePem string `json:"certificatePem"`
				KeyPair        struct {
					PrivateKey string `json:"PrivateKey"`
				} `json:"keyPair"`
			}
			Expect(json.Unmarshal([]byte(cli(ctx, "iot", "create-keys-and-certificate", "--set-as-active")), &cert)).To(Succeed())
			cli(ctx, "iot", "attach-thing-principal", "--thing-name", thing, "--principal", cert.CertificateArn)
			cli(ctx, "iot", "attach-policy", "--policy-name", "own-topics", "--target", cert.CertificateArn)
			pair, err := tls.X509KeyPair([]byte(cert.CertificatePem), []byte(cert.KeyPair.PrivateKey))
			Expect(err).NotTo(HaveOccurred())
			certs[thing], pems[thing] = pair, [2]string{cert.CertificatePem, cert.KeyPair.PrivateKey}
			cli(ctx, "iotthingsgraph", "associate-entity-to-thing", "--thing-name", thing, "--entity-id", dev)
		}
		cli(ctx, "iam", "create-role", "--role-name", "TGFlow", "--assume-role-policy-document",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"iotthingsgraph.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
		cli(ctx, "iam", "put-role-policy", "--role-name", "TGFlow", "--policy-name", "act", "--policy-document",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iot:DescribeEndpoint","iot:Publish"],"Resource":"*"}]}`)
	})

	It("deploys to the CLOUD target and finds the data endpoint", func(ctx SpecContext) {
		cli(ctx, "iotthingsgraph", "create-flow-template", "--definition", definition("flow", "../scenarios/motion-camera/security-flow.workflow.graphql"))
		cli(ctx, "iotthingsgraph", "create-system-template", "--definition", definition("system", "../scenarios/motion-camera/security-flow.system.graphql"))
		cli(ctx, "iotthingsgraph", "create-system-instance", "--definition", definition("deployment", "../scenarios/motion-camera/room215.deployment.graphql"),
			"--target", "CLOUD", "--flow-actions-role-arn", "arn:aws:iam::000000000000:role/TGFlow")
		Expect(cli(ctx, "iotthingsgraph", "deploy-system-instance", "--id", instance)).To(ContainSubstring(`"status": "BOOTSTRAP"`))
		Eventually(func() string {
			return cli(ctx, "iotthingsgraph", "get-system-instance", "--id", instance)
		}).WithContext(ctx).WithTimeout(10 * time.Second).WithPolling(50 * time.Millisecond).Should(ContainSubstring(`"status": "DEPLOYED_IN_TARGET"`))
		Expect(cli(ctx, "iot", "list-topic-rules")).To(ContainSubstring(`"topicPattern": "Room215Motion/motion"`))
		var ep struct {
			EndpointAddress string `json:"endpointAddress"`
		}
		Expect(json.Unmarshal([]byte(cli(ctx, "iot", "describe-endpoint", "--endpoint-type", "iot:Data-ATS")), &ep)).To(Succeed())
		Expect(ep.EndpointAddress).To(Equal(h.IoTData.Addr()))
		endpoint = ep.EndpointAddress
	})

	It("runs the flow for mosquitto_pub, delivers to mosquitto_sub, and refuses what the IoT policy does not allow", func(ctx SpecContext) {
		for _, tool := range []string{"mosquitto_pub", "mosquitto_sub"} {
			if _, err := exec.LookPath(tool); err != nil {
				Skip(tool + " is not on PATH (apt-get install mosquitto-clients); .ci/run installs it")
			}
		}
		host, port, err := net.SplitHostPort(endpoint)
		Expect(err).NotTo(HaveOccurred())
		ca := write("root-ca.pem", string(h.IoTDataCAPEM()))
		tlsArgs := func(thing string) []string {
			return []string{"-h", host, "-p", port, "-V", "mqttv311", "--cafile", ca,
				"--cert", write(thing+".pem", pems[thing][0]), "--key", write(thing+".key", pems[thing][1]), "-i", thing}
		}
		camera, err := device.Connect(ctx, device.Options{ThingName: "Room215Camera", Broker: endpoint,
			TLS: &tls.Config{RootCAs: h.IoTDataRoots(), Certificates: []tls.Certificate{certs["Room215Camera"]}, MinVersion: tls.VersionTLS12},
			Actions: []device.Action{{Name: "capture", RequestTopic: "Room215Camera/capture", ResponseTopic: "Room215Camera/capture/finished",
				Respond: func(int, []byte) []byte { return []byte(`{"lastClickedImage":"https://images.example/cloud.jpg"}`) }}}})
		Expect(err).NotTo(HaveOccurred())
		defer camera.Close()

		// The screen is mosquitto_sub: it waits for one display request.
		sub := exec.CommandContext(ctx, "mosquitto_sub", append(tlsArgs("Room215Screen"), "-q", "1", "-t", "Room215Screen/display", "-C", "1", "-W", "15")...)
		var subOut bytes.Buffer
		sub.Stdout, sub.Stderr = &subOut, &subOut
		Expect(sub.Start()).To(Succeed())
		Eventually(func() int64 { return h.IoTData.Stats().Connected }).WithTimeout(5 * time.Second).Should(BeNumerically(">=", 2))
		time.Sleep(100 * time.Millisecond) // the SUBSCRIBE follows the CONNECT

		pub := func(topic string) (string, error) {
			out, err := exec.CommandContext(ctx, "mosquitto_pub", append(tlsArgs("Room215Motion"), "-q", "1", "-t", topic, "-m", `{"isMotionDetected":true}`)...).CombinedOutput()
			return string(out), err
		}
		// The sensor may not drive the camera itself: AWS IoT closes its connection.
		out, err := pub("Room215Camera/capture")
		Expect(err).To(HaveOccurred(), "mosquitto_pub to another thing's topic succeeded: %s", out)
		Expect(camera.Received()).To(BeEmpty())
		// Its own event topic: the rule hands it to the cloud runtime.
		out, err = pub("Room215Motion/motion")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(sub.Wait()).To(Succeed(), subOut.String())
		Expect(strings.TrimSpace(subOut.String())).To(Equal(`{"imageUri":"https://images.example/cloud.jpg"}`))

		var search struct {
			Summaries []struct{ FlowExecutionID, Status string } `json:"summaries"`
		}
		Eventually(func() string {
			Expect(json.Unmarshal([]byte(cli(ctx, "iotthingsgraph", "search-flow-executions", "--system-instance-id", instance)), &search)).To(Succeed())
			if len(search.Summaries) == 0 {
				return ""
			}
			return search.Summaries[0].Status
		}).WithContext(ctx).WithTimeout(10 * time.Second).WithPolling(100 * time.Millisecond).Should(Equal("SUCCEEDED"))
	})

	It("lets the aws CLI publish through the HTTPS data plane as IAM allows", func(ctx SpecContext) {
		screen, err := device.Connect(ctx, device.Options{ThingName: "Room215Screen", Broker: endpoint,
			TLS:     &tls.Config{RootCAs: h.IoTDataRoots(), Certificates: []tls.Certificate{certs["Room215Screen"]}, MinVersion: tls.VersionTLS12},
			Actions: []device.Action{{Name: "display", RequestTopic: "Room215Screen/display"}}})
		Expect(err).NotTo(HaveOccurred())
		defer screen.Close()
		// aws CLI v2 reads blob arguments as base64, v1 as text: give each "hello".
		payload := "hello"
		if out, _, _ := awsCLI(ctx, bin, h, nil, "--version"); strings.HasPrefix(out, "aws-cli/2") {
			payload = "aGVsbG8="
		}
		args := []string{"iot-data", "publish", "--topic", "Room215Screen/display", "--qos", "1", "--payload", payload}
		out, stderr, code := awsCLI(ctx, bin, h, nil, args...)
		Expect(code).To(Equal(0), "aws %v\n%s%s", args, out, stderr)
		Expect(screen.WaitReceived(ctx, func(r []device.Received) bool { return len(r) == 1 })).To(Succeed())
		Expect(string(screen.Received()[0].Payload)).To(Equal("hello"))
	})

	It("undeploys: the thing group and the rules are gone", func(ctx SpecContext) {
		cli(ctx, "iotthingsgraph", "undeploy-system-instance", "--id", instance)
		Eventually(func() string {
			return cli(ctx, "iotthingsgraph", "get-system-instance", "--id", instance)
		}).WithContext(ctx).WithTimeout(10 * time.Second).WithPolling(50 * time.Millisecond).Should(ContainSubstring(`"status": "DELETED_IN_TARGET"`))
		Expect(cli(ctx, "iot", "list-topic-rules")).NotTo(ContainSubstring("ThingsGraph_"))
		Expect(cli(ctx, "iot", "list-thing-groups")).NotTo(ContainSubstring("ThingsGraph_"))
	})
})
