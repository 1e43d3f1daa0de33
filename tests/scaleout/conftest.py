"""The object store of `make test`: moto's S3 server started by scripts/with-services. Each test
gets a bucket of its own; the media storage of the test process points at it."""

import os
import uuid

import boto3
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "scaleout: two web nodes and two workers on the shared services")


@pytest.fixture
def say(capsys):
    """Print live, even under pytest's output capture: `make test` shows what the test did."""

    def say(message: str) -> None:
        with capsys.disabled():
            print(f"\n[scale-out] {message}", end="", flush=True)

    return say


def s3_client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ["AWS_S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        region_name=os.environ["AWS_S3_REGION_NAME"],
    )


class Bucket:
    def __init__(self, name: str):
        self.name = name
        self.client = s3_client()

    def objects(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def grants(self, key: str) -> list[dict]:
        return self.client.get_object_acl(Bucket=self.name, Key=key)["Grants"]

    def env(self) -> dict:
        """What a web node or a worker needs to use this bucket."""
        return {"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": self.name}


@pytest.fixture
def bucket():
    if not os.environ.get("AWS_S3_ENDPOINT_URL"):
        pytest.fail("AWS_S3_ENDPOINT_URL is not set: run the suite with `make test`, which starts the S3 server")
    bucket = Bucket(f"cqp-test-{uuid.uuid4().hex[:12]}")
    bucket.client.create_bucket(Bucket=bucket.name)
    yield bucket
    for key in bucket.objects():
        bucket.client.delete_object(Bucket=bucket.name, Key=key)
    bucket.client.delete_bucket(Bucket=bucket.name)


@pytest.fixture
def s3_media(settings, bucket):
    """MEDIA_STORAGE=s3 for the test process, on the test's bucket (same backend as production)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "cqp_portal.storage.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": bucket.name,
                "endpoint_url": os.environ["AWS_S3_ENDPOINT_URL"],
                "access_key": os.environ["AWS_ACCESS_KEY_ID"],
                "secret_key": os.environ["AWS_SECRET_ACCESS_KEY"],
                "region_name": os.environ["AWS_S3_REGION_NAME"],
                "addressing_style": "path",
            },
        },
    }
    return bucket
