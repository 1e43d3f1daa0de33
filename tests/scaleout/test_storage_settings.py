"""MEDIA_STORAGE chooses where the media live; a bad value stops start-up with one line."""

from tests.foundation.test_settings import assert_one_line_error, manage, production_env


def test_an_unknown_media_storage_is_refused():
    assert_one_line_error(manage("check", **production_env(MEDIA_STORAGE="ftp")), "MEDIA_STORAGE")


def test_s3_without_a_bucket_is_refused():
    assert_one_line_error(manage("check", **production_env(MEDIA_STORAGE="s3")), "AWS_STORAGE_BUCKET_NAME")


def test_s3_with_an_endpoint_that_is_not_a_url_is_refused():
    env = production_env(MEDIA_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="cqp-media", AWS_S3_ENDPOINT_URL="minio:9000")
    assert_one_line_error(manage("check", **env), "AWS_S3_ENDPOINT_URL")


def test_s3_settings_select_the_private_bucket_storage():
    env = production_env(
        MEDIA_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="cqp-media", AWS_S3_ENDPOINT_URL="http://minio:9000"
    )
    code = (
        "from django.conf import settings; from django.core.files.storage import default_storage as s;"
        "print(settings.STORAGES['default']['BACKEND'], s.bucket_name, s.addressing_style, s.default_acl,"
        " s.file_overwrite, s.url('a/b.pdf'))"
    )
    result = manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "cqp_portal.storage.PrivateS3Storage",
        "cqp-media",
        "path",
        "None",
        "False",
        "/media/a/b.pdf",
    ]
