"""Accrochage: awards of RNCP/RS certifications sent to the Caisse des Dépôts as an XML flux
valid against its schema (domain.md "Accrochage": within 3 months, blocks alone are not
sent). One flux per certifier (the schema allows one ``certificateur`` per flux). A flux is
validated with lxml before it is stored or offered: an invalid flux never is.

By topic: ``schema`` (the XSD, validation), ``checks`` (eligible awards, identity, what the CDC
would refuse), ``flux`` (the XML writer), ``export`` (the export service), ``report`` (the
CDC's processing report imported back), ``deadlines`` (the 3-month deadline and reminders).
The public names of each are importable from ``juries.certificates.cdc``.
"""

from juries.certificates.cdc.checks import (
    DUE_MONTHS,
    IDENTITY_FIELDS,
    SENT_REGISTERS,
    Award,
    _identity,
    _merged_identity,
    award_issues,
    awards,
    date_issues,
    eligible_certificates,
    identity_issues,
    identity_problems,
    not_exported,
)
from juries.certificates.cdc.export import CHUNK, PROGRESS_EVERY, ExportResult, cdc_export, new_flux_id
from juries.certificates.cdc.flux import MODALITE_ACCES, FluxWriter, _first_names, _passage, build_flux, write_flux
from juries.certificates.cdc.schema import NS, PASSAGE_TAG, SCHEMA_PATH, XSI, schema, validation_errors

__all__ = [
    "CHUNK",
    "DUE_MONTHS",
    "IDENTITY_FIELDS",
    "MODALITE_ACCES",
    "NS",
    "PASSAGE_TAG",
    "PROGRESS_EVERY",
    "SCHEMA_PATH",
    "SENT_REGISTERS",
    "XSI",
    "Award",
    "ExportResult",
    "FluxWriter",
    "_first_names",
    "_identity",
    "_merged_identity",
    "_passage",
    "award_issues",
    "awards",
    "build_flux",
    "cdc_export",
    "date_issues",
    "eligible_certificates",
    "identity_issues",
    "identity_problems",
    "new_flux_id",
    "not_exported",
    "schema",
    "validation_errors",
    "write_flux",
]
