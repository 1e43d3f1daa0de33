"""Wiring to the jury app: its services send these signals inside their transactions, so
the certificates (and their numbers) commit with the award, or not at all."""

from django.dispatch import receiver

from juries import signals
from juries.certificates import services


@receiver(signals.award_date_set, dispatch_uid="certificates.issue_on_award_date")
def issue_on_award_date(sender, session, **kwargs):
    services.certificates_issue_for_session(session=session)


@receiver(signals.decision_superseded, dispatch_uid="certificates.reissue_on_correction")
def reissue_on_correction(sender, old, new, **kwargs):
    # Before the award date nothing was issued; after it, the new decision's documents
    # replace the old ones (new numbers, the old ones revoked and linked as superseded).
    if new.dossier.session.award_date is not None:
        services.certificate_issue_for_decision(decision=new)
