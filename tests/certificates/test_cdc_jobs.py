"""The board's CDC export runs as a task: a job page with a progress bar, then a summary."""

import pytest
from django.urls import reverse

from juries.certificates import cdc
from juries.certificates.models import CdcExport, CdcExportJob
from juries.certificates.services import cdc_export_job_run
from tests.certificates.test_cdc import mixed  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def leave_out_one(documents):
    """Blank the sex and birth place of one RNCP award: it is left out of the export."""
    [first, *_] = [d for d in documents if d.kind == "certificate" and d.register == "RNCP"]
    type(first).objects.filter(pk=first.pk).update(holder_birth_place_code="", holder_sex="")
    candidate = first.path.candidate
    candidate.birth_place_code, candidate.sex = "", ""
    candidate.save()
    return first


def post_export(client, capture, data=None):
    with capture(execute=True):
        return client.post(reverse("certificates:cdc_export"), data or {"certification": "", "since": ""})


def test_posting_the_export_runs_a_job_that_ends_with_its_summary(
    mixed,  # noqa: F811
    client,
    branch_admin,
    django_capture_on_commit_callbacks,
):
    _certification, documents = mixed
    left_out = leave_out_one(documents)
    client.force_login(branch_admin)
    response = post_export(client, django_capture_on_commit_callbacks)
    job = CdcExportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("certificates:cdc_job", kwargs={"pk": job.pk})
    assert job.state == "done" and job.created_by == branch_admin
    assert (job.done, job.total) == (2, 2)
    [export] = CdcExport.objects.all()
    assert job.summary["exported"] == 1 == export.certificates.count()
    assert job.summary["files"] == [
        {"export_id": export.pk, "id_flux": export.id_flux, "certifier": export.certifier.commission.name, "awards": 1}
    ]
    [excluded] = job.summary["excluded"]
    assert excluded["number"] == left_out.number
    assert "sexe (M/F) manquant" in excluded["problems"]
    assert job.finished_at is not None and job.error == ""

    html = client.get(response.url).content.decode()
    assert "2 / 2 délivrances traitées" in html
    assert "1 fichier écrit" in html and "1 délivrance exportée" in html and "1 délivrance écartée" in html
    assert reverse("certificates:cdc_download", kwargs={"pk": export.pk}) in html
    assert left_out.number in html and "sexe (M/F) manquant" in html
    assert "data-poll" not in html  # finished: the page stops refreshing
    assert reverse("certificates:cdc_job", kwargs={"pk": job.pk}) in client.get("/certificats/cdc/").content.decode()


def test_the_job_page_shows_the_progress_while_the_export_runs(
    mixed,  # noqa: F811
    client,
    branch_admin,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    """The export is one transaction: its progress is read from the cache while it runs."""
    monkeypatch.setattr("juries.certificates.cdc.export.PROGRESS_EVERY", 1)
    reported, seen = [], []
    real_write = cdc.write_flux

    def write(*args, on_award=None, **kwargs):
        def step():
            on_award()
            reported.append(True)
            if len(reported) == 1:
                job = CdcExportJob.objects.get()
                seen.append(client.get(reverse("certificates:cdc_job_progress", kwargs={"pk": job.pk})))

        return real_write(*args, on_award=step, **kwargs)

    monkeypatch.setattr("juries.certificates.cdc.export.write_flux", write)
    client.force_login(branch_admin)
    post_export(client, django_capture_on_commit_callbacks)
    [fragment] = seen
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "1 / 2 délivrances traitées" in html
    assert '<progress max="2" value="1"' in html
    job = CdcExportJob.objects.get()
    assert f'data-poll="{reverse("certificates:cdc_job_progress", kwargs={"pk": job.pk})}"' in html
    assert "En cours" in html
    assert job.state == "done"


def test_the_progress_callback_is_called_every_n_awards_and_at_the_end(mixed, monkeypatch):  # noqa: F811
    monkeypatch.setattr("juries.certificates.cdc.export.PROGRESS_EVERY", 1)
    calls = []
    cdc.cdc_export(progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 2), (1, 2), (2, 2), (2, 2)]
    monkeypatch.setattr("juries.certificates.cdc.export.PROGRESS_EVERY", 25)
    calls.clear()
    cdc.cdc_export(progress=lambda done, total: calls.append((done, total)))  # nothing left: 0 / 0
    assert calls == [(0, 0), (0, 0)]


def test_another_branch_admin_gets_404(
    mixed,  # noqa: F811
    client,
    branch_admin,
    other_branch_admin,
    django_capture_on_commit_callbacks,
):
    client.force_login(branch_admin)
    post_export(client, django_capture_on_commit_callbacks)
    job = CdcExportJob.objects.get()
    client.force_login(other_branch_admin)
    assert client.get(reverse("certificates:cdc_job", kwargs={"pk": job.pk})).status_code == 404
    assert client.get(reverse("certificates:cdc_job_progress", kwargs={"pk": job.pk})).status_code == 404


def test_a_failed_export_is_recorded_on_the_job_and_writes_nothing(
    mixed,  # noqa: F811
    client,
    branch_admin,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr("juries.certificates.cdc.export.validation_errors", lambda source: ["line 1: broken"])
    client.force_login(branch_admin)
    response = post_export(client, django_capture_on_commit_callbacks)
    job = CdcExportJob.objects.get()
    assert job.state == "failed" and "line 1: broken" in job.error
    assert not CdcExport.objects.exists()
    html = client.get(response.url).content.decode()
    assert "Échec" in html and "line 1: broken" in html and "data-poll" not in html


def test_the_task_runs_a_job_once(mixed, branch_admin, django_capture_on_commit_callbacks):  # noqa: F811
    from juries.certificates.services import cdc_export_job_create

    with django_capture_on_commit_callbacks(execute=True):
        job = cdc_export_job_create(by=branch_admin)
    assert CdcExportJob.objects.get(pk=job.pk).state == "done"
    assert cdc_export_job_run(job_id=job.pk) is False  # delivered again: nothing redone
    assert CdcExport.objects.count() == 1
