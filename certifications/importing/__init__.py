"""Import of the France compétences export (format v4.1, ``FICHES/FICHE``).

``reading`` parses the XML into plain data, ``writing`` writes a chunk of fiches in bulk,
``links`` turns CORRESPONDANCES into block equivalences, ``running`` drives the two passes.
Used by ``manage.py import_france_competences``, the Celery task and the upload page.
"""

from certifications.importing.reading import (
    ImportFileError,
    MalformedFiche,
    check_file,
    clean_text,
    fingerprint,
    parse_fiche,
    split_competencies,
)
from certifications.importing.running import ImportStats, run_import, run_job
from certifications.importing.writing import SOURCE

__all__ = [
    "SOURCE",
    "ImportFileError",
    "ImportStats",
    "MalformedFiche",
    "check_file",
    "clean_text",
    "fingerprint",
    "parse_fiche",
    "run_import",
    "run_job",
    "split_competencies",
]
