package e2e_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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

func containerLogs(ctx context.Context, c *container.Container) string {
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
