"""CDC board additions: the 3-month deadline, the CDC's processing reports, the rejections
with what to correct, a rejected award deposited again, and the pre-deposit check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cqp_portal import policy
from cqp_portal.accounts.models import Role
from cqp_portal.decorators import role_required
from cqp_portal.errors import DomainError
from juries.certificates import cdc
from juries.certificates.cdc import deadlines, report
from juries.certificates.forms import CdcReportForm
from juries.certificates.models import CdcReport, Certificate

# Candidate fields named by the checks, as the board says them.
FIELD_LABELS = {
    "birth_name": gettext_lazy("birth name"),
    "first_names": gettext_lazy("first names"),
    "sex": gettext_lazy("sex"),
    "birth_date": gettext_lazy("birth date"),
    "birth_place_code": gettext_lazy("birth place code"),
    "birth_place_code_kind": gettext_lazy("kind of birth place code"),
    "birth_country": gettext_lazy("birth country"),
    "start_date": gettext_lazy("enrolment date"),
}


def board_context(request) -> dict:
    """What the CDC board shows besides the pending awards and the exports."""
    user = request.user
    rejections = []
    for certificate in report.rejected_awards(user):
        fix = report.fix_for(certificate.cdc_message)
        rejections.append(
            {"certificate": certificate, "fix": fix, "fields": [str(FIELD_LABELS[f]) for f in fix.fields]}
        )
    return {
        "deadlines": deadlines.deadline_list(user),
        "rejections": rejections,
        "report_form": CdcReportForm(),
        "reports": policy.scope(user, CdcReport).select_related("export", "imported_by")[:10],
    }


@login_required
@role_required(Role.BRANCH_ADMIN)
@require_POST
def cdc_report_upload(request):
    policy.require(request.user, "cdc.export")
    form = CdcReportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            imported = report.cdc_report_import(data=form.cleaned_data["file"].read(), by=request.user)
        except DomainError as exc:
            form.add_error("file", str(exc.message))
        else:
            messages.success(
                request,
                _("Report of the flux %(flux)s imported: %(accepted)s accepted, %(rejected)s rejected.")
                % {"flux": imported.export.id_flux, "accepted": imported.accepted, "rejected": imported.rejected},
            )
            return redirect("certificates:cdc_board")
    for errors in form.errors.values():
        messages.error(request, " ".join(errors))
    return redirect("certificates:cdc_board")


@login_required
@role_required(Role.BRANCH_ADMIN)
@require_POST
def cdc_redeposit(request, pk: int):
    certificate = policy.get_visible_or_404(request.user, Certificate, pk=pk)
    try:
        report.cdc_redeposit(certificate=certificate, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("%(number)s will be in the next flux, with the same idTechnique.") % {"number": certificate.number},
        )
    return redirect("certificates:cdc_board")


@login_required
@role_required(Role.BRANCH_ADMIN)
@require_GET
def cdc_check(request):
    """The pre-deposit check: every award the CDC would reject for a known reason."""
    policy.require(request.user, "cdc.export")
    pending = cdc.awards(cdc.not_exported(cdc.eligible_certificates(user=request.user)))
    held_back = [
        {"award": a, "fields": [str(FIELD_LABELS.get(f, f)) for f in a.fields]} for a in pending if not a.exportable
    ]
    return render(
        request,
        "certificates/cdc_check.html",
        {"held_back": held_back, "ready_count": len(pending) - len(held_back)},
    )
