"""Every write and transition of the juries app: one function per use case.

Each one: lock and re-read the row, check the permission (``policy.require``) and the rules
(``RuleViolation`` with a message naming the rule), change the state, write an audit row,
queue side effects after commit.
"""

from juries.services._common import derive_outcome
from juries.services.closing import close_blockers, jury_session_close, jury_session_ratify
from juries.services.corrections import appeal_deadline, appeal_decide, appeal_file, decision_correct
from juries.services.deadlines import flag_expiring_blocks
from juries.services.deliberation import (
    decision_record_votes,
    decision_update,
    jury_session_convene,
    jury_session_start_deliberation,
    vote_adopted,
)
from juries.services.minutes import (
    check_second_factor,
    jury_session_approve_minutes,
    jury_session_generate_minutes,
    jury_session_minutes_new_version,
    jury_session_set_vice_president,
)
from juries.services.sessions import (
    dossier_add,
    dossier_remove,
    jury_member_add,
    jury_member_remove,
    jury_member_set_presence,
    jury_session_create,
    member_link_declare,
)

__all__ = [
    "appeal_deadline",
    "appeal_decide",
    "appeal_file",
    "check_second_factor",
    "close_blockers",
    "decision_correct",
    "decision_record_votes",
    "decision_update",
    "derive_outcome",
    "dossier_add",
    "dossier_remove",
    "flag_expiring_blocks",
    "jury_member_add",
    "jury_member_remove",
    "jury_member_set_presence",
    "jury_session_approve_minutes",
    "jury_session_close",
    "jury_session_convene",
    "jury_session_create",
    "jury_session_generate_minutes",
    "jury_session_minutes_new_version",
    "jury_session_ratify",
    "jury_session_set_vice_president",
    "jury_session_start_deliberation",
    "member_link_declare",
    "vote_adopted",
]
