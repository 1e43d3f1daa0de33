"""Exactly one beat is deployed (docker-compose, README); if a second one runs by mistake, the
periodic tasks it sends twice must not send reminders twice: two runs at once of the daily
expiry task notify each candidate once."""

import datetime
import threading

import pytest
from django.db import connections
from django.utils import timezone

from candidates.models import AcquiredBlock, AcquisitionSource
from juries import tasks
from juries.models import ExpiryNotice
from tests.factories.candidates import CandidateFactory
from tests.factories.certifications import CertificationFactory, published_version

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_two_beats_sending_the_expiry_reminders_at_once_notify_each_candidate_once(branch, mailoutbox):
    version = published_version(CertificationFactory(branches=[branch]), blocks=2)
    today = timezone.localdate()
    candidates = [CandidateFactory() for _ in range(6)]
    for candidate in candidates:
        AcquiredBlock.objects.create(
            candidate=candidate,
            block=version.blocks.first(),
            source=AcquisitionSource.PRIOR_AWARD,
            acquired_on=today - datetime.timedelta(days=400),
            valid_until=today + datetime.timedelta(days=30),
        )
    barrier = threading.Barrier(2)
    flagged, errors = [], []

    def beat_run():
        try:
            barrier.wait(timeout=10)
            result = tasks.flag_expiring_blocks.apply()  # what a worker runs for each beat message
            assert result.successful(), result.traceback
            flagged.append(result.result)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(flagged) == len(candidates), flagged
    assert ExpiryNotice.objects.count() == len(candidates)
    for candidate in candidates:
        to_candidate = [m for m in mailoutbox if candidate.email in m.to]
        assert len(to_candidate) == 1, (candidate.email, len(to_candidate))
