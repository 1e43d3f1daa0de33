"""Verification by upload: anyone drops a PDF on /verify/ (or POSTs it to the API) and learns,
in plain French, whether it is authentic, modified, revoked or unknown. Nothing is stored:
the file is read in memory (size-limited), checked, and forgotten."""

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from cqp_portal.errors import RuleViolation
from juries.certificates.signing.validation import Verdict, verify_upload

PDF_MAGIC = b"%PDF-"


def _read_pdf(upload) -> bytes:
    """The upload's bytes, or a field error: too big, or not a PDF."""
    limit = settings.VERIFY_UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise forms.ValidationError(
            _("The file is too large (at most %(size)s MB).") % {"size": limit // (1024 * 1024) or 1},
            code="too_large",
        )
    data = upload.read(limit + 1)
    if not data.lstrip()[:1024].find(PDF_MAGIC) >= 0:
        raise forms.ValidationError(_("This file is not a PDF."), code="not_pdf")
    return data


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("PDF document to check"))

    def clean_file(self):
        return _read_pdf(self.cleaned_data["file"])


def result_record(result) -> dict:
    from juries.certificates.views import public_record

    return {
        "verdict": result.verdict,
        "message": result.message,
        "sha256": result.sha256,
        "seal": {
            "state": result.seal.state,
            "signer": result.seal.signer or None,
            "signed_at": result.seal.signed_at or None,
        },
        "certificate": public_record(result.certificate) if result.certificate is not None else None,
        "minutes": _minutes_record(result.minutes_session),
    }


def _minutes_record(session) -> dict | None:
    if session is None:
        return None
    return {
        "session_date": session.date.isoformat(),
        "version": session.pv_version,
        "approved": session.pv_approved_at is not None,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def verify_upload_page(request):
    from juries.certificates.views import _limited

    result = None
    if request.method == "POST":
        if limited := _limited(request, json_response=False):
            return limited
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            result = verify_upload(form.cleaned_data["file"])
    else:
        form = UploadForm()
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    context = {
        "form": form,
        "result": result,
        "max_mb": settings.VERIFY_UPLOAD_MAX_BYTES // (1024 * 1024) or 1,
        "Verdict": Verdict,
    }
    return render(request, "certificates/verify_upload.html", context, status=status)


VerifyResult = inline_serializer(
    "PdfVerification",
    {
        "verdict": serializers.ChoiceField(choices=Verdict.choices),
        "message": serializers.CharField(help_text="The verdict in plain French."),
        "sha256": serializers.CharField(),
        "seal": inline_serializer(
            "PdfSeal",
            {
                "state": serializers.ChoiceField(choices=["valid", "tampered", "untrusted", "unsigned", "unreadable"]),
                "signer": serializers.CharField(allow_null=True),
                "signed_at": serializers.CharField(allow_null=True),
            },
        ),
        "certificate": serializers.JSONField(allow_null=True, help_text="The public record, as verify/<code>.json."),
        "minutes": serializers.JSONField(
            allow_null=True, help_text="When the file is a jury's minutes: session_date, version, approved."
        ),
    },
)


class VerifyUploadView(APIView):
    """Public (no login), rate-limited like the verification pages: is this PDF authentic?"""

    permission_classes = [AllowAny]
    authentication_classes = []
    parser_classes = [MultiPartParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "verify"

    @extend_schema(
        operation_id="verify_pdf",
        summary="Check a PDF issued by the portal",
        description=(
            "Upload a PDF (multipart field `file`, at most VERIFY_UPLOAD_MAX_BYTES). The portal checks its PAdES seal "
            "(integrity, chain to the portal's trust roots), computes its SHA-256 and looks it up in the register. "
            "`verdict`: authentic, modified (changed after sealing), revoked (intact but revoked), unknown (not "
            "issued by the portal)."
        ),
        request={"multipart/form-data": inline_serializer("PdfUpload", {"file": serializers.FileField()})},
        responses={200: VerifyResult},
        auth=[],
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise RuleViolation(_("Attach the PDF to check."), code="required", field="file")
        try:
            data = _read_pdf(upload)
        except forms.ValidationError as exc:
            raise RuleViolation(exc.messages[0], code=exc.code, field="file") from None
        return Response(result_record(verify_upload(data)))
