"""Every write on candidates and paths: one function per use case.

Each transition locks the path (``select_for_update``), checks that the caller's view of the
state is still true (else ``Conflict``: someone else moved the path meanwhile), checks the
permission and the rules (``RuleViolation`` naming the rule), calls the django-fsm transition,
saves, writes an audit row and queues the e-mail after commit.
"""

from candidates.services.admissibility import (
    admissibility_watch,
    experience_record_delete,
    experience_record_save,
    path_deem_admissible,
)
from candidates.services.assessments import assessment_record
from candidates.services.course import course_record_progress, path_start_course
from candidates.services.evidence import EVIDENCE_TYPES, evidence_upload
from candidates.services.paths import latest_published_version, path_assign, path_create
from candidates.services.people import (
    CANDIDATE_FIELDS,
    IDENTITY_EDIT_FIELDS,
    candidate_create,
    candidate_import_csv,
    candidate_sign_up,
    candidate_update_identity,
)
from candidates.services.positioning import path_confirm_positioning, path_self_assess, path_start_positioning
from candidates.services.transitions import (
    TRANSITIONS,
    path_decide_admissibility,
    path_register,
    path_request_admissibility,
    path_return_to_evaluation,
    path_start_evaluation,
    path_submit_to_jury,
    path_withdraw,
)

__all__ = [
    "CANDIDATE_FIELDS",
    "EVIDENCE_TYPES",
    "IDENTITY_EDIT_FIELDS",
    "TRANSITIONS",
    "admissibility_watch",
    "assessment_record",
    "candidate_create",
    "candidate_import_csv",
    "candidate_sign_up",
    "candidate_update_identity",
    "course_record_progress",
    "evidence_upload",
    "experience_record_delete",
    "experience_record_save",
    "latest_published_version",
    "path_assign",
    "path_confirm_positioning",
    "path_create",
    "path_decide_admissibility",
    "path_deem_admissible",
    "path_register",
    "path_request_admissibility",
    "path_return_to_evaluation",
    "path_self_assess",
    "path_start_course",
    "path_start_evaluation",
    "path_start_positioning",
    "path_submit_to_jury",
    "path_withdraw",
]
