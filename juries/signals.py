"""Signals of the juries app, for modules that build on jury decisions (certificates)."""

from django.dispatch import Signal

# Sent inside the transaction that sets a session's award date (close without ratification,
# or ratification), with ``session``. Certificates are issued only once it is set.
award_date_set = Signal()

# Sent inside the transaction of a correction or an upheld appeal, with ``old`` and ``new``.
decision_superseded = Signal()
