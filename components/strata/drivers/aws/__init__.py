"""The AWS substrate driver: a VPC pool with KMS and IAM, and EKS clusters on it."""

from strata.drivers.aws.driver import AwsDriver

__all__ = ["AwsDriver"]
