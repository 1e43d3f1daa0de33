"""python manage.py copy_media_to_bucket [--source DIR] [--bucket NAME] [--dry-run]

Moving to MEDIA_STORAGE=s3: copies every file of the local media folder (MEDIA_ROOT by
default) into the bucket under the same name, so that the database rows keep pointing at them.
Files already in the bucket with the same size are skipped: the command can be stopped and run
again. It ends by listing the files the database refers to that are not in the bucket.
"""

from pathlib import Path

import boto3
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models


def _bucket_client():
    return boto3.client(
        "s3",
        endpoint_url=getattr(settings, "AWS_S3_ENDPOINT_URL", None),
        aws_access_key_id=getattr(settings, "AWS_ACCESS_KEY_ID", None),
        aws_secret_access_key=getattr(settings, "AWS_SECRET_ACCESS_KEY", None),
        region_name=getattr(settings, "AWS_S3_REGION_NAME", None),
        config=boto3.session.Config(
            s3={"addressing_style": getattr(settings, "AWS_S3_ADDRESSING_STYLE", "auto")}, signature_version="s3v4"
        ),
    )


def referenced_names():
    """Every file name a FileField row refers to."""
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                yield from model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)


class Command(BaseCommand):
    help = "Copy the local media folder into the S3 bucket (same names); skip what is already there."

    def add_arguments(self, parser):
        parser.add_argument("--source", default="", help="local media folder (default: MEDIA_ROOT)")
        parser.add_argument("--bucket", default="", help="bucket (default: AWS_STORAGE_BUCKET_NAME)")
        parser.add_argument("--dry-run", action="store_true", help="list what would be copied")

    def handle(self, *args, source, bucket, dry_run, **options):
        root = Path(source or settings.MEDIA_ROOT)
        bucket = bucket or getattr(settings, "AWS_STORAGE_BUCKET_NAME", "")
        if not bucket:
            raise CommandError("no bucket: set MEDIA_STORAGE=s3 and AWS_STORAGE_BUCKET_NAME, or pass --bucket")
        if not root.is_dir():
            raise CommandError(f"{root} is not a folder")
        client = _bucket_client()
        present = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            present.update({item["Key"]: item["Size"] for item in page.get("Contents", [])})
        copied = skipped = size = 0
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            key = path.relative_to(root).as_posix()
            if present.get(key) == path.stat().st_size:
                skipped += 1
                continue
            if not dry_run:
                client.upload_file(str(path), bucket, key)
                present[key] = path.stat().st_size
            copied += 1
            size += path.stat().st_size
            if copied % 100 == 0:
                self.stdout.write(f"... {copied} copied")
        verb = "would copy" if dry_run else "copied"
        self.stdout.write(f"{verb} {copied}, already there {skipped} ({size / 1e6:.1f} MB) from {root} to {bucket}")
        missing = sorted(name for name in set(referenced_names()) if name not in present)
        for name in missing[:50]:
            self.stderr.write(f"referenced by the database, missing from the bucket: {name}")
        self.stdout.write(f"files referenced by the database: missing from the bucket: {len(missing)}")
