"""Private media, on the local disk or in an S3-compatible bucket (``MEDIA_STORAGE``), and the one
way to hand a stored file to a browser.

Evidence, certificates, minutes and CDC flux are personal data: no URL of the bucket is ever given
out. A download is a portal view that checks the permission policy, then streams the object from
the bucket through the web process (``stored_file_response``). Presigned URLs were not chosen: a
presigned URL is a bearer token that works for anyone holding it until it expires, ends up in
browser history and proxies, and cannot be revoked when a permission changes (a certificate
revoked, a jury member replaced); the files are small (evidence is capped by
``EVIDENCE_MAX_BYTES``, a certificate is ~100 KB), so streaming costs the web node little.
"""

import logging
import shutil
from urllib.parse import urljoin

from botocore.exceptions import ClientError
from django.conf import settings
from django.http import FileResponse, Http404
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

logger = logging.getLogger(__name__)


class PrivateS3Storage(S3Storage):
    """django-storages' S3 backend with the settings of a private bucket fixed in code, so that a
    variable cannot make the files public: no ACL sent (objects stay owned by the bucket and
    private), an existing name is never overwritten (the same rule as the local disk), and
    ``url()`` gives the same unserved ``/media/...`` path as the local storage instead of a
    presigned link."""

    def get_default_settings(self):
        defaults = super().get_default_settings()
        defaults.update(
            default_acl=None,
            file_overwrite=False,
            custom_domain=None,
            # Larger files read with ``open()`` spill from memory to a temporary file.
            max_memory_size=2 * 1024 * 1024,
        )
        return defaults

    def __init__(self, **settings):
        super().__init__(**settings)
        # botocore waits 60 s to connect and retries: a stalled store would hold a gunicorn
        # worker past its 30 s timeout. Fail within seconds instead (the view answers 503/500,
        # the task is retried).
        from botocore.config import Config

        self.client_config = self.client_config.merge(
            Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})
        )

    def health_client(self):
        """A client that gives up within seconds (the storage's own retries for minutes):
        /healthz must answer before the load balancer's or the monitor's timeout."""
        from botocore.config import Config

        session = self._create_session()
        return session.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region_name,
            config=Config(
                connect_timeout=1,
                read_timeout=2,
                retries={"max_attempts": 1},
                s3={"addressing_style": self.addressing_style},
                signature_version=self.signature_version,
            ),
        )

    def url(self, name, parameters=None, expire=None, http_method=None):
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name))

    def stream(self, name: str):
        """(body, length) of an object, read from the bucket as the response is sent."""
        key = self._normalize_name(clean_name(name))
        try:
            response = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(name) from None
            raise
        return response["Body"], response["ContentLength"]


def stored_file_response(
    field_file, *, filename: str, as_attachment: bool = True, content_type: str | None = None
) -> FileResponse:
    """The response of a permission-checked download: the file streamed from wherever it is
    stored. A row whose file is missing answers 404 (and is logged), not 500."""
    storage = field_file.storage
    try:
        if hasattr(storage, "stream"):
            body, length = storage.stream(field_file.name)
        else:
            body, length = field_file.open("rb"), None
    except FileNotFoundError:
        logger.warning("stored file missing: %s", field_file.name)
        raise Http404 from None
    response = FileResponse(body, as_attachment=as_attachment, filename=filename, content_type=content_type)
    if length is not None:
        response["Content-Length"] = str(length)
    return response


def copy_to_local(field_file, target) -> None:
    """Copy a stored file to a local path of this process (a worker's temporary folder), in
    chunks: for the parsers that need a real file (lxml streaming the national register)."""
    storage = field_file.storage
    if hasattr(storage, "stream"):
        body, _length = storage.stream(field_file.name)
        source = body
    else:
        source = storage.open(field_file.name, "rb")
    try:
        with open(target, "wb") as copy:
            shutil.copyfileobj(source, copy, length=1024 * 1024)
    finally:
        source.close()
