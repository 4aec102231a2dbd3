package e2e_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	sessionv1 "github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"
	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/moby/moby/client"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/tgsim/tgsim/sim/container"
)

// tgsim as a container (sim/container, testcontainers-go): the image is
// built from the repository FROM scratch (no registry), `tgsim up` runs
// with its state on a host directory, and real clients talk to the mapped
// ports: aws-sdk-go-v2 (S3, IoT, IAM), aws-sdk-go v1 (Things Graph) and an
// MQTT client over mutual TLS to the IoT data plane. Skipped when no
// Docker engine answers. TGSIM_IMAGE names a prebuilt image to use instead
// of building one.
var _ = Describe("tgsim in a container", Label("containers"), Ordered, func() {
	var (
		c       *container.Container
		cfg     aws.Config
		dataDir string
		cert    tls.Certificate
	)
	const (
		bucket  = "ct-flows"
		thing   = "CtCamera"
		policy  = "ct-own-topics"
		entity  = "urn:tdm:us-east-1/000000000000/default:property:CtImageUri"
		started = 60 * time.Second
	)

	BeforeAll(func(ctx SpecContext) {
		setTestcontainersEnv()
		if err := dockerInfo(ctx); err != nil {
			Skip("no Docker engine answers (docker info: " + err.Error() + "): the containers specs need one")
		}
		img := os.Getenv("TGSIM_IMAGE")
		if img == "" {
			t0 := time.Now()
			var err error
			img, err = container.BuildImage(ctx, "..")
			if err != nil {
				Skip("cannot build tgsim's image: " + err.Error())
			}
			GinkgoWriter.Printf("built %s in %s\n", img, time.Since(t0).Round(time.Millisecond))
		}
		dataDir = GinkgoT().TempDir()
		t0 := time.Now()
		var err error
		c, err = container.Run(ctx, img, container.WithDataDir(dataDir))
		DeferCleanup(func(ctx SpecContext) {
			Expect(testcontainers.TerminateContainer(c)).To(Succeed())
		}, NodeTimeout(30*time.Second))
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("tgsim up healthy in %s\n", time.Since(t0).Round(time.Millisecond))
		cfg, err = c.AWSConfig(ctx)
		Expect(err).NotTo(HaveOccurred())
	}, NodeTimeout(5*time.Minute))

	It("becomes healthy and logs its startup line", func(ctx SpecContext) {
		st, err := c.State(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Running).To(BeTrue())
		endpoint, err := c.EdgeEndpoint(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(endpoint).To(HavePrefix("http://"))
		Expect(httpGet(ctx, endpoint+container.HealthPath)).To(ContainSubstring(`"status":"ok"`))
		Expect(containerLogs(ctx, c)).To(And(
			ContainSubstring(container.StartupLine+" iotthingsgraph, s3, greengrass, iot, iot-data, iam and sts"),
			ContainSubstring("state is kept in /data")))
	}, NodeTimeout(30*time.Second))

	It("serves S3, IAM and IoT to aws-sdk-go-v2", func(ctx SpecContext) {
		s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		Expect(err).NotTo(HaveOccurred())
		put, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("flow.json"),
			Body: strings.NewReader(`{"flow":"SecurityFlow"}`), ServerSideEncryption: s3types.ServerSideEncryptionAes256})
		Expect(err).NotTo(HaveOccurred())
		Expect(put.ServerSideEncryption).To(Equal(s3types.ServerSideEncryptionAes256))
		got, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("flow.json")})
		Expect(err).NotTo(HaveOccurred())
		body, err := io.ReadAll(got.Body)
		got.Body.Close()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(Equal(`{"flow":"SecurityFlow"}`))
		Expect(got.ServerSideEncryption).To(Equal(s3types.ServerSideEncryptionAes256))

		iamc := iam.NewFromConfig(cfg)
		_, err = iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ct-operator")})
		Expect(err).NotTo(HaveOccurred())
		user, err := iamc.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ct-operator")})
		Expect(err).NotTo(HaveOccurred())
		Expect(aws.ToString(user.User.Arn)).To(Equal("arn:aws:iam::000000000000:user/ct-operator"))

		iotc := iot.NewFromConfig(cfg)
		_, err = iotc.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(thing)})
		Expect(err).NotTo(HaveOccurred())
		kc, err := iotc.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
		Expect(err).NotTo(HaveOccurred())
		_, err = iotc.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String(thing), Principal: kc.CertificateArn})
		Expect(err).NotTo(HaveOccurred())
		_, err = iotc.CreatePolicy(ctx, &iot.CreatePolicyInput{PolicyName: aws.String(policy), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
		  {"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:000000000000:client/${iot:Connection.Thing.ThingName}"},
		  {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"arn:aws:iot:us-east-1:000000000000:topic/${iot:Connection.Thing.ThingName}/*"},
		  {"Effect":"Allow","Action":"iot:Subscribe","Resource":"arn:aws:iot:us-east-1:000000000000:topicfilter/${iot:Connection.Thing.ThingName}/*"}]}`)})
		Expect(err).NotTo(HaveOccurred())
		_, err = iotc.AttachPolicy(ctx, &iot.AttachPolicyInput{PolicyName: aws.String(policy), Target: kc.CertificateArn})
		Expect(err).NotTo(HaveOccurred())
		principals, err := iotc.ListThingPrincipals(ctx, &iot.ListThingPrincipalsInput{ThingName: aws.String(thing)})
		Expect(err).NotTo(HaveOccurred())
		Expect(principals.Principals).To(ConsistOf(aws.ToString(kc.CertificateArn)))
		cert, err = tls.X509KeyPair([]byte(aws.ToString(kc.CertificatePem)), []byte(aws.ToString(kc.KeyPair.PrivateKey)))
		Expect(err).NotTo(HaveOccurred())
	}, NodeTimeout(30*time.Second))

	It("answers the Things Graph API through the aws-sdk-go v1 client", func(ctx SpecContext) {
		tg := thingsGraphV1(ctx, c)
		// The account's namespace is created by its first upload.
		_, err := tg.DescribeNamespaceWithContext(ctx, &iotthingsgraph.DescribeNamespaceInput{})
		var notFound *iotthingsgraph.ResourceNotFoundException
		Expect(errors.As(err, &notFound)).To(BeTrue(), "DescribeNamespace before any upload: %v", err)
		up, err := tg.UploadEntityDefinitionsWithContext(ctx, &iotthingsgraph.UploadEntityDefinitionsInput{
			Document: &iotthingsgraph.DefinitionDocument{Language: awsv1.String("GRAPHQL"), Text: awsv1.String(`{
type CtImageUri @propertyType(id: "` + entity + `", dataType: STRING) {ignore:void}
}`)},
		})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) string {
			st, err := tg.GetUploadStatusWithContext(ctx, &iotthingsgraph.GetUploadStatusInput{UploadId: up.UploadId})
			g.Expect(err).NotTo(HaveOccurred())
			return awsv1.StringValue(st.UploadStatus)
		}).WithContext(ctx).WithPolling(50 * time.Millisecond).Should(Equal("SUCCEEDED"))
		ns, err := tg.DescribeNamespaceWithContext(ctx, &iotthingsgraph.DescribeNamespaceInput{})
		Expect(err).NotTo(HaveOccurred())
		Expect(awsv1.StringValue(ns.NamespaceName)).To(Equal("us-east-1/000000000000/default"))
		got, err := tg.GetEntitiesWithContext(ctx, &iotthingsgraph.GetEntitiesInput{Ids: []*string{awsv1.String(entity)}})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Descriptions).To(HaveLen(1))
	}, NodeTimeout(30*time.Second))

	It("lets the thing's certificate publish and receive on the IoT data plane over mutual TLS", func(ctx SpecContext) {
		caPEM, err := c.RootCA(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.ReadFile(filepath.Join(dataDir, "iot-data-root-ca.pem"))).To(Equal(caPEM))
		roots := x509.NewCertPool()
		Expect(roots.AppendCertsFromPEM(caPEM)).To(BeTrue())
		addr, err := c.IoTDataEndpoint(ctx)
		Expect(err).NotTo(HaveOccurred())
		host, _, err := net.SplitHostPort(addr)
		Expect(err).NotTo(HaveOccurred())
		serverName := host
		if net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
			serverName = "localhost" // the data plane's certificate names localhost and loopback
		}
		got := make(chan string, 1)
		opts := paho.NewClientOptions().AddBroker("tls://" + addr).SetClientID(thing).
			SetTLSConfig(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, ServerName: serverName, MinVersion: tls.VersionTLS12}).
			SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
		mc := paho.NewClient(opts)
		Expect(waitToken(mc.Connect())).To(Succeed())
		defer mc.Disconnect(100)
		Expect(waitToken(mc.Subscribe(thing+"/echo", 1, func(_ paho.Client, m paho.Message) {
			select {
			case got <- string(m.Payload()):
			default:
			}
		}))).To(Succeed())
		Expect(waitToken(mc.Publish(thing+"/echo", 1, false, "snap"))).To(Succeed())
		Eventually(got).WithContext(ctx).Should(Receive(Equal("snap")))
	}, NodeTimeout(30*time.Second))

	It("keeps its state on the data dir across a restart of the container", func(ctx SpecContext) {
		before, err := c.EdgeEndpoint(ctx)
		Expect(err).NotTo(HaveOccurred())
		stop := 10 * time.Second
		t0 := time.Now()
		Expect(c.Stop(ctx, &stop)).To(Succeed())
		GinkgoWriter.Printf("stopped in %s\n", time.Since(t0).Round(time.Millisecond))
		t0 = time.Now()
		Expect(c.Start(ctx)).To(Succeed()) // waits for the health check again
		GinkgoWriter.Printf("healthy again in %s (was %s)\n", time.Since(t0).Round(time.Millisecond), before)
		cfg, err = c.AWSConfig(ctx) // the mapped ports may have changed
		Expect(err).NotTo(HaveOccurred())

		iotc := iot.NewFromConfig(cfg)
		th, err := iotc.DescribeThing(ctx, &iot.DescribeThingInput{ThingName: aws.String(thing)})
		Expect(err).NotTo(HaveOccurred())
		Expect(aws.ToString(th.ThingName)).To(Equal(thing))
		principals, err := iotc.ListThingPrincipals(ctx, &iot.ListThingPrincipalsInput{ThingName: aws.String(thing)})
		Expect(err).NotTo(HaveOccurred())
		Expect(principals.Principals).To(HaveLen(1))

		s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("flow.json")})
		Expect(err).NotTo(HaveOccurred())
		body, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(Equal(`{"flow":"SecurityFlow"}`))

		got, err := thingsGraphV1(ctx, c).GetEntitiesWithContext(ctx, &iotthingsgraph.GetEntitiesInput{Ids: []*string{awsv1.String(entity)}})
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Descriptions).To(HaveLen(1))
		// The second start printed its startup line too.
		Expect(strings.Count(containerLogs(ctx, c), container.StartupLine)).To(Equal(2))
	}, NodeTimeout(90*time.Second))
})

// setTestcontainersEnv prepares testcontainers' configuration, which it
// reads once per process: no reaper (its image cannot be pulled offline)
// unless asked for, and, when the Docker engine runs in this very network
// namespace of a container (docker0 is ours), the host 127.0.0.1 instead
// of the default gateway testcontainers assumes inside a container.
func setTestcontainersEnv() {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") != "" {
		return
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" && !strings.HasPrefix(h, "unix://") {
		return // a remote engine: testcontainers uses its host
	}
	if _, err := os.Stat("/.dockerenv"); err != nil {
		return
	}
	if _, err := net.InterfaceByName("docker0"); err == nil {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}

// dockerInfo is `docker info` through the engine's API.
func dockerInfo(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Info(ctx, client.InfoOptions{})
	return err
}

// thingsGraphV1 is the aws-sdk-go v1 Things Graph client, root credentials.
func thingsGraphV1(ctx context.Context, c *container.Container) *iotthingsgraph.IoTThingsGraph {
	endpoint, err := c.EdgeEndpoint(ctx)
	Expect(err).NotTo(HaveOccurred())
	sess, err := sessionv1.NewSession(&awsv1.Config{
		Region: awsv1.String(container.Region), Endpoint: awsv1.String(endpoint), MaxRetries: awsv1.Int(0),
		Logger:      awsv1.LoggerFunc(func(...any) {}), // not the deprecation notice on every call
		Credentials: credsv1.NewStaticCredentials(container.AccessKeyID, container.SecretAccessKey, ""),
	})
	Expect(err).NotTo(HaveOccurred())
	return iotthingsgraph.New(sess)
}

func containerLogs(ctx context.Context, c testcontainers.Container) string {
	rc, err := c.Logs(ctx)
	Expect(err).NotTo(HaveOccurred())
	defer rc.Close()
	var b bytes.Buffer
	_, err = io.Copy(&b, rc)
	Expect(err).NotTo(HaveOccurred())
	return b.String()
}

func httpGet(ctx context.Context, url string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	Expect(err).NotTo(HaveOccurred())
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.StatusCode).To(Equal(200), string(b))
	return string(b)
}

func waitToken(t paho.Token) error {
	if !t.WaitTimeout(10 * time.Second) {
		return errors.New("mqtt: timed out")
	}
	return t.Error()
}

// The multi-host topology in containers, as docker-compose.yml: the cloud
// (`tgsim up --auto-cores=false`), a Greengrass core (`tgsim core`) and a
// device fleet (`tgsim bench --endpoint`), on two private networks: the
// core and the fleet share edge-net (the LAN); the cloud, the core and
// the fleet share cloud-net (the fleet needs the cloud's APIs to set its
// rooms up). The spec cuts the core off cloud-net while the fleet keeps
// publishing to it, heals the cut, and checks on the cloud side, with its
// own subscriber on AWS IoT Core, that every motion event the core
// acknowledged arrived, in order per room. Skipped without Docker.
var _ = Describe("the multi-host topology in containers", Label("containers"), Ordered, func() {
	const (
		group     = "home"
		rooms     = 2
		rate      = 20 // events per second over both rooms
		benchTime = 24 * time.Second
		watcher   = "ct-watcher"
	)
	var (
		img               string
		cloudNet, edgeNet *testcontainers.DockerNetwork
		cloud             *container.Container
		core, fleet       testcontainers.Container
		cfg               aws.Config
		received          *arrivals
	)

	BeforeAll(func(ctx SpecContext) {
		setTestcontainersEnv()
		if err := dockerInfo(ctx); err != nil {
			Skip("no Docker engine answers (docker info: " + err.Error() + "): the containers specs need one")
		}
		img = os.Getenv("TGSIM_IMAGE")
		if img == "" {
			var err error
			if img, err = container.BuildImage(ctx, ".."); err != nil {
				Skip("cannot build tgsim's image: " + err.Error())
			}
		}
		var err error
		cloudNet, err = network.New(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { Expect(cloudNet.Remove(ctx)).To(Succeed()) }, NodeTimeout(30*time.Second))
		edgeNet, err = network.New(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { Expect(edgeNet.Remove(ctx)).To(Succeed()) }, NodeTimeout(30*time.Second))

		t0 := time.Now()
		cloud, err = container.Run(ctx, img, container.WithAutoCores(false), container.WithArgs("--iot-data-advertise", "cloud"),
			network.WithNetwork([]string{"cloud"}, cloudNet))
		DeferCleanup(func(ctx SpecContext) { Expect(testcontainers.TerminateContainer(cloud)).To(Succeed()) }, NodeTimeout(30*time.Second))
		Expect(err).NotTo(HaveOccurred())
		cfg, err = cloud.AWSConfig(ctx)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("cloud healthy in %s\n", time.Since(t0).Round(time.Millisecond))

		// The devices reach the core as core.lan, a name only edge-net
		// knows: cutting cloud-net leaves them connected.
		core, err = container.RunCore(ctx, img, container.CoreOptions{Group: group, Endpoint: "http://cloud:4566", AdvertiseHost: "core.lan"},
			network.WithNetwork([]string{"core-uplink"}, cloudNet), network.WithNetwork([]string{"core.lan"}, edgeNet))
		DeferCleanup(func(ctx SpecContext) { Expect(testcontainers.TerminateContainer(core)).To(Succeed()) }, NodeTimeout(30*time.Second))
		Expect(err).NotTo(HaveOccurred())

		received = watchMotion(ctx, cloud, cfg, watcher)
	}, NodeTimeout(5*time.Minute))

	// The fleet outlives the spec that starts it (a DeferCleanup there
	// would stop it at that spec's end).
	AfterAll(func(ctx SpecContext) {
		if fleet != nil && !reflect.ValueOf(fleet).IsNil() {
			Expect(testcontainers.TerminateContainer(fleet)).To(Succeed())
		}
	}, NodeTimeout(30*time.Second))

	// A failed spec leaves every container's log in GinkgoWriter.
	AfterEach(func(ctx SpecContext) {
		if !CurrentSpecReport().Failed() {
			return
		}
		for name, c := range map[string]testcontainers.Container{"cloud": cloud, "core": core, "fleet": fleet} {
			if c != nil && !reflect.ValueOf(c).IsNil() {
				GinkgoWriter.Printf("----- %s log -----\n%s\n", name, containerLogs(ctx, c))
			}
		}
	}, NodeTimeout(30*time.Second))

	It("deploys the fleet's rooms to the core, and their events reach AWS IoT Core through it", func(ctx SpecContext) {
		var err error
		fleet, err = container.RunFleet(ctx, img, container.FleetOptions{Endpoint: "http://cloud:4566", Group: group,
			Rooms: rooms, Rate: rate, Duration: benchTime, CloudRoute: true},
			network.WithNetwork([]string{"fleet"}, cloudNet), network.WithNetwork([]string{"fleet"}, edgeNet))
		Expect(err).NotTo(HaveOccurred())
		t0 := time.Now()
		Eventually(received.count).WithContext(ctx).WithTimeout(45*time.Second).WithPolling(100*time.Millisecond).Should(BeNumerically(">=", 20),
			"motion events from the core on AWS IoT Core; core log:\n%s", func() string { return containerLogs(ctx, core) })
		GinkgoWriter.Printf("first 20 motion events in the cloud %s after the fleet started\n", time.Since(t0).Round(time.Millisecond))
		Expect(containerLogs(ctx, core)).To(And(ContainSubstring("connected to AWS IoT Core"), ContainSubstring("client_id=greengrass-core:home")))
	}, NodeTimeout(90*time.Second))

	It("spools while the core is cut off the cloud, and nothing acknowledged is lost", func(ctx SpecContext) {
		Expect(container.Disconnect(ctx, core, cloudNet.Name)).To(Succeed())
		partitionStart := time.Now()
		// The core's next publish gets no PUBACK within its 5 s operation
		// timeout: it takes the connection for dead and spools.
		Eventually(func() string { return containerLogs(ctx, core) }).WithContext(ctx).WithTimeout(15 * time.Second).WithPolling(250 * time.Millisecond).
			Should(ContainSubstring("connection to AWS IoT Core lost; cloud-bound messages are spooled"))
		GinkgoWriter.Printf("the core noticed the partition after %s\n", time.Since(partitionStart).Round(time.Millisecond))
		// Nothing crosses the cut while the fleet keeps publishing.
		partitionedAt := received.count()
		time.Sleep(3 * time.Second)
		Expect(received.count()).To(Equal(partitionedAt), "messages crossed the partition")
		Expect(container.Connect(ctx, core, cloudNet.Name, "core-uplink")).To(Succeed())
		healed := time.Now()
		GinkgoWriter.Printf("partitioned for %s\n", healed.Sub(partitionStart).Round(time.Millisecond))
		Eventually(received.count).WithContext(ctx).WithTimeout(20*time.Second).WithPolling(100*time.Millisecond).Should(BeNumerically(">", partitionedAt),
			"the spool never drained; core log:\n%s", func() string { return containerLogs(ctx, core) })
		partitionEndCounts := received.count()
		GinkgoWriter.Printf("spooled messages arriving %s after the heal; %d messages in the cloud\n", time.Since(healed).Round(time.Millisecond), partitionEndCounts)

		// The fleet finishes and reports what the core acknowledged.
		Eventually(func(g Gomega) bool {
			st, err := fleet.State(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			return st.Running
		}).WithContext(ctx).WithTimeout(60 * time.Second).WithPolling(250 * time.Millisecond).Should(BeFalse())
		st, err := fleet.State(ctx)
		Expect(err).NotTo(HaveOccurred())
		logs := containerLogs(ctx, fleet)
		Expect(st.ExitCode).To(Equal(0), "fleet log:\n%s", logs)
		var rep struct {
			Sent, Completed, Lost, PublishErrors, FailedExecutions int
		}
		i := strings.Index(logs, "{\n")
		Expect(i).To(BeNumerically(">=", 0), "no JSON report in the fleet's log:\n%s", logs)
		Expect(json.NewDecoder(strings.NewReader(logs[i:])).Decode(&rep)).To(Succeed())
		GinkgoWriter.Printf("fleet: %+v\n", rep)
		// The flows are local: the cut of the uplink did not stop them.
		Expect(rep.Sent).To(BeNumerically(">", 0))
		Expect(rep.Completed).To(Equal(rep.Sent))
		Expect(rep.PublishErrors).To(BeZero())

		// Every acknowledged event is in the cloud, in order per room; a
		// publish cut mid-flight may arrive twice, next to itself.
		Eventually(received.distinct).WithContext(ctx).WithTimeout(20*time.Second).WithPolling(100*time.Millisecond).Should(Equal(rep.Sent),
			"distinct motion events in the cloud; core log:\n%s", func() string { return containerLogs(ctx, core) })
		perRoom := received.byTopic()
		Expect(perRoom).To(HaveLen(rooms))
		for topic, seqs := range perRoom {
			c := slices.Compact(slices.Clone(seqs))
			for i, v := range c {
				Expect(v).To(Equal(i), "%s: the cloud got seqs %v, want 0, 1, 2, ... in order", topic, seqs)
			}
		}
	}, NodeTimeout(2*time.Minute))
})

// arrivals records the motion events AWS IoT Core delivered to the
// watcher, in arrival order, by topic.
type arrivals struct {
	mu   sync.Mutex
	seqs map[string][]int
	n    int
}

func (a *arrivals) add(topic string, seq int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seqs[topic] = append(a.seqs[topic], seq)
	a.n++
}

func (a *arrivals) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

func (a *arrivals) distinct() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, s := range a.seqs {
		seen := map[int]bool{}
		for _, v := range s {
			seen[v] = true
		}
		n += len(seen)
	}
	return n
}

func (a *arrivals) byTopic() map[string][]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string][]int{}
	for k, v := range a.seqs {
		out[k] = slices.Clone(v)
	}
	return out
}

// watchMotion subscribes to +/motion on the cloud's AWS IoT Core as the
// thing name, with a certificate and policy made through the API, over
// the mapped port.
func watchMotion(ctx context.Context, cloud *container.Container, cfg aws.Config, name string) *arrivals {
	iotc := iot.NewFromConfig(cfg)
	_, err := iotc.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String(name)})
	Expect(err).NotTo(HaveOccurred())
	kc, err := iotc.CreateKeysAndCertificate(ctx, &iot.CreateKeysAndCertificateInput{SetAsActive: true})
	Expect(err).NotTo(HaveOccurred())
	_, err = iotc.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String(name), Principal: kc.CertificateArn})
	Expect(err).NotTo(HaveOccurred())
	_, err = iotc.CreatePolicy(ctx, &iot.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:us-east-1:000000000000:client/` + name + `"},
	  {"Effect":"Allow","Action":"iot:Subscribe","Resource":"arn:aws:iot:us-east-1:000000000000:topicfilter/+/motion"},
	  {"Effect":"Allow","Action":"iot:Receive","Resource":"arn:aws:iot:us-east-1:000000000000:topic/*"}]}`)})
	Expect(err).NotTo(HaveOccurred())
	_, err = iotc.AttachPolicy(ctx, &iot.AttachPolicyInput{PolicyName: aws.String(name), Target: kc.CertificateArn})
	Expect(err).NotTo(HaveOccurred())
	cert, err := tls.X509KeyPair([]byte(aws.ToString(kc.CertificatePem)), []byte(aws.ToString(kc.KeyPair.PrivateKey)))
	Expect(err).NotTo(HaveOccurred())
	caPEM, err := cloud.RootCA(ctx)
	Expect(err).NotTo(HaveOccurred())
	roots := x509.NewCertPool()
	Expect(roots.AppendCertsFromPEM(caPEM)).To(BeTrue())
	addr, err := cloud.IoTDataEndpoint(ctx)
	Expect(err).NotTo(HaveOccurred())
	a := &arrivals{seqs: map[string][]int{}}
	opts := paho.NewClientOptions().AddBroker("tls://" + addr).SetClientID(name).
		// The mapped port is on this host; the certificate names localhost.
		SetTLSConfig(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, ServerName: "localhost", MinVersion: tls.VersionTLS12}).
		SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	mc := paho.NewClient(opts)
	Expect(waitToken(mc.Connect())).To(Succeed())
	DeferCleanup(func() { mc.Disconnect(100) })
	Expect(waitToken(mc.Subscribe("+/motion", 1, func(_ paho.Client, m paho.Message) {
		var p struct{ Seq int }
		if json.Unmarshal(m.Payload(), &p) == nil {
			a.add(m.Topic(), p.Seq)
		}
	}))).To(Succeed())
	return a
}
