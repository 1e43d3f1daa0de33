"""The register import's former module, kept for its callers (the Celery task, the demo
seeder): the code lives in ``certifications.importing``."""

from certifications.importing import (  # noqa: F401 (re-exported)
    SOURCE,
    ImportFileError,
    ImportStats,
    MalformedFiche,
    check_file,
    clean_text,
    fingerprint,
    parse_fiche,
    run_import,
    run_job,
    split_competencies,
)
