import pytest

from certifications import demo, demo_referentials
from certifications.diff import diff_versions
from certifications.models import (
    BlockEquivalence,
    Certification,
    CertificationKind,
    Habilitation,
    ReferentialVersion,
    SkillBlock,
)
from cqp_portal.accounts.models import Role
from tests.factories.accounts import UserFactory, with_role

pytestmark = pytest.mark.django_db


def counts():
    return tuple(
        m.objects.count() for m in (Certification, ReferentialVersion, SkillBlock, Habilitation, BlockEquivalence)
    )


def test_demo_referentials_are_complete_and_idempotent():
    context = {}
    demo.seed(context)
    evaluator = with_role(Role.EVALUATOR, UserFactory(email="evaluateur@demo.cqp.fr"))
    context["users"] = {"evaluateur@demo.cqp.fr": evaluator}
    demo_referentials.seed(context)
    first = counts()
    demo_referentials.seed(context)
    assert counts() == first
    certs = context["certifications"]
    assert set(certs) == {
        "cqp-serveur-restauration",
        "cqp-operateur-regleur",
        "cqp-animateur-periscolaire",
        "cqpi-tuteur-entreprise",
    }
    assert certs["cqpi-tuteur-entreprise"].kind == CertificationKind.CQPI
    assert sorted(certs["cqpi-tuteur-entreprise"].branches.values_list("idcc", flat=True)) == ["1979", "3248"]
    assert certs["cqp-operateur-regleur"].block_validity_months == 60
    assert certs["cqp-animateur-periscolaire"].registration_or_none is None
    for cert in certs.values():
        version = cert.versions.filter(state="published").order_by("-number").first()
        assert 3 <= version.blocks.count() <= 5
        assert Habilitation.objects.filter(certification=cert, evaluator=evaluator).exists()
        assert Habilitation.objects.filter(certification=cert, kind="provider").exists()
    serveur = certs["cqp-serveur-restauration"]
    v1, v2 = serveur.versions.order_by("number")
    assert v2.state == "draft"
    assert not diff_versions(v1, v2).is_empty
    assert Certification.objects.filter(registration__number="RNCP37674").exists()  # register sample
    assert BlockEquivalence.objects.filter(from_block__version__certification=certs["cqpi-tuteur-entreprise"]).exists()
