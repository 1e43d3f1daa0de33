"""Issue 20 point 4: the CDC's processing report imported back. The fixture has the report's
real shape (root ``rapport`` declaring the ns2 prefix it does not use, ``nomFichier``,
``idFlux``, ``idTraitement``, ``PassagesKO/passage{idTechnique, messageErreur}``,
``PassagesOK/idTechnique``), as depositors such as Pix read it."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import RuleViolation
from juries.certificates import cdc, services
from juries.certificates.cdc import report as cdc_report
from juries.certificates.models import CdcPassage, CdcReport, CdcStatus, Certificate
from tests.certificates.test_cdc import mixed, rncp_awards  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

NO_HOLDER = "Aucun titulaire ne correspond aux critères obligatoires"


def rapport(*, nom_fichier, id_flux="", ok=(), ko=(), prefixed=False):
    """A report as the CDC writes it: KO passages first, then the OK ones."""
    tag = "ns2:rapport" if prefixed else "rapport"
    ko_xml = "".join(
        f"<passage><idTechnique>{i}</idTechnique><messageErreur>{m}</messageErreur></passage>" for i, m in ko
    )
    ok_xml = "".join(f"<idTechnique>{i}</idTechnique>" for i in ok)
    flux = f"<idFlux>{id_flux}</idFlux>" if id_flux else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<{tag} xmlns:ns2="urn:cdc:cpf:pc5:rapport:schema"><nomFichier>{nom_fichier}</nomFichier>{flux}'
        f"<idTraitement>51354</idTraitement><PassagesKO>{ko_xml}</PassagesKO><PassagesOK>{ok_xml}</PassagesOK></{tag}>"
    ).encode()


@pytest.fixture
def deposited(mixed):  # noqa: F811
    _certification, documents = mixed
    result = cdc.cdc_export()
    [export] = result.exports
    first, second = rncp_awards(documents)
    return export, first, second


def test_the_export_marks_its_awards_sent(deposited):
    _export, first, second = deposited
    assert {c.cdc_status for c in Certificate.objects.filter(pk__in=[first.pk, second.pk])} == {CdcStatus.SENT}


def test_a_report_sets_accepted_and_rejected_with_the_message(deposited):
    export, first, second = deposited
    data = rapport(
        nom_fichier=f"{export.id_flux}.xml", ok=[second.award_ref.hex], ko=[(first.award_ref.hex, NO_HOLDER)]
    )
    report = cdc_report.cdc_report_import(data=data)
    assert (report.accepted, report.rejected, report.id_traitement) == (1, 1, "51354")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.cdc_status, first.cdc_message) == (CdcStatus.REJECTED, NO_HOLDER)
    assert (second.cdc_status, second.cdc_message) == (CdcStatus.ACCEPTED, "")
    assert CdcPassage.objects.filter(report=report).count() == 2
    assert AuditEntry.objects.filter(action="cdc.report_import").exists()
    fix = cdc_report.fix_for(first.cdc_message)
    assert "birth_date" in fix.fields and "birth_place_code" in fix.fields
    assert list(cdc_report.rejected_awards()) == [first]


def test_already_recorded_counts_as_accepted_and_a_prefixed_root_is_read(deposited):
    export, first, second = deposited
    data = rapport(
        nom_fichier="depot-du-jour.xml",
        id_flux=export.id_flux,
        prefixed=True,
        ok=[second.award_ref.hex],
        ko=[(first.award_ref.hex, "Le passage de certification existe déjà en base")],
    )
    report = cdc_report.cdc_report_import(data=data)
    assert (report.accepted, report.rejected) == (2, 0)
    first.refresh_from_db()
    assert first.cdc_status == CdcStatus.ACCEPTED


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not xml at all", "cdc_report_invalid"),
        (b"<flux/>", "cdc_report_invalid"),
        (rapport(nom_fichier="UNKNOWN-FLUX.xml"), "cdc_report_unknown_flux"),
    ],
)
def test_what_is_not_a_report_of_ours_is_refused_and_nothing_is_written(deposited, data, code):
    with pytest.raises(RuleViolation) as excinfo:
        cdc_report.cdc_report_import(data=data)
    assert excinfo.value.code == code and excinfo.value.field == "file"
    assert not CdcReport.objects.exists()


def test_an_idtechnique_the_flux_did_not_carry_refuses_the_whole_report(deposited):
    export, first, _second = deposited
    data = rapport(nom_fichier=f"{export.id_flux}.xml", ok=[first.award_ref.hex, "deadbeef"])
    with pytest.raises(RuleViolation) as excinfo:
        cdc_report.cdc_report_import(data=data)
    assert excinfo.value.code == "cdc_report_unknown_award"
    first.refresh_from_db()
    assert first.cdc_status == CdcStatus.SENT
    assert not CdcPassage.objects.exists()


def test_the_same_report_twice_is_refused(deposited):
    export, first, second = deposited
    data = rapport(nom_fichier=f"{export.id_flux}.xml", ok=[first.award_ref.hex, second.award_ref.hex])
    cdc_report.cdc_report_import(data=data)
    with pytest.raises(RuleViolation) as excinfo:
        cdc_report.cdc_report_import(data=data)
    assert excinfo.value.code == "cdc_report_already_imported"
    assert CdcReport.objects.count() == 1


def test_an_entity_is_never_expanded(deposited):
    data = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rapport><nomFichier>&x;</nomFichier></rapport>"
    )
    with pytest.raises(RuleViolation):
        cdc_report.cdc_report_import(data=data)


def test_a_corrected_award_is_deposited_again_with_the_same_idtechnique(
    deposited, branch_admin, django_capture_on_commit_callbacks
):
    export, first, second = deposited
    cdc_report.cdc_report_import(
        data=rapport(
            nom_fichier=f"{export.id_flux}.xml", ok=[second.award_ref.hex], ko=[(first.award_ref.hex, NO_HOLDER)]
        )
    )
    # The identity is corrected, then the certificate re-issued: the new one goes in a new flux.
    candidate = first.path.candidate
    candidate.birth_name = "Martin-Durand"
    candidate.save()
    with django_capture_on_commit_callbacks(execute=True):
        new = services.certificate_reissue(certificate=first, by=branch_admin, reason="Nom de naissance corrigé")
    result = cdc.cdc_export()
    [again] = result.exports
    assert again.id_flux != export.id_flux
    assert list(again.certificates.all()) == [new]
    xml = result.content(again)
    assert first.award_ref.hex.encode() in xml and b"Martin-Durand" in xml
    new.refresh_from_db()
    assert new.cdc_status == CdcStatus.SENT


def test_a_rejected_award_can_be_deposited_again_as_it_is(deposited, branch_admin, other_branch_admin):
    export, first, second = deposited
    cdc_report.cdc_report_import(
        data=rapport(
            nom_fichier=f"{export.id_flux}.xml", ok=[second.award_ref.hex], ko=[(first.award_ref.hex, NO_HOLDER)]
        )
    )
    with pytest.raises(Certificate.DoesNotExist):
        cdc_report.cdc_redeposit(certificate=first, by=other_branch_admin)
    cdc_report.cdc_redeposit(certificate=first, by=branch_admin)
    with pytest.raises(RuleViolation):
        cdc_report.cdc_redeposit(certificate=second, by=branch_admin)
    [again] = cdc.cdc_export().exports
    assert list(again.certificates.all()) == [first]


def test_the_command_imports_and_lists_the_rejections(deposited, tmp_path):
    export, first, second = deposited
    path = tmp_path / "rapport.xml"
    path.write_bytes(
        rapport(nom_fichier=f"{export.id_flux}.xml", ok=[second.award_ref.hex], ko=[(first.award_ref.hex, NO_HOLDER)])
    )
    out = io.StringIO()
    call_command("import_cdc_report", str(path), stdout=out)
    assert "1 accepted, 1 rejected" in out.getvalue()
    assert f"rejected {first.number}: {NO_HOLDER}" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("import_cdc_report", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_the_board_uploads_a_report_and_lists_the_rejection_with_its_fix(deposited, client, branch_admin):
    export, first, second = deposited
    data = rapport(
        nom_fichier=f"{export.id_flux}.xml", ok=[second.award_ref.hex], ko=[(first.award_ref.hex, NO_HOLDER)]
    )
    client.force_login(branch_admin)
    response = client.post("/certificats/cdc/rapports/importer/", {"file": SimpleUploadedFile("rapport.xml", data)})
    assert response.status_code == 302
    html = client.get("/certificats/cdc/").content.decode()
    assert NO_HOLDER in html and first.number in html
    assert f"/candidats/{first.path.candidate_id}/identite/" in html
    assert "Redéposer tel quel" in html
    bad = client.post(
        "/certificats/cdc/rapports/importer/", {"file": SimpleUploadedFile("x.xml", b"<x/>")}, follow=True
    )
    assert [m.level_tag for m in bad.context["messages"]] == ["error"]


def test_the_export_command_lists_what_the_cdc_would_reject(mixed, tmp_path):  # noqa: F811
    _certification, documents = mixed
    first, _second = rncp_awards(documents)
    Certificate.objects.filter(pk=first.pk).update(holder_birth_place_code_kind="")
    type(first.path.candidate).objects.filter(pk=first.path.candidate_id).update(birth_place_code_kind="")
    err = io.StringIO()
    call_command("export_cdc", "--check-only", stdout=io.StringIO(), stderr=err)
    assert "1 award(s) held back" in err.getvalue()
    assert first.number in err.getvalue() and "birth_place_code_kind" in err.getvalue()
    assert not Certificate.objects.filter(cdc_status=CdcStatus.SENT).exists()


def test_the_api_imports_a_report_and_deposits_a_rejection_again(deposited, branch_admin):
    from rest_framework.test import APIClient

    export, first, second = deposited
    client = APIClient()
    client.force_authenticate(branch_admin)
    data = rapport(
        nom_fichier=f"{export.id_flux}.xml", ok=[second.award_ref.hex], ko=[(first.award_ref.hex, NO_HOLDER)]
    )
    response = client.post(
        "/api/v1/certificates/cdc-reports/", {"file": SimpleUploadedFile("rapport.xml", data)}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["accepted"], body["rejected"], body["id_flux"]) == (1, 1, export.id_flux)
    [rejection] = body["rejections"]
    assert rejection["number"] == first.number and rejection["message"] == NO_HOLDER
    assert "birth_date" in rejection["fields_to_check"] and rejection["advice"]
    again = client.post(
        "/api/v1/certificates/cdc-reports/", {"file": SimpleUploadedFile("rapport.xml", data)}, format="multipart"
    )
    assert again.status_code == 400
    assert again.json()["code"] == "cdc_report_already_imported" and "file" in again.json()["fields"]
    listed = client.get("/api/v1/certificates/", {"cdc_status": "rejected"}).json()["results"]
    assert [c["number"] for c in listed] == [first.number]
    redeposited = client.post(f"/api/v1/certificates/{first.pk}/cdc-redeposit/")
    assert redeposited.status_code == 200 and redeposited.json()["cdc_status"] == "to_redeposit"
    assert client.post(f"/api/v1/certificates/{second.pk}/cdc-redeposit/").json()["code"] == "cdc_not_rejected"
