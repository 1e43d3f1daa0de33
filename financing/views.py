from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from candidates.models import Path
from cqp_portal import policy
from cqp_portal.accounts.models import Role
from cqp_portal.audit.services import audit_trail
from cqp_portal.decorators import role_required
from cqp_portal.errors import RuleViolation
from financing import charts, exports, selectors, services
from financing.forms import EMPLOYER_CHOICE, SELF_CHOICE, TRANSITION_FORMS, FundingLineForm, ReportForm
from financing.models import Funder, FunderKind, FundingLine, FundingState


def _apply_violation(form, exc: RuleViolation) -> None:
    """Show a refused rule on its field (every reason when there are several)."""
    field = exc.field if exc.field in form.fields else None
    for message in exc.details or [exc.message]:
        form.add_error(field, str(message))


@login_required
@role_required(Role.FUNDER_OFFICER)
def funder_workspace(request):
    state = request.GET.get("state", "")
    if state not in FundingState.values:
        state = ""
    lines = list(selectors.funder_requests(request.user, state=state))
    funders = Funder.objects.filter(pk__in=request.user.roles.filter(role=Role.FUNDER_OFFICER).values("funder"))
    states = [(value, label) for value, label in FundingState.choices if value != FundingState.DRAFT]
    return render(
        request,
        "financing/funder_workspace.html",
        {"lines": lines, "funders": funders, "states": states, "current_state": state},
    )


TRANSITION_RULES = {
    "submit": "funding.submit",
    "approve": "funding.decide",
    "refuse": "funding.decide",
    "invoice": "funding.invoice",
    "pay": "funding.pay",
    "cancel": "funding.cancel",
}


def _line_context(request, line, forms=None):
    user = request.user
    forms = forms or {}
    actions = []
    for name, action, states in [
        ("submit", "funding.submit", [FundingState.DRAFT]),
        ("approve", "funding.decide", [FundingState.SUBMITTED]),
        ("refuse", "funding.decide", [FundingState.SUBMITTED]),
        ("invoice", "funding.invoice", [FundingState.APPROVED]),
        ("pay", "funding.pay", [FundingState.INVOICED]),
        ("cancel", "funding.cancel", [FundingState.DRAFT, FundingState.SUBMITTED, FundingState.APPROVED]),
    ]:
        if line.state in states and policy.allowed(user, action, line):
            actions.append((name, forms.get(name) or TRANSITION_FORMS[name](prefix=name)))
    return {
        "line": line,
        "actions": actions,
        "trail": audit_trail(line),
        "path_visible": policy.scope(user, Path).filter(pk=line.path_id).exists(),
    }


@login_required
def funding_line_detail(request, line_id: int):
    line = policy.get_visible_or_404(
        request.user,
        FundingLine,
        FundingLine.objects.select_related("path__candidate", "path__certification", "funder", "decided_by"),
        pk=line_id,
    )
    return render(request, "financing/line_detail.html", _line_context(request, line))


@login_required
@require_POST
def funding_line_transition(request, line_id: int, name: str):
    if name not in services.TRANSITIONS:
        raise Http404
    line = policy.get_visible_or_404(
        request.user,
        FundingLine,
        FundingLine.objects.select_related("path__candidate", "path__certification", "funder", "decided_by"),
        pk=line_id,
    )
    if not policy.allowed(request.user, TRANSITION_RULES[name], line):
        raise PermissionDenied
    form = TRANSITION_FORMS[name](request.POST, prefix=name)
    if form.is_valid():
        data = form.cleaned_data
        kwargs = {
            "approve": lambda: {"amount": data["amount_approved"], "note": data["note"]},
            "refuse": lambda: {"reason": data["reason"]},
            "invoice": lambda: {
                "amount": data["amount_invoiced"],
                "invoice_reference": data["invoice_reference"],
                "invoiced_on": data["invoiced_on"],
            },
            "pay": lambda: {"amount": data["amount_paid"], "paid_on": data["paid_on"]},
            "cancel": lambda: {"reason": data["reason"]},
        }.get(name, dict)()
        try:
            services.TRANSITIONS[name](line=line, by=request.user, **kwargs)
        except RuleViolation as exc:
            _apply_violation(form, exc)
        else:
            messages.success(request, _done_message(name))
            target = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("financing:line_detail", args=[line.pk])
            return redirect(target)
    context = _line_context(request, line, forms={name: form})
    return render(request, "financing/line_detail.html", context, status=400)


