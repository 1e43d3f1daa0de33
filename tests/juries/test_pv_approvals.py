"""PV approvals: the president and the vice-president (other college) each approve the minutes
after re-entering their second factor; both approvals are audited and printed on the sealed
PV; an approved version never changes; a correction makes a new version."""

import io
import re

import pytest
from django.core.files.storage import default_storage
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import NotAllowed, RuleViolation
from juries import services
from juries.certificates.signing import keys
from juries.models import College, MinutesApproval
from tests.factories.accounts import TEST_PASSWORD
from tests.juries.conftest import current_decision, decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(deliberating, path, jury_member, django_capture_on_commit_callbacks):
    decide(current_decision(path), jury_member, {"BC01": True, "BC02": True, "BC03": True})
    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_close(session=deliberating, by=jury_member)
    deliberating.refresh_from_db()
    return deliberating


def vice_member(session):
    return session.members.filter(college=College.EMPLOYEE).order_by("pk").first()


def name_vice(session, president):
    member = vice_member(session)
    services.jury_session_set_vice_president(session=session, member=member, by=president)
    return member


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def test_both_approvals_are_audited_printed_and_sealed(closed, jury_member):
    vice = name_vice(closed, jury_member)
    draft_sha = closed.pv_sha256
    services.jury_session_approve_minutes(
        session=closed, by=jury_member, second_factor=TEST_PASSWORD, sha256_seen=draft_sha
    )
    closed.refresh_from_db()
    assert closed.pv_approved_at is None  # one approval is not enough
    services.jury_session_approve_minutes(session=closed, by=vice.user, second_factor=TEST_PASSWORD)
    closed.refresh_from_db()
    assert closed.pv_approved_at and closed.pv_approved_by == jury_member
    assert closed.pv_approved_sha256 == draft_sha != closed.pv_sha256  # the sealed edition is a new file
    approvals = list(MinutesApproval.objects.filter(session=closed, version=1).order_by("role"))
    assert [(a.role, a.user, a.sha256, a.factor) for a in approvals] == [
        ("president", jury_member, draft_sha, "password"),
        ("vice_president", vice.user, draft_sha, "password"),
    ]
    audited = AuditEntry.objects.filter(action="jury_session.minutes_approved", object_id=str(closed.pk))
    assert {e.changes["role"] for e in audited} == {"president", "vice_president"}
    assert all(e.changes["sha256"] == draft_sha for e in audited)
    data = closed.pv_file.read()
    text = pdf_text(data)
    assert text.replace(" ", "").count(draft_sha) == 2 and "Approuvé par" in text  # the hash wraps
    assert jury_member.last_name in text and vice.user.last_name in text
    root = load_cert_from_pemder(str(keys.demo_directory() / keys.DEMO_ROOT))
    [signature] = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert validate_pdf_signature(signature, ValidationContext(trust_roots=[root])).bottom_line


def test_a_wrong_password_records_nothing(closed, jury_member):
    with pytest.raises(RuleViolation) as refused:
        services.jury_session_approve_minutes(session=closed, by=jury_member, second_factor="not-my-password")
    assert refused.value.field == "second_factor"
    assert not MinutesApproval.objects.exists()
    assert not AuditEntry.objects.filter(action="jury_session.minutes_approved").exists()


def test_with_a_totp_device_the_current_code_is_required(closed, jury_member):
    device = TOTPDevice.objects.create(user=jury_member, name="app", confirmed=True)
    with pytest.raises(RuleViolation, match="code"):
        services.jury_session_approve_minutes(session=closed, by=jury_member, second_factor=TEST_PASSWORD)
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    services.jury_session_approve_minutes(session=closed, by=jury_member, second_factor=code)
    assert MinutesApproval.objects.get(session=closed).factor == "totp"


def test_mfa_required_without_a_device_is_refused(closed, jury_member, settings):
    settings.MFA_REQUIRED = True
    with pytest.raises(RuleViolation, match="Configurez la double authentification"):
        services.jury_session_approve_minutes(session=closed, by=jury_member, second_factor=TEST_PASSWORD)


