"""The figures of a registration renewal file (issue 20, point 3), exported as CSV or XLSX.

France compétences asks, per certification and per year: the number of people certified
(full awards), by access route, and the success rate of each block. All years are exported:
the renewal file covers the whole registration period.

- A year is the year of the award date of the jury session (its date when no award date was set);
- "certified" counts the final, non-superseded full awards; partial awards are a column apart;
- a block's success rate is validated / decided over the blocks the jury decided (held blocks
  are not decided again and are left out), like the statistics page.

The column headers are in French whatever the user's language: the file is filed with France
compétences, in its vocabulary.
"""

import csv
import io

from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce, ExtractYear
from openpyxl import Workbook
from openpyxl.styles import Font

from candidates.models import AccessRoute
from certifications.models import Certification
from cqp_portal.statistics.selectors import _percent
from juries.models import BlockDecision, Decision, DecisionState, Outcome

ALL_ROUTES = "Toutes voies d'accès"
AWARD_HEADERS = [
    "Certification",
    "Code",
    "Numéro d'enregistrement",
    "Année",
    "Voie d'accès",
    "Certifiés (certification complète)",
    "Validations partielles",
]
BLOCK_HEADERS = [
    "Certification",
    "Code",
    "Numéro d'enregistrement",
    "Année",
    "Bloc",
    "Intitulé du bloc",
    "Version du référentiel",
    "Blocs présentés au jury",
    "Blocs validés",
    "Taux de réussite (%)",
]


def _year(prefix: str = ""):
    return ExtractYear(Coalesce(f"{prefix}dossier__session__award_date", f"{prefix}dossier__session__date"))


def renewal_figures(certification_ids: list[int]) -> dict:
    """Three queries whatever the number of certifications and years."""
    certifications = {
        c.pk: c
        for c in Certification.objects.filter(pk__in=certification_ids).select_related("registration").order_by("title")
    }
    decisions = Decision.objects.filter(
        state=DecisionState.FINAL, is_current=True, dossier__path__certification_id__in=certification_ids
    )
    awards = (
        decisions.filter(outcome__in=[Outcome.TOTAL, Outcome.PARTIAL])
        .annotate(year=_year())
        .values("dossier__path__certification_id", "year", "dossier__path__access_route")
        .annotate(
            total=Count("pk", filter=Q(outcome=Outcome.TOTAL)), partial=Count("pk", filter=Q(outcome=Outcome.PARTIAL))
        )
        .order_by()
    )
    blocks = (
        BlockDecision.objects.filter(decision__in=decisions, held=False, validated__isnull=False)
        .annotate(year=_year("decision__"))
        .values("decision__dossier__path__certification_id", "year", "block_id")
        .annotate(
            decided=Count("pk"),
            validated=Count("pk", filter=Q(validated=True)),
            code=Min("block__code"),
            title=Min("block__title"),
            order=Min("block__order"),
            version=Min("block__version__number"),
        )
        .order_by()
    )
    routes = {r.value: str(r.label) for r in AccessRoute}
    order = {pk: index for index, pk in enumerate(certifications)}
    award_rows, totals = [], {}
    for row in awards:
        certification = certifications[row["dossier__path__certification_id"]]
        award_rows.append(
            _award_row(certification, row["year"], routes.get(row["dossier__path__access_route"], ""), row)
        )
        total = totals.setdefault((certification.pk, row["year"]), {"total": 0, "partial": 0})
        total["total"] += row["total"]
        total["partial"] += row["partial"]
    for (pk, year), total in totals.items():
        award_rows.append(_award_row(certifications[pk], year, ALL_ROUTES, total))
    # Per certification and year: the routes in alphabetical order, then all of them.
    award_rows.sort(key=lambda r: (order[r["pk"]], r["year"], r["route"] == ALL_ROUTES, r["route"]))
    block_rows = [
        {
            "pk": row["decision__dossier__path__certification_id"],
            "certification": certifications[row["decision__dossier__path__certification_id"]],
            "year": row["year"],
            "code": row["code"],
            "title": row["title"],
            "order": row["order"],
            "version": row["version"],
            "decided": row["decided"],
            "validated": row["validated"],
            "rate": _percent(row["validated"], row["decided"]),
        }
        for row in blocks
    ]
    block_rows.sort(key=lambda r: (order[r["pk"]], r["year"], r["version"], r["order"], r["code"]))
    return {"awards": award_rows, "blocks": block_rows}


def _award_row(certification, year, route, counts) -> dict:
    return {
        "pk": certification.pk,
        "certification": certification,
        "year": year,
        "route": route,
        "total": counts["total"],
        "partial": counts["partial"],
    }


def _number(certification) -> str:
    registration = certification.registration_or_none
    return registration.number if registration else ""


def _award_values(row) -> list:
    c = row["certification"]
    return [c.title, c.code, _number(c), row["year"], row["route"], row["total"], row["partial"]]


def _block_values(row) -> list:
    c = row["certification"]
    rate = None if row["rate"] is None else float(row["rate"])
    return [
        c.title,
        c.code,
        _number(c),
        row["year"],
        row["code"],
        row["title"],
        row["version"],
        row["decided"],
        row["validated"],
        rate,
    ]


def renewal_csv(figures: dict) -> bytes:
    """Two tables one below the other, each with its header row, a blank line between them."""
    buffer = io.StringIO()
    # Semicolons and a BOM: what French spreadsheet software opens without an import wizard.
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(AWARD_HEADERS)
    writer.writerows(_award_values(row) for row in figures["awards"])
    writer.writerow([])
    writer.writerow(BLOCK_HEADERS)
    for row in figures["blocks"]:
        values = _block_values(row)
        values[-1] = "" if values[-1] is None else str(row["rate"])
        writer.writerow(values)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def renewal_xlsx(figures: dict) -> bytes:
    workbook = Workbook()
    awards = workbook.active
    awards.title = "Certifiés par année"
    _sheet(awards, AWARD_HEADERS, [_award_values(row) for row in figures["awards"]])
    blocks = workbook.create_sheet("Réussite par bloc")
    _sheet(blocks, BLOCK_HEADERS, [_block_values(row) for row in figures["blocks"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet(sheet, headers, rows) -> None:
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append(values)
    sheet.column_dimensions["A"].width = 50
    sheet.freeze_panes = "A2"
