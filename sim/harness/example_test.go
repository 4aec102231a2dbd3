package harness_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/tgsim/tgsim/sim/harness"
)

// Example starts the whole simulated AWS world on a loopback port for a
// test, points the official SDK clients at it, and shows IAM at work: the
// root credentials may do anything, a new user with no policy nothing.
func Example() {
	h, err := harness.Start(harness.Options{}) // 127.0.0.1:0, account 000000000000, us-east-1
	if err != nil {
		panic(err)
	}
	defer h.Close()
	ctx := context.Background()
	endpoint := func(o *s3.Options) { o.BaseEndpoint = aws.String(h.URL); o.UsePathStyle = true }

	// h.AWS carries the root credentials and the region.
	root := s3.NewFromConfig(h.AWS, endpoint)
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("flows")}); err != nil {
		panic(err)
	}
	if _, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("flows"), Key: aws.String("hello.txt"),
		Body: strings.NewReader("hello"), ServerSideEncryption: "AES256"}); err != nil {
		panic(err)
	}
	obj, err := root.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("flows"), Key: aws.String("hello.txt")})
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	fmt.Printf("root reads %q, encrypted at rest with %s\n", body, obj.ServerSideEncryption)

	thing, err := iot.NewFromConfig(h.AWS, func(o *iot.Options) { o.BaseEndpoint = aws.String(h.URL) }).
		CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String("Lamp")})
	if err != nil {
		panic(err)
	}
	fmt.Println("thing:", aws.ToString(thing.ThingArn))

	// A user without any policy is denied, in AWS's words.
	iamc := iam.NewFromConfig(h.AWS, func(o *iam.Options) { o.BaseEndpoint = aws.String(h.URL) })
	if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		panic(err)
	}
	key, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		panic(err)
	}
	bobCfg := h.AWS.Copy()
	bobCfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	_, err = s3.NewFromConfig(bobCfg, endpoint).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("flows"), Key: aws.String("hello.txt")})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("bob:", apiErr.ErrorCode())
	}
	// Output:
	// root reads "hello", encrypted at rest with AES256
	// thing: arn:aws:iot:us-east-1:000000000000:thing/Lamp
	// bob: AccessDenied
}
