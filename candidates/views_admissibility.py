"""VAE admissibility pages: the candidate's experience records and request (French first), and
the branch administrators' list of pending requests with their 2-month deadline."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from candidates import services
from candidates.forms import AdmissibilityRequestForm, EvidenceForm, ExperienceForm, add_rule_violation
from candidates.models import Evidence, ExperienceRecord, Path, PathState
from candidates.services import admissibility
from cqp_portal import policy
from cqp_portal.accounts.models import Role
from cqp_portal.decorators import role_required
from cqp_portal.errors import RuleViolation


def _own_vae_path(request, pk) -> Path:
    path = policy.get_visible_or_404(
        request.user, Path, Path.objects.select_related("candidate", "certification", "version"), pk=pk
    )
    policy.require(request.user, "path.edit_experience", path)
    if not path.is_vae:
        raise RuleViolation(_("Experience records are part of a VAE path only."), code="admissibility_vae_only")
    return path


def _experience_page(request, path, *, form=None, request_form=None, request_errors=None):
    editable = path.state in admissibility.EDITABLE_STATES
    records = path.experience_records.prefetch_related("blocks").order_by("-start_date", "pk")
    context = {
        "path": path,
        "records": records,
        "documents": Evidence.objects.filter(path=path).order_by("-uploaded_at", "-pk"),
        "editable": editable,
        "form": form or (ExperienceForm(path=path) if editable else None),
        "evidence_form": EvidenceForm(prefix="doc") if editable else None,
        "request_form": request_form or (AdmissibilityRequestForm() if path.state == PathState.REGISTERED else None),
        "request_errors": request_errors or {},
        "nearing": admissibility.is_nearing(path),
        "days_left": admissibility.days_left(path),
    }
    # Re-shown with its errors as 200, like the other form pages (the browser tests treat 4xx as faults).
    return render(request, "candidates/experience.html", context)


@login_required
@role_required(Role.CANDIDATE)
def experience(request, pk):
    """List and add experience records; the request is sent from the same page."""
    path = _own_vae_path(request, pk)
    if request.method != "POST":
        return _experience_page(request, path)
    form = ExperienceForm(request.POST, path=path)
    if form.is_valid():
        try:
            services.experience_record_save(path=path, by=request.user, **_values(form))
        except RuleViolation as exc:
            add_rule_violation(form, exc)
        else:
            messages.success(request, _("The experience is added to your admissibility file."))
            return redirect("candidates:experience", pk=path.pk)
    return _experience_page(request, path, form=form)


@login_required
@role_required(Role.CANDIDATE)
def experience_edit(request, pk, record_pk):
    path = _own_vae_path(request, pk)
    record = get_object_or_404(ExperienceRecord, pk=record_pk, path=path)
    form = ExperienceForm(request.POST if request.method == "POST" else None, instance=record, path=path)
    if request.method == "POST" and form.is_valid():
        try:
            services.experience_record_save(path=path, by=request.user, record=record, **_values(form))
        except RuleViolation as exc:
            add_rule_violation(form, exc)
        else:
            messages.success(request, _("The experience is updated."))
            return redirect("candidates:experience", pk=path.pk)
    return render(request, "candidates/experience_form.html", {"form": form, "path": path})


@login_required
@role_required(Role.CANDIDATE)
@require_POST
def experience_delete(request, pk, record_pk):
    path = _own_vae_path(request, pk)
    record = get_object_or_404(ExperienceRecord, pk=record_pk, path=path)
    services.experience_record_delete(record=record, by=request.user)
    messages.success(request, _("The experience is removed from your file."))
    return redirect("candidates:experience", pk=path.pk)


@login_required
@role_required(Role.CANDIDATE)
@require_POST
def admissibility_request(request, pk):
    """Send the request: refused, field by field, without related experience and a document."""
    path = _own_vae_path(request, pk)
    form = AdmissibilityRequestForm(request.POST)
    if not form.is_valid():
        return _experience_page(request, path, request_form=form)
    try:
        services.path_request_admissibility(path=path, by=request.user)
    except RuleViolation as exc:
        if exc.code != "admissibility_incomplete":
            raise
        return _experience_page(
            request, path, request_form=form, request_errors=admissibility.admissibility_missing(path)
        )
    messages.success(request, _("Your admissibility request is sent. The branch answers within 2 months."))
    return redirect("candidates:experience", pk=path.pk)


def _values(form) -> dict:
    data = form.cleaned_data
    return {
        "activity": data["activity"],
        "status": data["status"],
        "employer": data.get("employer") or "",
        "start_date": data["start_date"],
        "end_date": data.get("end_date"),
        "duration_hours": data["duration_hours"],
        "blocks": list(data["blocks"]),
        "description": data.get("description") or "",
    }


@login_required
@role_required(Role.BRANCH_ADMIN)
@require_GET
def admissibility_requests(request):
    """The branch's pending requests, oldest first, with the deadline and a "nearing" flag."""
    visible = policy.scope(request.user, Path).select_related("candidate", "certification")
    rows = [
        {
            "path": path,
            "deadline": path.admissibility_deadline,
            "days_left": admissibility.days_left(path),
            "nearing": admissibility.is_nearing(path),
            "overdue": (admissibility.days_left(path) or 0) < 0,
        }
        for path in admissibility.pending_requests(visible)
    ]
    return render(
        request,
        "candidates/admissibility_requests.html",
        {"rows": rows, "warning_days": admissibility.warning_days()},
    )
