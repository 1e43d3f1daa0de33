"""The statistics page of branch administrators (and staff), and its CSV export."""

import csv
import datetime
import io

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from candidates.models import add_months
from certifications.models import Certification
from cqp_portal.accounts.models import Role
from cqp_portal.decorators import role_required
from cqp_portal.policy.roles import admin_branch_ids
from cqp_portal.statistics import cache, charts, selectors
from cqp_portal.statistics.charts import BLUE, GREEN, ORANGE, SCHEME_COLOURS, VERMILION, Item, Value


class StatisticsForm(forms.Form):
    certification = forms.TypedChoiceField(
        label=gettext_lazy("Certification"), required=False, coerce=int, empty_value=None
    )
    date_from = forms.DateField(
        label=gettext_lazy("Start of the period"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("End of the period"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )

    def __init__(self, *args, certifications, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certification"].choices = [("", _("All my certifications"))] + [
            (c.pk, f"{c.title} ({c.code})") for c in certifications
        ]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The start of the period must be on or before its end."), code="period_order")
        return data


def _default_period() -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    return add_months(today, -12) + datetime.timedelta(days=1), today


def _requested_certification(request) -> int | None:
    raw = request.GET.get("certification", "")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


def _certifications(user, requested: int | None) -> list[Certification]:
    """The certifications the user may study: their branches' own (a CQPI counts for each of
    its owning branches); staff, every certification with a path."""
    qs = Certification.objects.only("pk", "title", "code").order_by("title", "pk")
    if user.is_staff:
        wanted = Q(paths__isnull=False) | Q(pk=requested) if requested else Q(paths__isnull=False)
        return list(qs.filter(wanted).distinct())
    return list(qs.filter(branches__in=admin_branch_ids(user)).distinct())


@login_required
@role_required(Role.BRANCH_ADMIN)
@require_http_methods(["GET", "POST"])
def dashboard(request):
    requested = _requested_certification(request)
    certifications = _certifications(request.user, requested)
    if requested is not None and requested not in {c.pk for c in certifications}:
        # Another branch's certification: its existence is not revealed.
        raise Http404
    form = StatisticsForm(request.GET or None, certifications=certifications)
    date_from, date_to = _default_period()
    if form.is_bound and form.is_valid():
        date_from = form.cleaned_data["date_from"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
    # None: every certification (staff); an administrator's list may be empty.
    ids = None if request.user.is_staff else [c.pk for c in certifications]
    if requested is not None:
        ids = [requested]
    scope = selectors.Scope(certification_ids=ids, date_from=date_from, date_to=date_to)
    if request.method == "POST":
        # "Compute again": fresh figures for this scope, then back to the page (PRG).
        cache.figures(scope, collect, refresh=True)
        return redirect(request.get_full_path())
    data, computed_at = cache.figures(scope, collect)
    selected = next((c for c in certifications if c.pk == requested), None)
    if request.GET.get("export") == "csv":
        response = HttpResponse(statistics_csv(data, scope, selected), content_type="text/csv; charset=utf-8")
        filename = f"statistiques-{selected.code if selected else 'toutes'}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    query = request.GET.copy()
    query.pop("export", None)
    if not form.is_bound:
        form = StatisticsForm(initial={"date_from": date_from, "date_to": date_to}, certifications=certifications)
    return render(
        request,
        "statistics/dashboard.html",
        {
            "form": form,
            "scope": scope,
            "selected": selected,
            "has_certifications": bool(certifications),
            "query": query.urlencode(),
            **data,
            "charts": build_charts(data),
            "median_label": _median_label(data["award_time"]["median_days"]),
            "computed_at": computed_at,
            "cache_minutes": settings.STATISTICS_CACHE_SECONDS // 60,
        },
    )


def _median_label(days) -> str:
    if days is None:
        return ""
    return ngettext("%(days)s day", "%(days)s days", int(days)) % {"days": number_format(days, 1)}


def collect(scope: selectors.Scope) -> dict:
    """Every aggregate of the page: one query each, whatever the number of paths."""
    routes = selectors.paths_by_access_route(scope)
    return {
        "states": selectors.paths_by_state(scope),
        "routes": routes,
        "vae": selectors.vae_vs_training(routes),
        "outcomes": selectors.jury_outcomes(scope),
        "blocks": selectors.block_success(scope),
        "assessments": selectors.assessment_success(scope),
        "award_time": selectors.time_to_award(scope),
        "funding": selectors.funding_by_scheme(scope),
    }


OUTCOME_COLOURS = {"total": GREEN, "partial": ORANGE, "refused": VERMILION}


def build_charts(data: dict) -> dict:
    states = [Item(row["label"], [Value(row["count"], charts.count(row["count"]))]) for row in data["states"]]
    outcomes = [
        Item(
            row["label"],
            [
                Value(
                    row["count"],
                    f"{charts.count(row['count'])} ({charts.percent(row['share'])})",
                    OUTCOME_COLOURS[row["key"]],
                )
            ],
        )
        for row in data["outcomes"]["rows"]
    ]
    blocks = [
        Item(
            f"{row['label']}",
            [Value(row["rate"] or 0, f"{charts.percent(row['rate'])} ({row['validated']}/{row['decided']})", GREEN)],
        )
        for row in data["blocks"]
    ]
    vae = data["vae"]
    routes = [
        Item(_("VAE"), [Value(vae["vae"], charts.count(vae["vae"]), ORANGE)]),
        Item(_("Training and other access routes"), [Value(vae["training"], charts.count(vae["training"]), BLUE)]),
    ]
    funding = [
        Item(
            row["label"],
            [
                Value(
                    row["approved"],
                    charts.euros(row["approved"]),
                    SCHEME_COLOURS.get(row["key"], BLUE),
                    _("amount approved"),
                ),
                Value(
                    row["paid"], charts.euros(row["paid"]), SCHEME_COLOURS.get(row["key"], BLUE), _("amount paid"), 0.5
                ),
            ],
        )
        for row in data["funding"]
    ]
    any_state = any(row["count"] for row in data["states"])
    return {
        "states": charts.bar_chart(
            "states",
            _("Paths per state"),
            _("One horizontal bar per state, in the order of the path, with its number of paths."),
            states if any_state else [],
        ),
        "outcomes": charts.bar_chart(
            "outcomes",
            _("Jury outcomes"),
            _("Horizontal bars: full awards, partial awards and refusals, with their number and share."),
            outcomes if data["outcomes"]["decided"] else [],
        ),
        "blocks": charts.bar_chart(
            "blocks",
            _("Success rate per block"),
            _("One horizontal bar per block, on a scale of 0 to 100 percent, with its success rate."),
            blocks,
            scale_max=100,
        ),
        "routes": charts.bar_chart(
            "routes",
            _("VAE and training"),
            _("Two horizontal bars: paths through VAE and paths through training or another access route."),
            routes if vae["total"] else [],
        ),
        "funding": charts.bar_chart(
            "funding",
            _("Funding by scheme"),
            _("Two labelled horizontal bars per scheme: amount approved (solid), amount paid (lighter)."),
            funding,
        ),
    }


def statistics_csv(data: dict, scope: selectors.Scope, selected) -> bytes:
    """One CSV for every table of the page, in long form: section; item; measure; value.

    Amounts and rates are written as plain numbers (dot decimal), like the funding report.
    """
    buffer = io.StringIO()
    # Semicolons and a BOM: what French spreadsheet software opens without an import wizard.
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([_("Section"), _("Item"), _("Measure"), _("Value")])
    selection = _("Selection")
    writer.writerow([selection, _("Certification"), "", selected.title if selected else _("All my certifications")])
    writer.writerow([selection, _("Period"), _("Start of the period"), scope.date_from.isoformat()])
    writer.writerow([selection, _("Period"), _("End of the period"), scope.date_to.isoformat()])
    paths = _("Paths")
    for row in data["states"]:
        writer.writerow([_("Paths per state"), row["label"], paths, row["count"]])
    for row in data["routes"]:
        writer.writerow([_("Paths per access route"), row["label"], paths, row["count"]])
    section = _("VAE and training")
    writer.writerow([section, _("VAE"), paths, data["vae"]["vae"]])
    writer.writerow([section, _("Training and other access routes"), paths, data["vae"]["training"]])
    for row in data["outcomes"]["rows"]:
        writer.writerow([_("Jury outcomes"), row["label"], _("Decisions"), row["count"]])
        writer.writerow([_("Jury outcomes"), row["label"], _("Share (%)"), _number(row["share"])])
    for row in data["blocks"]:
        item = _block_item(row)
        writer.writerow([_("Success rate per block"), item, _("Blocks decided"), row["decided"]])
        writer.writerow([_("Success rate per block"), item, _("Validated"), row["validated"]])
        writer.writerow([_("Success rate per block"), item, _("Success rate (%)"), _number(row["rate"])])
    for row in data["assessments"]:
        item = _block_item(row)
        writer.writerow([_("Block assessments"), item, _("Acquired"), row["validated"]])
        writer.writerow([_("Block assessments"), item, _("Not acquired"), row["not_validated"]])
        writer.writerow([_("Block assessments"), item, _("Acquired rate (%)"), _number(row["rate"])])
    section = _("Time from registration to award")
    writer.writerow([section, _("Full awards"), _("Paths"), data["award_time"]["count"]])
    writer.writerow([section, _("Full awards"), _("Median (days)"), _number(data["award_time"]["median_days"])])
    for row in data["funding"]:
        writer.writerow([_("Funding by scheme"), row["label"], _("Approved (€)"), row["approved"]])
        writer.writerow([_("Funding by scheme"), row["label"], _("Paid (€)"), row["paid"]])
        writer.writerow([_("Funding by scheme"), row["label"], _("Funding lines"), row["lines"]])
        writer.writerow([_("Funding by scheme"), row["label"], _("Paths"), row["paths"]])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _number(value) -> str:
    return "" if value is None else str(value)


def _block_item(row: dict) -> str:
    return f"{row['label']} — {row['certification']} v{row['version']}"


@login_required
@role_required(Role.BRANCH_ADMIN)
@require_http_methods(["GET"])
def renewal_export(request):
    """The renewal file's figures (certified per year and route, success per block), every year,
    for one certification of the user's branches or all of them; ``format`` csv or xlsx."""
    from cqp_portal.statistics import renewal

    requested = _requested_certification(request)
    kind = request.GET.get("format", "xlsx")
    if kind not in ("csv", "xlsx"):
        raise Http404
    if request.user.is_staff:
        certifications = list(Certification.objects.filter(pk=requested)) if requested else None
        ids = (
            [c.pk for c in certifications]
            if certifications is not None
            else list(Certification.objects.filter(paths__isnull=False).values_list("pk", flat=True).distinct())
        )
    else:
        certifications = _certifications(request.user, requested)
        ids = [c.pk for c in certifications]
        if requested is not None:
            ids = [requested] if requested in ids else []
    if requested is not None and not ids:
        # Another branch's certification: its existence is not revealed.
        raise Http404
    # French labels (access routes) whatever the user's language: the file goes to France compétences.
    with translation.override("fr"):
        figures = renewal.renewal_figures(ids)
    selected = next((c for c in certifications or [] if c.pk == requested), None)
    stem = f"renouvellement-{selected.code if selected else 'toutes'}-{timezone.localdate():%Y%m%d}"
    if kind == "csv":
        response = HttpResponse(renewal.renewal_csv(figures), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            renewal.renewal_xlsx(figures),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
    return response
