import datetime
import filecmp

import pytest
from django.core.management import call_command
from django.utils import timezone
from lxml import etree

from cqp_portal.errors import RuleViolation
from juries import models as jury
from juries.certificates import cdc, services
from juries.certificates.models import CdcExport
from tests.factories.candidates import CandidateFactory
from tests.factories.certificates import award_setup, cdc_account, closed_session, final_decision
from tests.factories.financing import FunderFactory

pytestmark = pytest.mark.django_db
NS = {"c": cdc.NS}


def issue_all(decisions, capture):
    with capture(execute=True):
        return [c for d in decisions for c in services.certificate_issue_for_decision(decision=d)]


@pytest.fixture
def mixed(branch, django_capture_on_commit_callbacks):
    """RNCP: 2 full awards, 1 partial (not sent), 1 refusal; an unregistered CQP award (not sent)."""
    certification, version = award_setup(branch, issue_block_attestations=True)
    cdc_account(certification)
    session = closed_session(certification)
    decisions = [
        final_decision(
            session, version=version, candidate=CandidateFactory(birth_name="Martin", first_names="Léa Marie")
        ),
        final_decision(session, version=version, access_route="vae", candidate=CandidateFactory(birth_name="Bernard")),
        final_decision(session, version=version, outcome=jury.Outcome.PARTIAL),
        final_decision(session, version=version, outcome=jury.Outcome.REFUSED),
    ]
    branch_only, branch_version = award_setup(branch, register=None, code="cqp-animateur", title="Animateur")
    decisions.append(final_decision(closed_session(branch_only), version=branch_version))
    documents = issue_all(decisions, django_capture_on_commit_callbacks)
    return certification, documents


def passages(xml: bytes):
    return etree.fromstring(xml).findall(".//c:passageCertification", NS)


def test_the_export_is_valid_and_has_only_the_eligible_awards(mixed):
    certification, documents = mixed
    result = cdc.cdc_export()
    [export] = result.exports
    xml = result.content(export)
    assert cdc.validation_errors(xml) == []
    assert cdc.schema().validate(etree.fromstring(xml))
    full = [d for d in documents if d.kind == "certificate" and d.register == "RNCP"]
    assert len(full) == 2
    ids = [p.findtext("c:idTechnique", namespaces=NS) for p in passages(xml)]
    assert sorted(ids) == sorted(c.award_ref.hex for c in full)
    assert set(export.certificates.all()) == set(full)
    root = etree.fromstring(xml)
    assert root.findtext(".//c:certification/c:code", namespaces=NS) == certification.registration.number
    assert root.findtext(".//c:certification/c:type", namespaces=NS) == "RNCP"
    with export.file.open("rb") as handle:
        assert handle.read() == xml


def test_identity_and_access_route_are_mapped(mixed):
    result = cdc.cdc_export()
    xml = result.content(result.exports[0])
    by_name = {p.findtext(".//c:nomNaissance", namespaces=NS): p for p in passages(xml)}
    lea = by_name["Martin"]
    assert lea.findtext(".//c:prenom1", namespaces=NS) == "Léa"
    assert lea.findtext(".//c:prenom2", namespaces=NS) == "Marie"
    assert lea.findtext(".//c:anneeNaissance", namespaces=NS) == "1990"
    assert lea.findtext(".//c:sexe", namespaces=NS) == "F"
    assert lea.findtext(".//c:codeInsee", namespaces=NS) == "75056"
    assert (
        lea.findtext(".//c:modaliteAcces", namespaces=NS) == "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION"
    )
    assert by_name["Bernard"].findtext(".//c:modaliteAcces", namespaces=NS) == "VAE"
    assert by_name["Bernard"].findtext(".//c:voieAccessVAE", namespaces=NS) == "VAE_CLASSIQUE"


def test_an_award_is_exported_once(mixed):
    cdc.cdc_export()
    again = cdc.cdc_export()
    assert again.exports == []


def test_missing_identity_is_reported_and_left_out(mixed):
    _certification, documents = mixed
    [first, *_] = [d for d in documents if d.kind == "certificate" and d.register == "RNCP"]
    type(first).objects.filter(pk=first.pk).update(holder_birth_place_code="", holder_sex="")
    candidate = first.path.candidate
    candidate.birth_place_code, candidate.sex = "", ""
    candidate.save()
    pending = cdc.awards(cdc.not_exported(cdc.eligible_certificates()))
    [blocked] = [a for a in pending if not a.exportable]
    assert blocked.certificate == first
    assert "code du lieu de naissance (code INSEE, 5 caractères) manquant" in blocked.problems
    assert "sexe (M/F) manquant" in blocked.problems
    result = cdc.cdc_export()
    assert [a.certificate for a in result.excluded] == [first]
    assert first not in result.exports[0].certificates.all()


