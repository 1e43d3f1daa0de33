import pytest
from django.core.management import call_command

from juries.models import Decision, Dossier, JuryMember, JurySession, SessionState


def _counts():
    return (JurySession.objects.count(), JuryMember.objects.count(), Dossier.objects.count(), Decision.objects.count())


@pytest.mark.django_db
def test_demo_juries_are_seeded_once():
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    ready = JurySession.objects.get(title__startswith="Jury national CQP Serveur")
    assert ready.state == SessionState.DELIBERATING
    assert ready.members.filter(user__email="jury@demo.cqp.fr", is_president=True).exists()
    assert ready.dossiers.count() == 3
    closed = JurySession.objects.get(title__startswith="Jury national CQPI Tuteur")
    assert closed.state == SessionState.RATIFIED and closed.award_date and closed.pv_approved_at
    assert closed.pv_file and len(closed.pv_sha256) == 64
    assert set(Decision.objects.filter(dossier__session=closed).values_list("outcome", flat=True)) == {
        "total",
        "partial",
    }
