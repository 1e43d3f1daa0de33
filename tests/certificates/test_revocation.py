import pytest

from cqp_portal.errors import NotAllowed, RuleViolation
from juries.certificates import services
from juries.certificates.models import Certificate, CertificateState
from tests.factories.certificates import closed_session, final_decision

pytestmark = pytest.mark.django_db


def test_a_branch_admin_revokes_with_a_reason(issued, branch_admin):
    services.certificate_revoke(certificate=issued, by=branch_admin, reason="Erreur de jury")
    issued.refresh_from_db()
    assert issued.state == CertificateState.REVOKED
    assert issued.revoked_by == branch_admin and issued.revoked_at and issued.revocation_reason == "Erreur de jury"
    assert issued.pdf and issued.sha256  # the PDF is kept


def test_a_reason_is_required(issued, branch_admin):
    with pytest.raises(RuleViolation) as excinfo:
        services.certificate_revoke(certificate=issued, by=branch_admin, reason="  ")
    assert excinfo.value.field == "reason"
    issued.refresh_from_db()
    assert issued.state == CertificateState.ISSUED


@pytest.mark.parametrize("persona", ["other_branch_admin", "candidate_user", "jury_member"])
def test_only_an_administrator_of_an_owning_branch_revokes(issued, persona, request):
    with pytest.raises(NotAllowed):
        services.certificate_revoke(certificate=issued, by=request.getfixturevalue(persona), reason="x")
    issued.refresh_from_db()
    assert issued.state == CertificateState.ISSUED


def test_bulk_revocation_is_all_or_nothing(issued, branch_admin, other_branch, django_capture_on_commit_callbacks):
    from tests.factories.certificates import award_setup

    certification, version = award_setup(other_branch, code="cqp-operateur")
    with django_capture_on_commit_callbacks(execute=True):
        [foreign] = services.certificate_issue_for_decision(
            decision=final_decision(closed_session(certification), version=version)
        )
    with pytest.raises(NotAllowed):
        services.certificates_revoke(certificates=[issued, foreign], by=branch_admin, reason="Lot")
    assert Certificate.objects.filter(state=CertificateState.REVOKED).count() == 0


def test_bulk_revocation_from_the_register_page(
    client, issued, branch_admin, award, django_capture_on_commit_callbacks
):
    session = award.dossier.session
    with django_capture_on_commit_callbacks(execute=True):
        [second] = services.certificate_issue_for_decision(
            decision=final_decision(session, version=award.dossier.path.version)
        )
    client.force_login(branch_admin)
    response = client.post(
        "/certificats/revoquer/", {"certificates": [issued.pk, second.pk], "reason": "Session annulée"}
    )
    assert response.status_code == 302
    assert set(Certificate.objects.values_list("state", flat=True)) == {CertificateState.REVOKED}


def test_reissue_gives_a_new_number_and_links_the_old_one(issued, branch_admin, django_capture_on_commit_callbacks):
    candidate = issued.path.candidate
    candidate.birth_name = "Dupont-Corrigé"
    candidate.save()
    with django_capture_on_commit_callbacks(execute=True):
        new = services.certificate_reissue(certificate=issued, by=branch_admin, reason="Nom de naissance corrigé")
    new.refresh_from_db()
    issued.refresh_from_db()
    assert issued.state == CertificateState.REVOKED and issued.superseded_by == new
    assert new.state == CertificateState.ISSUED and new.number != issued.number and new.sequence == issued.sequence + 1
    assert new.holder_birth_name == "Dupont-Corrigé" and new.award_date == issued.award_date
    assert new.award_ref == issued.award_ref


def test_the_detail_page_revokes_and_shows_form_errors(client, issued, branch_admin):
    client.force_login(branch_admin)
    response = client.post(f"/certificats/{issued.pk}/revoquer/", {"revoke-reason": ""})
    assert response.status_code == 400 and "error-summary" in response.content.decode()
    response = client.post(f"/certificats/{issued.pk}/revoquer/", {"revoke-reason": "Doublon"})
    assert response.status_code == 302
    issued.refresh_from_db()
    assert issued.state == CertificateState.REVOKED


def test_outsiders_do_not_see_the_detail_page(client, issued, other_branch_admin):
    client.force_login(other_branch_admin)
    assert client.get(f"/certificats/{issued.pk}/").status_code == 404


def test_the_api_revokes_with_the_error_shape(client, issued, branch_admin, other_branch_admin):
    client.force_login(other_branch_admin)
    assert client.post(f"/api/v1/certificates/{issued.pk}/revoke/", {"reason": "x"}).status_code == 404
    client.force_login(branch_admin)
    response = client.post(f"/api/v1/certificates/{issued.pk}/revoke/", {"reason": ""}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    response = client.post(
        f"/api/v1/certificates/{issued.pk}/revoke/", {"reason": "API"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["state"] == "revoked"
    response = client.post(
        f"/api/v1/certificates/{issued.pk}/revoke/", {"reason": "API"}, content_type="application/json"
    )
    # A step the object's state no longer allows is a conflict, as for every object (issue 16).
    assert response.status_code == 409 and response.json()["code"] == "conflict"


def test_a_pending_certificate_can_be_revoked_before_its_pdf_exists(
    award, branch_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        [pending] = services.certificate_issue_for_decision(decision=award)
    services.certificate_revoke(certificate=pending, by=branch_admin, reason="Décision rectifiée")
    pending.refresh_from_db()
    assert pending.state == CertificateState.REVOKED and not pending.sha256
    # The queued render then does nothing.
    assert services.certificate_render(certificate_id=pending.pk) is False
