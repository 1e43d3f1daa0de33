"""seed_volume (bench/): a tiny volume on the test database, its counts, rules and idempotency."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from candidates.models import BlockAssessment, Candidate, Path, PathState
from certifications.models import Branch, Certification, Habilitation, ReferentialState
from cqp_portal.accounts.management.commands import seed_volume
from juries.models import Decision, DecisionState, Dossier, JurySession, Outcome

pytestmark = pytest.mark.django_db


def test_seed_volume_creates_the_volume_once():
    out = StringIO()
    call_command("seed_volume", "--candidates", "50", stdout=out)
    assert "done" in out.getvalue()

    assert Candidate.objects.filter(email__startswith="vol-").count() == 50
    assert Path.objects.filter(certification__code__startswith="vol-").count() == 51  # the persona has two
    assert Branch.objects.filter(idcc__gte="9000", idcc__lte="9029").count() == seed_volume.BRANCHES
    certifications = Certification.objects.filter(code__startswith="vol-").annotate(owners=Count("branches"))
    assert certifications.count() == seed_volume.CERTIFICATIONS
    # A CQP has exactly one owning branch, a CQPI at least two.
    assert all(c.owners == (1 if c.kind == "CQP" else 2) for c in certifications)
    version = certifications.get(code="vol-cqp-000").versions.get()
    assert version.state == ReferentialState.PUBLISHED and version.blocks.count() == 6
    # Several path states, and assessments only by evaluators habilitated on the certification.
    assert Path.objects.values("state").distinct().count() >= 4
    for assessment in BlockAssessment.objects.select_related("path"):
        assert Habilitation.objects.filter(
            certification_id=assessment.path.certification_id, evaluator_id=assessment.evaluator_id
        ).exists()
    # Final decisions match the paths' states.
    expected = {
        Outcome.TOTAL: PathState.AWARDED,
        Outcome.PARTIAL: PathState.PARTIALLY_AWARDED,
        Outcome.REFUSED: PathState.REFUSED,
    }
    finals = Decision.objects.filter(state=DecisionState.FINAL).select_related("dossier__path")
    assert finals.exists()
    assert all(d.dossier.path.state == expected[d.outcome] for d in finals)
    assert JurySession.objects.filter(title=seed_volume.GRID_SESSION_TITLE).exists()
    counts = (Candidate.objects.count(), Path.objects.count(), Dossier.objects.count(), Decision.objects.count())

    again = StringIO()
    call_command("seed_volume", "--candidates", "50", stdout=again)
    assert "nothing created" in again.getvalue()
    assert (
        Candidate.objects.count(),
        Path.objects.count(),
        Dossier.objects.count(),
        Decision.objects.count(),
    ) == counts