def test_a_cpf_funded_path_is_sent_with_its_cpf_file(mixed):
    from financing.models import FunderKind, FundingLine, Scheme

    _certification, documents = mixed
    target = next(d for d in documents if d.kind == "certificate" and d.register == "RNCP")
    FundingLine.objects.create(
        path=target.path,
        scheme=Scheme.CPF,
        funder=FunderFactory(kind=FunderKind.CDC),
        amount_requested=1000,
        cpf_file_number="ABC1234567890",
        start_date=datetime.date(2026, 1, 5),
    )
    result = cdc.cdc_export()
    xml = result.content(result.exports[0])
    [dossier] = etree.fromstring(xml).findall(".//c:dossierFormation", NS)
    assert dossier.findtext("c:idDossier", namespaces=NS) == "ABC1234567890"
    assert cdc.validation_errors(xml) == []


def test_idtechnique_is_stable_across_a_reissue(mixed, branch_admin, django_capture_on_commit_callbacks):
    _certification, documents = mixed
    old = next(d for d in documents if d.kind == "certificate" and d.register == "RNCP")
    first = cdc.cdc_export()
    with django_capture_on_commit_callbacks(execute=True):
        new = services.certificate_reissue(certificate=old, by=branch_admin, reason="Prénom corrigé")
    second = cdc.cdc_export()
    [passage] = passages(second.content(second.exports[0]))
    assert passage.findtext("c:idTechnique", namespaces=NS) == old.award_ref.hex == new.award_ref.hex
    assert first.exports[0].id_flux != second.exports[0].id_flux


def test_an_invalid_flux_is_never_written(mixed, monkeypatch):
    real = cdc._passage

    def broken(out, award, *args, **kwargs):
        real(out, award, *args, **kwargs)
        out.lines[:] = [line.replace("PAR_ADMISSION", "PAR_PISTON") for line in out.lines]

    monkeypatch.setattr("juries.certificates.cdc.flux._passage", broken)
    with pytest.raises(RuleViolation) as excinfo:
        cdc.cdc_export()
    assert excinfo.value.code == "cdc_invalid"
    assert "PAR_PISTON" in excinfo.value.details[0] and excinfo.value.details[0].startswith("line ")
    assert not CdcExport.objects.exists()


def test_the_command_writes_the_file(mixed, tmp_path):
    target = tmp_path / "out" / "accrochage.xml"
    call_command("export_cdc", "--output", str(target), "--since", "2026-01-01")
    xml = target.read_bytes()
    assert cdc.validation_errors(xml) == []
    assert len(passages(xml)) == 2


def test_the_command_filters_by_certification_and_date(mixed, tmp_path):
    certification, _ = mixed
    target = tmp_path / "none.xml"
    call_command("export_cdc", "--output", str(target), "--since", "2027-01-01")
    assert not target.exists()
    call_command("export_cdc", "--output", str(target), "--certification", certification.code)
    assert len(passages(target.read_bytes())) == 2


def test_the_board_lists_overdue_awards_first(mixed, client, branch_admin, django_capture_on_commit_callbacks):
    _certification, documents = mixed
    late = next(d for d in documents if d.kind == "certificate" and d.register == "RNCP")
    type(late).objects.filter(pk=late.pk).update(award_date=timezone.localdate() - datetime.timedelta(days=400))
    pending = cdc.awards(cdc.not_exported(cdc.eligible_certificates(user=branch_admin)))
    assert pending[0].certificate == late and pending[0].overdue
    assert not pending[1].overdue or pending[1].due_date >= pending[0].due_date
    client.force_login(branch_admin)
    html = client.get("/certificats/cdc/").content.decode()
    assert "En retard" in html and late.number in html
    with django_capture_on_commit_callbacks(execute=True):  # the export runs as a task after commit
        response = client.post("/certificats/cdc/exporter/", {"certification": "", "since": ""})
    assert response.status_code == 302
    export = CdcExport.objects.get()
    download = client.get(f"/certificats/cdc/{export.pk}/")
    assert b"".join(download.streaming_content).startswith(b"<?xml")


def test_other_branches_see_nothing_of_it(mixed, client, other_branch_admin):
    assert cdc.awards(cdc.not_exported(cdc.eligible_certificates(user=other_branch_admin))) == []
    cdc.cdc_export()
    client.force_login(other_branch_admin)
    assert client.get(f"/certificats/cdc/{CdcExport.objects.get().pk}/").status_code == 404


