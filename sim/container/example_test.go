package container_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/testcontainers/testcontainers-go"

	"github.com/tgsim/tgsim/sim/container"
)

// Example builds tgsim's image from the repository (no registry needed),
// runs `tgsim up` with its state in a host directory, and creates an S3
// bucket through it. Run it with TESTCONTAINERS_RYUK_DISABLED=true where
// no reaper image can be pulled.
func Example() {
	ctx := context.Background()
	img, err := container.BuildImage(ctx, "../..") // the repository's root
	if err != nil {
		log.Fatal(err)
	}
	dataDir, err := os.MkdirTemp("", "tgsim-data-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dataDir)

	c, err := container.Run(ctx, img, container.WithDataDir(dataDir))
	defer func() {
		if err := testcontainers.TerminateContainer(c); err != nil {
			log.Print(err)
		}
	}()
	if err != nil {
		log.Fatal(err)
	}

	cfg, err := c.AWSConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("flows")}); err != nil {
		log.Fatal(err)
	}
	endpoint, _ := c.EdgeEndpoint(ctx)
	fmt.Println("tgsim at", endpoint)
}