def test_only_the_president_and_the_vice_president_approve(closed, jury_member):
    other_employee = closed.members.filter(college=College.EMPLOYEE).order_by("-pk").first()
    with pytest.raises(NotAllowed):
        services.jury_session_approve_minutes(session=closed, by=other_employee.user, second_factor=TEST_PASSWORD)
    same_college = closed.members.filter(college=College.EMPLOYER, is_president=False).first()
    with pytest.raises(RuleViolation) as refused:
        services.jury_session_set_vice_president(session=closed, member=same_college, by=jury_member)
    assert refused.value.field == "member"
    with pytest.raises(NotAllowed):
        services.jury_session_set_vice_president(session=closed, member=vice_member(closed), by=other_employee.user)


def test_an_approved_version_never_changes_and_a_correction_makes_a_new_one(
    closed, jury_member, path, branch_admin, django_capture_on_commit_callbacks
):
    vice = name_vice(closed, jury_member)
    services.jury_session_approve_minutes(session=closed, by=jury_member, second_factor=TEST_PASSWORD)
    services.jury_session_approve_minutes(session=closed, by=vice.user, second_factor=TEST_PASSWORD)
    closed.refresh_from_db()
    approved_name, approved_sha = closed.pv_file.name, closed.pv_sha256
    services.jury_session_generate_minutes(session=closed, force=True)
    closed.refresh_from_db()
    assert (closed.pv_file.name, closed.pv_sha256) == (approved_name, approved_sha)
    with pytest.raises(RuleViolation, match="déjà été approuvé"):
        services.jury_session_approve_minutes(session=closed, by=jury_member, second_factor=TEST_PASSWORD)

    bc02 = current_decision(path).block_decisions.get(block__code="BC02").block_id
    with django_capture_on_commit_callbacks(execute=True):
        services.decision_correct(
            decision=current_decision(path), by=branch_admin, reason="Erreur matérielle", blocks={bc02: False}
        )
    closed.refresh_from_db()
    assert closed.pv_version == 2 and closed.pv_approved_at is None and closed.pv_sha256 != approved_sha
    assert default_storage.exists(approved_name)  # the approved version is kept
    entry = AuditEntry.objects.get(action="jury_session.minutes_new_version", object_id=str(closed.pk))
    assert entry.changes["previous"] == {"version": 1, "sha256": approved_sha}
    # Version 2 is approved again, by both.
    services.jury_session_approve_minutes(session=closed, by=jury_member, second_factor=TEST_PASSWORD)
    services.jury_session_approve_minutes(session=closed, by=vice.user, second_factor=TEST_PASSWORD)
    closed.refresh_from_db()
    assert closed.pv_approved_at and MinutesApproval.objects.filter(session=closed, version=2).count() == 2


def test_the_close_page_asks_the_second_factor(client, closed, jury_member):
    name_vice(closed, jury_member)
    client.force_login(jury_member)
    html = client.get(f"/jury/sessions/{closed.pk}/cloture/").content.decode()
    assert 'name="second_factor"' in html and 'type="password"' in html
    response = client.post(
        f"/jury/sessions/{closed.pk}/pv/approuver/", {"second_factor": "wrong", "sha256": closed.pv_sha256}
    )
    assert response.status_code == 302 and not MinutesApproval.objects.exists()
    client.post(f"/jury/sessions/{closed.pk}/pv/approuver/", {"second_factor": TEST_PASSWORD})
    assert MinutesApproval.objects.filter(role="president").exists()


def test_the_api_approves_with_the_second_factor(client, closed, jury_member):
    vice = name_vice(closed, jury_member)
    client.force_login(jury_member)
    url = f"/api/v1/jury-sessions/{closed.pk}/approve-minutes/"
    refused = client.post(url, {"second_factor": "wrong"}, content_type="application/json")
    assert refused.status_code == 400 and "second_factor" in refused.json()["fields"]
    assert client.post(url, {"second_factor": TEST_PASSWORD}, content_type="application/json").status_code == 200
    client.force_login(vice.user)
    body = client.post(url, {"second_factor": TEST_PASSWORD}, content_type="application/json").json()
    assert body["pv_approved_at"]
