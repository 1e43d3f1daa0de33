import re
import threading

import pytest
from django.db import connection, transaction

from juries.certificates.models import CertificateCounter
from juries.certificates.numbering import allocate_number, format_number, new_verification_code, short_code
from tests.factories.certifications import CertificationFactory


@pytest.mark.django_db
def test_number_is_readable_and_prefixed_by_the_certification():
    certification = CertificationFactory(code="cqp-serveur-restauration")
    assert format_number(certification, 2026, 123) == "CQP-SERVEUR-RESTAURATION-2026-000123"
    cqpi = CertificationFactory(code="cqpi-tuteur-entreprise", kind="CQPI")
    assert format_number(cqpi, 2026, 1) == "CQPI-TUTEUR-ENTREPRISE-2026-000001"


@pytest.mark.django_db
def test_long_codes_are_shortened_and_stay_distinct():
    a = CertificationFactory(code="cqp-technicien-de-maintenance-industrielle-option-a")
    b = CertificationFactory(code="cqp-technicien-de-maintenance-industrielle-option-b")
    assert len(short_code(a)) <= 20
    assert short_code(a) != short_code(b)


@pytest.mark.django_db
def test_numbers_are_consecutive_per_certification_and_year():
    one, two = CertificationFactory(), CertificationFactory()
    with transaction.atomic():
        got = [allocate_number(certification=one, year=2026)[0] for _ in range(3)]
        got.append(allocate_number(certification=one, year=2027)[0])
        got.append(allocate_number(certification=two, year=2026)[0])
    assert got == [1, 2, 3, 1, 1]


@pytest.mark.django_db
def test_a_rolled_back_issue_gives_its_number_back():
    certification = CertificationFactory()
    with transaction.atomic():
        allocate_number(certification=certification, year=2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        allocate_number(certification=certification, year=2026)
        raise RuntimeError("the issue failed")
    with transaction.atomic():
        assert allocate_number(certification=certification, year=2026)[0] == 2


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused():
    # Autocommit would release the counter lock at once: refuse rather than risk a duplicate.
    certification = CertificationFactory()
    with pytest.raises(RuntimeError):
        allocate_number(certification=certification, year=2026)


def test_verification_codes_have_at_least_128_bits():
    codes = {new_verification_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", code)  # 32 base64 characters = 192 bits


@pytest.mark.django_db(transaction=True)
def test_numbers_stay_unique_and_gapless_under_parallel_issuing():
    certification = CertificationFactory()
    results, errors = [], []
    barrier = threading.Barrier(8)

    def worker():
        try:
            barrier.wait()
            for _ in range(5):
                with transaction.atomic():
                    results.append(allocate_number(certification=certification, year=2026))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(seq for seq, _ in results)
    assert sequences == list(range(1, 41))
    assert len({number for _, number in results}) == 40
    assert CertificateCounter.objects.get(certification=certification, year=2026).last == 40
