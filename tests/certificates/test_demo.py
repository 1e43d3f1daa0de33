import pytest
from django.core.management import call_command
from lxml import etree

from juries.certificates import cdc
from juries.certificates import demo as certificates_demo
from juries.certificates.models import CdcExport, CdcReport, CdcStatus, Certificate, CertificateState

pytestmark = pytest.mark.django_db


def test_demo_certificates_revocation_and_a_valid_cdc_export(tmp_path):
    call_command("seed_demo", stdout=open(tmp_path / "seed.log", "w"))  # noqa: SIM115
    context = {}
    certificates_demo.seed(context)  # no-op when seed_demo already lists it in SEEDERS
    if not Certificate.objects.exists():
        pytest.skip("the juries demo has no closed session yet")
    assert Certificate.objects.filter(state=CertificateState.REVOKED).count() == 1
    revoked = Certificate.objects.get(state=CertificateState.REVOKED)
    assert revoked.superseded_by.state == CertificateState.ISSUED
    assert not Certificate.objects.filter(state=CertificateState.PENDING).exists()
    [export] = CdcExport.objects.all()
    with export.file.open("rb") as handle:
        xml = handle.read()
    assert cdc.validation_errors(xml) == []
    eligible = set(cdc.eligible_certificates())
    assert eligible and set(export.certificates.all()) == eligible
    ids = {e.text for e in etree.fromstring(xml).iter(f"{{{cdc.NS}}}idTechnique")}
    assert ids == {c.award_ref.hex for c in eligible}
    # The CDC's report of that export: one award rejected, the others accepted (issue 20).
    [report] = CdcReport.objects.all()
    assert report.rejected == 1 and report.accepted == len(eligible) - 1
    assert Certificate.objects.filter(cdc_status=CdcStatus.REJECTED).count() == 1
    # Idempotent: a second run creates nothing.
    counts = (Certificate.objects.count(), CdcExport.objects.count(), CdcReport.objects.count())
    certificates_demo.seed({})
    assert (Certificate.objects.count(), CdcExport.objects.count(), CdcReport.objects.count()) == counts
