"""No personal data in the logs: a few flows at DEBUG level, then search every record for the
candidate's e-mail, birth name and birth date."""

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.security.conftest import A_BIRTH_DATE, A_BIRTH_NAME, A_EMAIL, A_FIRST_NAMES, PDF

pytestmark = [pytest.mark.django_db]

NEEDLES = [
    A_EMAIL,
    A_EMAIL.split("@")[0],
    A_BIRTH_NAME,
    A_FIRST_NAMES,
    A_BIRTH_DATE.isoformat(),
    A_BIRTH_DATE.strftime("%d/%m/%Y"),
]


def _text(record) -> str:
    parts = [record.getMessage(), repr(record.args)]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    parts.extend(
        str(v) for k, v in vars(record).items() if k not in logging.LogRecord("", 0, "", 0, "", (), None).__dict__
    )
    return " ".join(parts)


def test_flows_at_debug_level_log_no_personal_data(
    world, caplog, candidate_user, evaluator, staff_user, mailoutbox, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    anonymous = Client(raise_request_exception=False)
    # Failed and successful logins, throttled or not, and a password reset request.
    for _ in range(6):
        anonymous.post("/connexion/", {"username": A_EMAIL, "password": "wrong-password"})
    anonymous.post("/mot-de-passe/oublie/", {"email": A_EMAIL})
    anonymous.post("/api/v1/auth/token/", {"email": A_EMAIL, "password": "wrong"})
    anonymous.get(f"/api/v1/candidates/{world.candidate_a.pk}/")

    candidate = Client(raise_request_exception=False)
    candidate.force_login(candidate_user)
    candidate.get("/parcours/")
    candidate.post(
        f"/parcours/{world.path_a.pk}/pieces/", {"kind": "attestation", "file": SimpleUploadedFile("cv.pdf", PDF)}
    )
    candidate.post(
        f"/parcours/{world.path_a.pk}/pieces/", {"kind": "attestation", "file": SimpleUploadedFile("x.pdf", b"text")}
    )
    candidate.get("/parcours/mes-donnees.zip")
    from candidates import tasks

    tasks.notify_path_event(world.path_a.pk, "ready_for_jury")  # e-mails the candidate, logs the count
    with django_capture_on_commit_callbacks(execute=True):
        candidate.post(f"/dossiers/{world.path_a.pk}/etape/withdraw/")

    person = Client(raise_request_exception=False)
    person.force_login(evaluator)
    person.get(f"/dossiers/{world.path_a.pk}/")
    person.get(f"/api/v1/candidates/{world.candidate_b.pk}/")  # outside their scope: a logged 404

    staff = Client(raise_request_exception=False)
    staff.force_login(staff_user)
    staff.get("/api/v1/candidates/", {"search": A_BIRTH_NAME})
    staff.post(f"/candidats/{world.candidate_a.pk}/anonymiser/", {"confirm": "yes", "reason": "demande"})

    loggers = {r.name for r in caplog.records}
    assert {"django.request", "candidates.tasks"} <= loggers, f"the flows did not log as expected: {loggers}"
    leaks = [
        f"{r.name} {r.levelname}: {_text(r)[:300]}"
        for r in caplog.records
        for needle in NEEDLES
        if needle.lower() in _text(r).lower()
    ]
    assert not leaks, "personal data in the logs:\n" + "\n".join(leaks)


def test_the_log_filter_masks_e_mail_addresses_even_in_exception_texts():
    from cqp_portal.security.logging import RedactPersonalData

    logger = logging.getLogger("tests.security.redaction")
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(RedactPersonalData())
    logger.addHandler(handler)
    try:
        logger.warning("signup refused for %s", A_EMAIL)
        try:
            raise ValueError(f"duplicate key value violates unique constraint DETAIL: Key (email)=({A_EMAIL})")
        except ValueError:
            logger.exception("could not save")
    finally:
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert A_EMAIL not in text
    assert text.count("[e-mail]") == 2