def _done_message(name: str) -> str:
    # Built per request so the message is in the user's language.
    return {
        "submit": _("The funding request was sent to the funder."),
        "approve": _("The funding request was approved."),
        "refuse": _("The funding request was refused."),
        "invoice": _("The invoice was recorded."),
        "pay": _("The payment was recorded."),
        "cancel": _("The funding line was cancelled."),
    }[name]


def _resolve_funder(choice: str, path):
    if choice == EMPLOYER_CHOICE:
        return services.employer_funder(path.candidate)
    if choice == SELF_CHOICE:
        return services.self_funder()
    try:
        return Funder.objects.exclude(kind__in=[FunderKind.EMPLOYER, FunderKind.CANDIDATE]).get(pk=int(choice))
    except (ValueError, Funder.DoesNotExist):
        raise RuleViolation(_("Choose a funder from the list."), field="funder") from None


@login_required
def path_funding(request, path_id: int):
    path = policy.get_visible_or_404(
        request.user,
        Path,
        Path.objects.select_related("candidate", "certification__registration", "version", "training_provider"),
        pk=path_id,
    )
    can_create = policy.allowed(request.user, "funding.create", path) and not path.is_final
    form = None
    if can_create:
        form = FundingLineForm(request.POST or None, path=path)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                line = services.funding_line_create(
                    path=path,
                    by=request.user,
                    scheme=data["scheme"],
                    funder=_resolve_funder(data["funder"], path),
                    blocks=data["blocks"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    hours=data["hours"],
                    hourly_rate=data["hourly_rate"],
                    fixed_amount=data["fixed_amount"],
                    funder_reference=data["funder_reference"],
                    cpf_file_number=data["cpf_file_number"],
                )
            except RuleViolation as exc:
                _apply_violation(form, exc)
            else:
                messages.success(request, _("The funding line was added as a draft: submit it to the funder."))
                return redirect(reverse("financing:path_funding", args=[path.pk]) + f"#line-{line.pk}")
    elif request.method == "POST":
        policy.require(request.user, "funding.create", path)
    lines = list(selectors.path_lines(request.user, path))
    summary = selectors.path_funding_summary(path, lines)
    line_actions = {
        line.pk: [
            name
            for name, action, state in [
                ("submit", "funding.submit", FundingState.DRAFT),
            ]
            if line.state == state and policy.allowed(request.user, action, line)
        ]
        for line in lines
    }
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(
        request,
        "financing/path_funding.html",
        {
            "path": path,
            "lines": [(line, line_actions[line.pk]) for line in lines],
            "summary": summary,
            "form": form,
            "can_report": policy.allowed(request.user, "funding.report"),
        },
        status=status,
    )


@login_required
@role_required(Role.BRANCH_ADMIN)
def reports(request):
    years = selectors.report_years(request.user)
    form = ReportForm(request.GET or None, years=years)
    group_by, year = "scheme", None
    if form.is_valid():
        group_by = form.cleaned_data["group_by"] or "scheme"
        year = form.cleaned_data["year"]
    dimension_label = dict(form.fields["group_by"].choices)[group_by]
    rows = selectors.report_rows(request.user, group_by=group_by, year=year)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        filename = f"financement-{group_by}-{year or 'tout'}.{export}"
        if export == "csv":
            body, content_type = exports.report_csv(rows, dimension_label), "text/csv; charset=utf-8"
        else:
            body = exports.report_xlsx(rows, dimension_label)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    totals = {key: sum(row[key] for row in rows) for key in ("requested", "approved", "paid")}
    chart = charts.scheme_chart(selectors.approved_by_scheme_and_year(request.user))
    query = request.GET.copy()
    query.pop("export", None)
    return render(
        request,
        "financing/reports.html",
        {
            "form": form,
            "rows": rows,
            "totals": totals,
            "dimension_label": dimension_label,
            "group_by": group_by,
            "chart": chart,
            "query": query.urlencode(),
        },
    )
