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
