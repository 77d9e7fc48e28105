package config

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// AWSIAM is what KAFKA_SASL_MECHANISM=AWS_MSK_IAM signs for. The
// credentials are not here: the AWS SDK's default chain supplies (and
// renews) them when the bridge connects.
type AWSIAM struct {
	// Region is the cluster's region, part of every signature.
	Region string
	// RegionSource says where Region came from, for the start log:
	// RegionFromSDK or RegionFromBrokers.
	RegionSource string
}

// Sources of AWSIAM.Region.
const (
	// RegionFromSDK: the AWS SDK's region (AWS_REGION, AWS_DEFAULT_REGION
	// or the profile's region).
	RegionFromSDK = "aws-sdk"
	// RegionFromBrokers: the region in the MSK host names of KAFKA_BROKERS.
	RegionFromBrokers = "kafka-brokers"
)

// sdkRegionTimeout bounds reading the AWS SDK's configuration (the
// environment and the shared config files; no network).
const sdkRegionTimeout = 10 * time.Second

// awsRegionPattern is the shape of an AWS region name: us-east-1,
// eu-central-2, us-gov-west-1, cn-north-1, ...
var awsRegionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// MSKHostRegion returns the region in an Amazon MSK broker host name:
// b-1.<cluster>.<id>.c2.kafka.<region>.amazonaws.com (also b-1-public.…
// for public access) or, for MSK Serverless,
// boot-<id>.c1.kafka-serverless.<region>.amazonaws.com; ".amazonaws.com.cn"
// in the China regions. Any other host has none.
func MSKHostRegion(host string) (string, bool) {
	labels := strings.Split(strings.TrimSuffix(strings.ToLower(host), "."), ".")
	for i := 1; i+2 < len(labels); i++ {
		if labels[i] != "kafka" && labels[i] != "kafka-serverless" {
			continue
		}
		domain := strings.Join(labels[i+2:], ".")
		if region := labels[i+1]; (domain == "amazonaws.com" || domain == "amazonaws.com.cn") && awsRegionPattern.MatchString(region) {
			return region, true
		}
	}
	return "", false
}

// awsIAM resolves the region AWS_MSK_IAM signs for: the AWS SDK's, else
// the one the brokers' MSK host names carry. The SDK's region must agree
// with the host names when both are there: MSK refuses a signature made
// for another region.
func (v *validator) awsIAM(brokers string) AWSIAM {
	fromHosts := brokersRegion(v, brokers)
	sdk, err := sdkRegion()
	if err != nil {
		v.add("KAFKA_SASL_MECHANISM", fmt.Sprintf("AWS_MSK_IAM cannot read the AWS SDK's configuration (AWS_* variables, AWS_PROFILE, AWS_CONFIG_FILE): %v", err))
		return AWSIAM{}
	}
	switch {
	case sdk != "" && fromHosts != "" && sdk != fromHosts:
		v.add("AWS_REGION", fmt.Sprintf("the AWS SDK's region %s (AWS_REGION, AWS_DEFAULT_REGION or the profile's) is not %s, the region in the MSK host names of KAFKA_BROKERS, and MSK refuses a signature for another region: set AWS_REGION=%s", sdk, fromHosts, fromHosts))
		return AWSIAM{}
	case sdk != "":
		return AWSIAM{Region: sdk, RegionSource: RegionFromSDK}
	case fromHosts != "":
		return AWSIAM{Region: fromHosts, RegionSource: RegionFromBrokers}
	}
	v.add("AWS_REGION", "is required with KAFKA_SASL_MECHANISM=AWS_MSK_IAM: the AWS SDK found no region (AWS_REGION, AWS_DEFAULT_REGION or the profile's region), and KAFKA_BROKERS holds no MSK host name (….kafka.<region>.amazonaws.com) to take it from")
	return AWSIAM{}
}

// brokersRegion is the one region the MSK host names among the brokers
// carry ("" when none is one); names of different regions are a problem.
func brokersRegion(v *validator, brokers string) string {
	var regions []string
	for _, b := range SplitList(brokers) {
		host, _, err := net.SplitHostPort(b)
		if err != nil {
			continue // KAFKA_BROKERS' own check reports it
		}
		if r, ok := MSKHostRegion(host); ok && !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	if len(regions) > 1 {
		v.add("KAFKA_BROKERS", fmt.Sprintf("the MSK host names are in different regions (%s): list the brokers of one cluster", strings.Join(regions, ", ")))
		return ""
	}
	if len(regions) == 1 {
		return regions[0]
	}
	return ""
}

// sdkRegion is the region the AWS SDK resolves from its own variables and
// shared config files, as it will when the bridge connects; "" when none.
func sdkRegion() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sdkRegionTimeout)
	defer cancel()
	c, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return "", err
	}
	return c.Region, nil
}