def test_the_schema_shipped_with_the_app_is_the_cdc_one():
    shared = cdc.SCHEMA_PATH.parents[3] / ".." / "shared" / "specs" / "cdc-accrochage-1.1.2.xsd"
    if shared.exists():
        assert filecmp.cmp(cdc.SCHEMA_PATH, shared, shallow=False)
    assert etree.XMLSchema(etree.parse(str(cdc.SCHEMA_PATH)))


# --- 18c: birth place, dates -----------------------------------------------------------------------


def rncp_awards(documents):
    return [d for d in documents if d.kind == "certificate" and d.register == "RNCP"]


def passage_of(xml: bytes, certificate):
    return next(p for p in passages(xml) if p.findtext("c:idTechnique", namespaces=NS) == certificate.award_ref.hex)


def test_a_postcode_is_sent_as_codepostal_never_as_codeinsee(mixed):
    _certification, documents = mixed
    first, second = rncp_awards(documents)
    type(first).objects.filter(pk=first.pk).update(
        holder_birth_place_code="69003", holder_birth_place_code_kind="postcode"
    )
    result = cdc.cdc_export()
    xml = result.content(result.exports[0])
    assert cdc.validation_errors(xml) == []
    place = passage_of(xml, first).find(".//c:codeCommuneNaissance", NS)
    assert place.findtext("c:codePostalNaissance/c:codePostal", namespaces=NS) == "69003"
    assert place.find("c:codeInseeNaissance", NS) is None
    assert passage_of(xml, second).findtext(".//c:codeInseeNaissance/c:codeInsee", namespaces=NS) == "75056"


def test_a_birth_abroad_sends_the_insee_country_code(mixed):
    _certification, documents = mixed
    first, _second = rncp_awards(documents)
    type(first).objects.filter(pk=first.pk).update(
        holder_birth_place_code="",
        holder_birth_place_code_kind="",
        holder_birth_country="MA",
        holder_birth_place_name="Rabat",
    )
    result = cdc.cdc_export()
    xml = result.content(result.exports[0])
    assert cdc.validation_errors(xml) == []
    holder = passage_of(xml, first).find(".//c:titulaire", NS)
    assert holder.findtext("c:codeCommuneNaissance/c:codeInseeNaissance/c:codeInsee", namespaces=NS) == "99350"
    assert holder.findtext("c:codePaysNaissance", namespaces=NS) == "350"
    assert holder.findtext("c:libelleCommuneNaissance", namespaces=NS) == "Rabat"


def test_an_unclassified_code_is_held_back_with_the_field_to_correct(mixed):
    _certification, documents = mixed
    first, _second = rncp_awards(documents)
    type(first).objects.filter(pk=first.pk).update(holder_birth_place_code_kind="")
    type(first.path.candidate).objects.filter(pk=first.path.candidate_id).update(birth_place_code_kind="")
    [blocked] = [a for a in cdc.awards(cdc.not_exported(cdc.eligible_certificates())) if not a.exportable]
    assert blocked.certificate == first
    assert blocked.fields == ["birth_place_code_kind"]
    assert [a.certificate for a in cdc.cdc_export().excluded] == [first]


def test_an_older_snapshot_takes_the_kind_from_the_candidate_when_the_code_is_the_same(mixed):
    _certification, documents = mixed
    first, _second = rncp_awards(documents)
    type(first).objects.filter(pk=first.pk).update(holder_birth_place_code_kind="")
    assert all(a.exportable for a in cdc.awards(cdc.not_exported(cdc.eligible_certificates())))


def test_an_enrolment_after_the_award_is_refused_and_listed(mixed):
    _certification, documents = mixed
    first, second = rncp_awards(documents)
    path = first.path
    type(path).objects.filter(pk=path.pk).update(start_date=first.award_date + datetime.timedelta(days=1))
    [blocked] = [a for a in cdc.awards(cdc.not_exported(cdc.eligible_certificates())) if not a.exportable]
    assert blocked.certificate == first
    assert "après la date de délivrance" in blocked.problems[0]
    assert blocked.fields == ["start_date"]
    result = cdc.cdc_export()
    assert [a.certificate for a in result.excluded] == [first]
    assert list(result.exports[0].certificates.all()) == [second]


def test_an_implausible_birth_date_is_held_back(mixed):
    _certification, documents = mixed
    first, _second = rncp_awards(documents)
    type(first).objects.filter(pk=first.pk).update(holder_birth_date=timezone.localdate() + datetime.timedelta(days=3))
    [blocked] = [a for a in cdc.awards(cdc.not_exported(cdc.eligible_certificates())) if not a.exportable]
    assert blocked.fields == ["birth_date"]
