"""Certificate pages: public verification (no login), downloads, the branch register with
revocation, the session progress fragment and the CDC board."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cqp_portal import policy
from cqp_portal.accounts.models import Role
from cqp_portal.decorators import role_required
from cqp_portal.policy.roles import admin_branch_ids
from cqp_portal.storage import stored_file_response
from juries.certificates import badges, cdc, selectors, services, views_cdc
from juries.certificates.forms import BulkRevokeForm, CdcExportForm, ReissueForm, RevokeForm
from juries.certificates.models import CdcExport, CdcExportJob, Certificate, CertificateState
from juries.certificates.ratelimit import hit
from juries.certificates.signing import jose

# --- public verification ---------------------------------------------------------------------


def _limited(request, json_response: bool):
    if hit(request):
        return None
    if json_response:
        response = JsonResponse(
            {"code": "throttled", "message": _("Too many requests. Try again in a minute.")}, status=429
        )
    else:
        response = render(request, "certificates/verify_throttled.html", status=429)
    response["Retry-After"] = "60"
    return response


def _not_found(request, json_response: bool):
    # The same answer for every unknown code: nothing tells whether a code is close to a real one.
    if json_response:
        return JsonResponse({"code": "not_found", "message": _("No certificate has this code.")}, status=404)
    return render(request, "certificates/verify_not_found.html", status=404)


def public_record(certificate) -> dict:
    superseded_by = getattr(certificate, "superseded_by", None)
    return {
        "number": certificate.number,
        "kind": certificate.kind,
        "kind_label": str(certificate.get_kind_display()),
        "status": {"pending": "pending", "issued": "valid", "revoked": "revoked"}[certificate.state],
        "revoked_at": certificate.revoked_at.isoformat() if certificate.revoked_at else None,
        "revocation_reason": certificate.revocation_reason or None,
        "superseded_by": superseded_by.verification_url if superseded_by else None,
        "holder": certificate.holder_name,
        "certification": {
            "title": certificate.certification_title,
            "register": certificate.register or None,
            "registration_number": certificate.registration_number or None,
            "level": certificate.registration_level,
            "certifier": certificate.certifier_name,
        },
        "block": {"code": certificate.block.code, "title": certificate.block.title} if certificate.block_id else None,
        "blocks": [{"code": b.code, "title": b.title} for b in certificate.blocks.all()],
        "award_date": certificate.award_date.isoformat(),
        "award_place": certificate.award_place,
        "pdf_sha256": certificate.sha256 or None,
        "verification_url": certificate.verification_url,
        "open_badge": certificate.verification_url + "badge.json",
        "open_badge_jwt": certificate.verification_url + "badge.jwt",
    }


@never_cache
@require_GET
def verify(request, code: str):
    if limited := _limited(request, json_response=False):
        return limited
    certificate = selectors.certificate_by_code(code)
    if certificate is None:
        return _not_found(request, json_response=False)
    return render(request, "certificates/verify.html", {"c": certificate, "blocks": list(certificate.blocks.all())})


@never_cache
@require_GET
def verify_json(request, code: str):
    if limited := _limited(request, json_response=True):
        return limited
    certificate = selectors.certificate_by_code(code)
    if certificate is None:
        return _not_found(request, json_response=True)
    return JsonResponse(public_record(certificate), json_dumps_params={"ensure_ascii": False})


def _badge_response(credential: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(credential, ensure_ascii=False, indent=2), content_type="application/ld+json; charset=utf-8"
    )
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _badge_certificate(request, code):
    if limited := _limited(request, json_response=True):
        return None, limited
    certificate = selectors.certificate_by_code(code)
    if certificate is None:
        return None, _not_found(request, json_response=True)
    if certificate.state != CertificateState.ISSUED:
        # A revoked (or not yet issued) award has no credential to hand out.
        return None, JsonResponse(public_record(certificate), status=410, json_dumps_params={"ensure_ascii": False})
    return certificate, None


@never_cache
@require_GET
def badge(request, code: str):
    certificate, error = _badge_certificate(request, code)
    if error:
        return error
    name = f"{certificate.number}.json" if "download" in request.GET else ""
    return _badge_response(badges.certificate_credential(certificate), name)


@never_cache
@require_GET
def block_badge(request, code: str, block_id: int):
    certificate, error = _badge_certificate(request, code)
    if error:
        return error
    block = next((b for b in certificate.blocks.all() if b.pk == int(block_id)), None)
    if block is None:
        return _not_found(request, json_response=True)
    name = f"{certificate.number}-{block.code}.json" if "download" in request.GET else ""
    return _badge_response(badges.block_credential(certificate, block), name)


def _jwt_response(token: str, filename: str) -> HttpResponse:
    response = HttpResponse(token, content_type="application/vc+jwt")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@require_GET
def badge_jwt(request, code: str):
    """The same credential as badge.json, signed (VC-JWT): what a wallet or a verifier takes."""
    certificate, error = _badge_certificate(request, code)
    if error:
        return error
    name = f"{certificate.number}.jwt" if "download" in request.GET else ""
    return _jwt_response(jose.sign_credential(badges.certificate_credential(certificate)), name)


@never_cache
@require_GET
def block_badge_jwt(request, code: str, block_id: int):
    certificate, error = _badge_certificate(request, code)
    if error:
        return error
    block = next((b for b in certificate.blocks.all() if b.pk == int(block_id)), None)
    if block is None:
        return _not_found(request, json_response=True)
    name = f"{certificate.number}-{block.code}.jwt" if "download" in request.GET else ""
    return _jwt_response(jose.sign_credential(badges.block_credential(certificate, block)), name)


# --- downloads -------------------------------------------------------------------------------------


@login_required
def download(request, pk: int):
    certificate = policy.get_visible_or_404(request.user, Certificate, pk=pk)
    policy.require(request.user, "certificate.download", certificate)
    if not certificate.pdf:
        raise Http404
    return stored_file_response(certificate.pdf, as_attachment=True, filename=f"{certificate.number}.pdf")


# --- branch administrators: register, revocation, re-issue -------------------------------------------


@login_required
@role_required(Role.BRANCH_ADMIN)
def register(request):
    state = request.GET.get("state", "")
    if state not in CertificateState.values:
        state = ""
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.register_list(request.user, state=state, query=query), 50).get_page(
        request.GET.get("page")
    )
    form = BulkRevokeForm(choices=[(c.pk, c.number) for c in page.object_list])
    return render(
        request,
        "certificates/register.html",
        {"page": page, "state": state, "query": query, "states": CertificateState.choices, "form": form},
    )


@login_required
@role_required(Role.BRANCH_ADMIN)
@require_POST
def bulk_revoke(request):
    visible = policy.scope(request.user, Certificate)
    ids = [int(v) for v in request.POST.getlist("certificates") if v.isdigit()]
    form = BulkRevokeForm(
        request.POST, choices=[(pk, pk) for pk in visible.filter(pk__in=ids).values_list("pk", flat=True)]
    )
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("certificates:register")
    revoked = services.certificates_revoke(
        certificates=list(visible.filter(pk__in=form.cleaned_data["certificates"])),
        by=request.user,
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("%(count)s certificate(s) revoked.") % {"count": len(revoked)})
    return redirect("certificates:register")


def _detail_context(request, certificate, **forms):
    return {
        "c": certificate,
        "blocks": list(certificate.blocks.all()),
        "revoke_form": forms.get("revoke_form") or RevokeForm(prefix="revoke"),
        "reissue_form": forms.get("reissue_form") or ReissueForm(prefix="reissue"),
        "may_revoke": policy.allowed(request.user, "certificate.revoke", certificate),
    }


@login_required
def detail(request, pk: int):
    certificate = policy.get_visible_or_404(
        request.user,
        Certificate,
        Certificate.objects.select_related("certification", "block", "supersedes", "superseded_by"),
        pk=pk,
    )
    return render(request, "certificates/detail.html", _detail_context(request, certificate))


@login_required
@require_POST
def revoke(request, pk: int):
    certificate = policy.get_visible_or_404(request.user, Certificate, pk=pk)
    policy.require(request.user, "certificate.revoke", certificate)
    form = RevokeForm(request.POST, prefix="revoke")
    if not form.is_valid():
        return render(
            request, "certificates/detail.html", _detail_context(request, certificate, revoke_form=form), status=400
        )
    services.certificate_revoke(certificate=certificate, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Certificate %(number)s revoked.") % {"number": certificate.number})
    return redirect("certificates:detail", pk=certificate.pk)


@login_required
@require_POST
def reissue(request, pk: int):
    certificate = policy.get_visible_or_404(request.user, Certificate, pk=pk)
    policy.require(request.user, "certificate.reissue", certificate)
    form = ReissueForm(request.POST, prefix="reissue")
    if not form.is_valid():
        return render(
            request, "certificates/detail.html", _detail_context(request, certificate, reissue_form=form), status=400
        )
    new = services.certificate_reissue(certificate=certificate, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Certificate re-issued under number %(number)s.") % {"number": new.number})
    return redirect("certificates:detail", pk=new.pk)


# --- jury session progress -----------------------------------------------------------------------------


def _session(request, session_id: int):
    from juries.models import JurySession

    session = policy.get_visible_or_404(request.user, JurySession, pk=session_id)
    policy.require(request.user, "certificate.session_progress", session)
    return session


@login_required
@never_cache
def session_progress_json(request, session_id: int):
    session = _session(request, session_id)
    return JsonResponse(selectors.session_progress(session).as_dict())


@login_required
@never_cache
def session_progress_fragment(request, session_id: int):
    """The progress bar alone (the including page polls it while certificates are pending)."""
    session = _session(request, session_id)
    html = render_to_string(
        "certificates/includes/session_progress.html",
        {"session": session, "certificate_progress": selectors.session_progress(session)},
        request=request,
    )
    return HttpResponse(html)


@login_required
@require_POST
def session_retry(request, session_id: int):
    session = _session(request, session_id)
    count = services.certificates_retry(session=session, by=request.user)
    messages.success(request, _("%(count)s certificate(s) queued again.") % {"count": count})
    return redirect(request.POST.get("next") or request.META.get("HTTP_REFERER") or "/")


# --- CDC accrochage -------------------------------------------------------------------------------------


def _my_certifications(user):
    from certifications.models import Certification

    if user.is_staff:
        return Certification.objects.all()
    return Certification.objects.filter(branches__in=admin_branch_ids(user)).distinct()


@login_required
@role_required(Role.BRANCH_ADMIN)
def cdc_board(request):
    policy.require(request.user, "cdc.export")
    form = CdcExportForm(certifications=_my_certifications(request.user))
    pending = cdc.awards(cdc.not_exported(cdc.eligible_certificates(user=request.user)))
    exports = (
        policy.scope(request.user, CdcExport)
        .select_related("certifier__commission", "created_by")
        .prefetch_related("certificates")[:20]
    )
    return render(
        request,
        "certificates/cdc_board.html",
        {
            "form": form,
            "pending": pending,
            "ready_count": sum(1 for a in pending if a.exportable),
            "exports": exports,
            "jobs": policy.scope(request.user, CdcExportJob).filter(created_by=request.user)[:5],
            **views_cdc.board_context(request),
        },
    )


@login_required
@role_required(Role.BRANCH_ADMIN)
@require_POST
def cdc_export(request):
    form = CdcExportForm(request.POST, certifications=_my_certifications(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("certificates:cdc_board")
    job = services.cdc_export_job_create(
        by=request.user, certification_code=form.cleaned_data["certification"], since=form.cleaned_data["since"]
    )
    return redirect("certificates:cdc_job", pk=job.pk)


def _cdc_job(request, pk: int) -> dict:
    policy.require(request.user, "cdc.export")
    job = policy.get_visible_or_404(request.user, CdcExportJob, pk=pk)
    return {"job": job, "progress": selectors.cdc_job_progress(job)}


@login_required
@role_required(Role.BRANCH_ADMIN)
@never_cache
@require_GET
def cdc_job(request, pk: int):
    return render(request, "certificates/cdc_job.html", _cdc_job(request, pk))


@login_required
@role_required(Role.BRANCH_ADMIN)
@never_cache
@require_GET
def cdc_job_progress(request, pk: int):
    """The job block alone: the job page polls it until the export is finished."""
    return render(request, "certificates/includes/cdc_job_progress.html", _cdc_job(request, pk))


@login_required
@role_required(Role.BRANCH_ADMIN)
def cdc_download(request, pk: int):
    export = get_object_or_404(policy.scope(request.user, CdcExport), pk=pk)
    return stored_file_response(export.file, as_attachment=True, filename=f"{export.id_flux}.xml")
