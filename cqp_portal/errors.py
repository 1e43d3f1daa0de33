"""Domain errors: raised by services, mapped once to HTML messages (middleware) and to the
API error shape (cqp_portal.api.exception_handler)."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A request the rules refuse. ``code`` is stable; ``message`` is for people."""

    code = "rule_violation"
    status = 400
    default_message = _("This action is not allowed by the rules.")

    def __init__(self, message=None, *, code: str | None = None, field: str | None = None, details=None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.field = field
        self.details = details or []
        super().__init__(str(self.message))


class RuleViolation(DomainError):
    status = 400


class Conflict(DomainError):
    """Two people did the same thing at once; the other one won."""

    code = "conflict"
    status = 409
    default_message = _("Someone else changed this record at the same time. Reload the page and try again.")


class NotAllowed(DomainError):
    """The person may see the object but not do this to it."""

    code = "permission_denied"
    status = 403
    default_message = _("You are not allowed to do this.")


# Refusals because the object is not, or no longer, in a state that allows the step. The API
# answers them as a lost race: 409 ``conflict`` (HTTP: the request conflicts with the current
# state of the resource), whichever app raised them, so that 20 identical requests at once give
# one success and 19 identical conflicts, whether each one read the row before or after the
# winner committed. The message still says which state the object is in.
STATE_CONFLICT_CODES = frozenset({"conflict", "transition_not_allowed", "session_state", "already_revoked"})

# PostgreSQL: lock_not_available (lock_timeout, NOWAIT), serialization_failure, deadlock_detected.
# Someone else holds the row: a conflict to retry, not an outage (never the 503 of
# cqp_portal.security.middleware).
LOCK_CONFLICT_SQLSTATES = frozenset({"55P03", "40001", "40P01"})


def is_lock_conflict(exc: BaseException) -> bool:
    for error in (exc, getattr(exc, "__cause__", None)):
        if getattr(error, "pgcode", None) in LOCK_CONFLICT_SQLSTATES:
            return True
    return False


def as_conflict(exc: BaseException) -> "DomainError | None":
    """The ``Conflict`` an exception stands for (domain state refusal, django-fsm race, lock
    conflict), or None."""
    from django.db import DatabaseError
    from django_fsm import ConcurrentTransition, TransitionNotAllowed

    if isinstance(exc, DomainError):
        if isinstance(exc, Conflict) or exc.code in STATE_CONFLICT_CODES:
            return Conflict(exc.message)
        return None
    if isinstance(exc, ConcurrentTransition | TransitionNotAllowed):
        return Conflict()
    if isinstance(exc, DatabaseError) and is_lock_conflict(exc):
        return Conflict()
    return None


class IntegrityRefused(DomainError):
    """The database itself refused to rewrite a final record (cqp_portal.dbguards and the
    PostgreSQL triggers of the migrations). A service never should: this is the last line."""

    code = "integrity"
    status = 409
    default_message = _("The database refused this change: a final record is never changed nor deleted.")


def _integrity_messages() -> dict[str, str]:
    return {
        "final-decision": _(
            "A final jury decision is never changed nor deleted: record a correction, which supersedes it."
        ),
        "certificate": _("A certificate is never deleted: revoke it instead (it stays visible as revoked)."),
        "path-version": _("A registered path stays on its certification and référentiel version."),
        "published-version": _(
            "A published référentiel version is immutable (only its retirement is possible): create a new version."
        ),
        "audit": _("The audit trail is append-only: its entries are never changed nor deleted."),
    }


# The PostgreSQL triggers written before the markers (audit 0002, certifications 0003/0004).
_LEGACY_MARKERS = {
    "audit entries are append-only": "audit",
    "its content cannot be changed": "published-version",
}


def integrity_refusal(exc) -> IntegrityRefused | None:
    """The domain error for a database refusal raised by one of the integrity guards, else None
    (any other database error stays what it is)."""
    from django.db import DatabaseError

    if not isinstance(exc, DatabaseError):
        return None
    text = str(exc)
    rule = None
    if "cqp-integrity:" in text:
        rule = text.split("cqp-integrity:", 1)[1].split()[0]
    else:
        rule = next((name for marker, name in _LEGACY_MARKERS.items() if marker in text), None)
    if rule is None:
        return None
    message = _integrity_messages().get(rule)
    return IntegrityRefused(message, code=f"integrity_{rule.replace('-', '_')}")
