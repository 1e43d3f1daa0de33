"""CSV and XLSX exports of the funding report (the same rows as the page)."""

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

COLUMNS = ["requested", "approved", "paid", "lines", "paths"]


def headers(dimension_label: str) -> list[str]:
    return [
        str(dimension_label),
        _("Amount requested (€)"),
        _("Amount approved (€)"),
        _("Amount paid (€)"),
        _("Funding lines"),
        _("Paths"),
    ]


def report_csv(rows: list[dict], dimension_label: str) -> bytes:
    buffer = io.StringIO()
    # Semicolons and a BOM: what French spreadsheet software opens without an import wizard.
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(headers(dimension_label))
    for row in rows:
        writer.writerow([row["label"], *(row[c] for c in COLUMNS)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(rows: list[dict], dimension_label: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Funding")[:31]
    sheet.append(headers(dimension_label))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row["label"], *(row[c] for c in COLUMNS)])
    for index in range(2, len(rows) + 2):
        for column in "BCD":
            sheet[f"{column}{index}"].number_format = "#,##0.00"
    sheet.column_dimensions["A"].width = 50
    for column in "BCDEF":
        sheet.column_dimensions[column].width = 20
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
