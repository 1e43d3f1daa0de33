"""The France compétences import: samples, idempotence, changed fiches, broken files."""

import json
import tracemalloc
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from certifications.importing import check_file, clean_text, run_import, split_competencies
from certifications.models import (
    BlockEquivalence,
    Branch,
    Certification,
    CertificationKind,
    ImportJob,
    ImportState,
    ReferentialState,
    Registration,
    SkillBlock,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "certifications" / "fixtures"
RNCP = DATA / "france-competences-rncp-v4.1-sample.xml"
RS = DATA / "france-competences-rs-v4.1-sample.xml"

EXPECTED_BLOCKS = {
    "RNCP34762": 5,
    "RNCP35809": 4,
    "RNCP35625": 10,
    "RNCP35419": 4,
    "RNCP40344": 4,
    "RNCP36612": 4,
    "RNCP37674": 2,
    "RNCP39568": 6,
}


def run(path, *args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_france_competences", str(path), *args, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines(), err.getvalue()


def test_rncp_sample_twice():
    lines, _err = run(RNCP)
    assert lines == ["fiches: 8 read, 8 created, 0 updated, 0 unchanged, 0 errors; blocks: 39"]
    for number, count in EXPECTED_BLOCKS.items():
        cert = Registration.objects.get(number=number).certification
        version = cert.versions.get()
        assert version.state == ReferentialState.PUBLISHED
        assert version.blocks.count() == count, number
    reg = Registration.objects.get(number="RNCP37674")
    assert reg.level == 5 and reg.listed_active
    assert reg.allows("vae") and reg.allows("apprenticeship") and not reg.allows("initial")
    assert str(reg.end_date) == "2028-09-01"
    block = SkillBlock.objects.get(code="RNCP37674BC01")
    assert list(block.competencies.values_list("text", flat=True))[:2] == [
        "Installer et configurer son environnement de travail en fonction du projet web ou web mobile",
        "Maquetter des interfaces utilisateur web ou web mobile",
    ]
    assert block.modalities.count() == 1

    lines, _err = run(RNCP)
    assert lines == ["fiches: 8 read, 0 created, 0 updated, 8 unchanged, 0 errors; blocks: 0"]
    assert Certification.objects.count() == 8


def test_rs_sample_imports():
    lines, _err = run(RS)
    assert lines == ["fiches: 5 read, 5 created, 0 updated, 0 unchanged, 0 errors; blocks: 0"]
    reg = Registration.objects.get(number="RS5719")
    assert reg.register == "RS" and reg.level is None
    assert reg.certification.kind == CertificationKind.EXTERNAL


def test_only_cqp_skips_external_fiches():
    lines, _err = run(RNCP, "--only-cqp")
    assert lines == ["fiches: 8 read, 0 created, 0 updated, 0 unchanged, 0 errors; blocks: 0"]
    assert not Certification.objects.exists()


def test_dry_run_saves_nothing():
    lines, _err = run(RNCP, "--dry-run")
    assert lines[0].startswith("fiches: 8 read, 8 created")
    assert not Certification.objects.exists()


def test_truncated_file_is_refused_and_nothing_is_created(tmp_path):
    truncated = tmp_path / "truncated.xml"
    content = RNCP.read_bytes()
    truncated.write_bytes(content[: len(content) * 2 // 3])
    with pytest.raises(CommandError, match="not well-formed XML"):
        run(truncated)
    assert not Certification.objects.exists()
    assert not Branch.objects.exists()


def test_non_xml_file_exits_non_zero(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "export.xml"
    bad.write_text("NUMERO_FICHE;INTITULE\nRNCP1;x\n")
    with pytest.raises(CommandError, match="not well-formed XML"):
        run(bad)
    other = tmp_path / "other.xml"
    other.write_text("<?xml version='1.0'?><html><body/></html>")
    with pytest.raises(CommandError, match="not a France compétences export"):
        run(other)
    # The real command line: non-zero exit status and the reason on stderr.
    result = subprocess.run(
        [sys.executable, "manage.py", "import_france_competences", str(bad)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DEBUG": "true"},
        check=False,
    )
    assert result.returncode != 0
    assert "not well-formed XML" in result.stderr


def fiche(number="RNCP99001", *, title="CQP Commis de cuisine", abrege="CQP", ccn=("1979",), blocks=None, extra=""):
    blocks = (
        blocks
        if blocks is not None
        else [("BC01", "Préparer", "- Éplucher  - Tailler"), ("BC02", "Cuire", "- Saisir  - Braiser")]
    )
    ccn_xml = "".join(
        f"<CCN_{i}><NUMERO>{idcc}</NUMERO><LIBELLE>Convention {idcc}</LIBELLE></CCN_{i}>"
        for i, idcc in enumerate(ccn, start=1)
    )
    blocks_xml = "".join(
        f"<BLOC_COMPETENCES><CODE>{number}{code}</CODE><LIBELLE>{label}</LIBELLE>"
        f"<LISTE_COMPETENCES>{comps}</LISTE_COMPETENCES>"
        f"<MODALITES_EVALUATION>Mise en situation professionnelle</MODALITES_EVALUATION></BLOC_COMPETENCES>"
        for code, label, comps in blocks
    )
    return (
        f"<FICHE><NUMERO_FICHE>{number}</NUMERO_FICHE><INTITULE>{title}</INTITULE>"
        f"<ABREGE><CODE>{abrege}</CODE><LIBELLE>Certificat de qualification professionnelle</LIBELLE></ABREGE>"
        f"<NOMENCLATURE_EUROPE><NIVEAU>NIV3</NIVEAU></NOMENCLATURE_EUROPE><ACTIF>Oui</ACTIF>"
        f"<DATE_DECISION>01/02/2024</DATE_DECISION><DATE_FIN_ENREGISTREMENT>01/02/2029</DATE_FIN_ENREGISTREMENT>"
        f"{ccn_xml}<SI_JURY_VAE><ACTIF>Oui</ACTIF></SI_JURY_VAE><SI_JURY_CQ><ACTIF>Oui</ACTIF></SI_JURY_CQ>"
        f"<BLOCS_COMPETENCES>{blocks_xml}</BLOCS_COMPETENCES>{extra}</FICHE>"
    )


def export(tmp_path, *fiches, name="export.xml"):
    path = tmp_path / name
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?><FICHES><VERSION_FLUX>4.1</VERSION_FLUX>" + "".join(fiches) + "</FICHES>"
    )
    return path


def test_cqp_and_cqpi_kinds_and_branches(tmp_path):
    path = export(
        tmp_path,
        fiche("RNCP99001"),
        fiche("RNCP99002", title="CQPI Tuteur", ccn=("1979", "3248")),
        fiche("RNCP99003", title="CQP interbranches Opérateur", ccn=("3248",)),
        fiche("RNCP99004", abrege="TP", ccn=()),
    )
    lines, _err = run(path, "--only-cqp")
    assert lines == ["fiches: 4 read, 3 created, 0 updated, 0 unchanged, 0 errors; blocks: 6"]
    cqp = Registration.objects.get(number="RNCP99001").certification
    assert cqp.kind == CertificationKind.CQP
    assert list(cqp.branches.values_list("idcc", flat=True)) == ["1979"]
    assert Branch.objects.get(idcc="1979").name == "Convention 1979"
    cqpi = Registration.objects.get(number="RNCP99002").certification
    assert cqpi.kind == CertificationKind.CQPI and cqpi.branches.count() == 2
    assert Registration.objects.get(number="RNCP99003").certification.kind == CertificationKind.CQPI
    assert not Registration.objects.filter(number="RNCP99004").exists()
    assert cqp.registration.access_routes == ["professionalisation", "vae"]


def test_changed_fiche_of_a_published_referential_becomes_a_new_draft(tmp_path):
    run(export(tmp_path, fiche(), name="a.xml"))
    cert = Registration.objects.get(number="RNCP99001").certification
    changed = fiche(blocks=[("BC01", "Préparer", "- Éplucher  - Tailler  - Dresser"), ("BC03", "Servir", "- A  - B")])
    lines, _err = run(export(tmp_path, changed, name="b.xml"))
    assert lines == ["fiches: 1 read, 0 created, 1 updated, 0 unchanged, 0 errors; blocks: 2"]
    v1, v2 = cert.versions.order_by("number")
    assert v1.state == ReferentialState.PUBLISHED and v1.blocks.count() == 2
    assert v2.state == ReferentialState.DRAFT and v2.based_on == v1
    assert sorted(v2.blocks.values_list("code", flat=True)) == ["RNCP99001BC01", "RNCP99001BC03"]
    lines, _err = run(export(tmp_path, changed, name="c.xml"))
    assert lines == ["fiches: 1 read, 0 created, 0 updated, 1 unchanged, 0 errors; blocks: 0"]


def test_malformed_fiche_is_skipped_with_its_name(tmp_path):
    bad = fiche("RNCP99002").replace("01/02/2024", "2024-02-01")
    lines, err = run(export(tmp_path, fiche("RNCP99001"), bad, fiche("RNCP99003")))
    assert lines == ["fiches: 3 read, 2 created, 0 updated, 0 unchanged, 1 errors; blocks: 4"]
    assert "RNCP99002" in err and "DATE_DECISION" in err


def test_correspondences_become_equivalences(tmp_path):
    corr = (
        "<CORRESPONDANCES><CORRESPONDANCE><SOURCE><BLOC_COMPETENCES><CODE>RNCP99001BC01</CODE></BLOC_COMPETENCES>"
        "</SOURCE><DESTINATION><NUMERO_FICHE>RNCP99002</NUMERO_FICHE><BLOC_COMPETENCES><CODE>RNCP99002BC02</CODE>"
        "</BLOC_COMPETENCES></DESTINATION></CORRESPONDANCE></CORRESPONDANCES>"
    )
    run(export(tmp_path, fiche("RNCP99001", extra=corr), fiche("RNCP99002", ccn=("3248",))))
    eq = BlockEquivalence.objects.get()
    assert (eq.from_block.code, eq.to_block.code, eq.bidirectional) == ("RNCP99001BC01", "RNCP99002BC02", True)


def test_html_is_cleaned():
    assert (
        clean_text("<p>Mise en <b>situation</b> &amp; entretien</p><script>x()</script>")
        == "Mise en situation & entretien"
    )
    assert split_competencies("<ul><li>Accueillir</li><li>Servir &lt;vite&gt;</li></ul>") == [
        "Accueillir",
        "Servir <vite>",
    ]


def test_streaming_keeps_memory_flat(tmp_path):
    """Reading 20x more fiches must not need 20x more memory: each fiche is freed once read."""
    one = fiche("RNCP99001", blocks=[(f"BC{i:02d}", "Bloc " * 20, "- Compétence longue " * 30) for i in range(8)])

    def peak(count):
        path = export(tmp_path, *([one] * count), name=f"big{count}.xml")
        tracemalloc.start()
        assert check_file(path) == count
        _current, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top, path.stat().st_size

    small, _ = peak(50)
    large, size = peak(1000)
    assert size > 5_000_000
    assert large < small * 3, (small, large)


def test_job_records_progress_and_failure(tmp_path, branch_admin, settings):
    from django.core.files import File

    job = ImportJob(created_by=branch_admin, original_name="rncp.xml")
    with RNCP.open("rb") as handle:
        job.file.save("rncp.xml", File(handle))
    from certifications.tasks import import_register

    assert import_register(job.pk) == ImportState.DONE
    job.refresh_from_db()
    assert (job.total, job.read, job.created, job.blocks) == (8, 8, 8, 39)
    assert job.message.startswith("fiches: 8 read")
    # A second delivery of the same task does nothing.
    assert import_register(job.pk) == ImportState.DONE

    broken = ImportJob(created_by=branch_admin, original_name="bad.xml")
    broken.file.save(
        "bad.xml", __import__("django.core.files.base", fromlist=["ContentFile"]).ContentFile(b"<FICHES><FICHE>")
    )
    assert import_register(broken.pk) == ImportState.FAILED
    broken.refresh_from_db()
    assert "not well-formed" in broken.message


def test_json_summary_counts_match_models():
    stats = run_import(RNCP)
    assert stats.blocks == SkillBlock.objects.count() == sum(EXPECTED_BLOCKS.values())
    assert json.dumps(stats.summary_line())
