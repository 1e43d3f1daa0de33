"""The branch administrator's workspace: certifications, référentiel drafts, publication,
history and diff, rules, habilitations, equivalences, register import."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from certifications import forms, renewals, selectors, services
from certifications.diff import diff_versions
from certifications.exchange import export_version
from certifications.models import (
    BlockEquivalence,
    Certification,
    Habilitation,
    ImportJob,
    ReferentialState,
    ReferentialVersion,
    SkillBlock,
)
from certifications.version_mapping import mapping_plan, version_mapping
from cqp_portal import policy
from cqp_portal.accounts.models import Role
from cqp_portal.decorators import role_required
from cqp_portal.errors import RuleViolation
from cqp_portal.tasks import enqueue_on_commit


def branch_admin_view(view):
    return login_required(role_required(Role.BRANCH_ADMIN)(view))


def _certification(request, pk) -> Certification:
    """A certification of the administrator's branches; any other is a 404 in this workspace."""
    certification = policy.get_visible_or_404(request.user, Certification, pk=pk)
    if not policy.allowed(request.user, "certification.administer", certification):
        raise Http404
    return certification


def _version(request, pk) -> ReferentialVersion:
    # Drafts of another branch are outside the scope: 404, their existence is not revealed.
    version = policy.get_visible_or_404(request.user, ReferentialVersion, pk=pk)
    if not policy.allowed(request.user, "certification.administer", version.certification):
        raise Http404
    return version


@branch_admin_view
def workspace(request):
    assignments = request.user.roles.filter(role=Role.BRANCH_ADMIN).select_related("branch__opco")
    certifications = list(selectors.administered_certifications(request.user))
    jobs = ImportJob.objects.filter(created_by=request.user)[:5]
    # Renewals: the ending registrations come from the list above (no query); the paths at
    # risk are one query, whatever the number of certifications.
    ending = renewals.ending_registrations(certifications)
    at_risk = list(renewals.paths_at_risk([c.pk for c in certifications]))
    return render(
        request,
        "certifications/workspace.html",
        {
            "assignments": assignments,
            "certifications": certifications,
            "jobs": jobs,
            "ending": ending,
            "at_risk": at_risk,
        },
    )


@branch_admin_view
def certification_detail(request, pk):
    certification = _certification(request, pk)
    if request.method == "POST":
        form = forms.RulesForm(request.POST, instance=Certification.objects.get(pk=certification.pk))
        if form.is_valid():
            services.certification_update(
                certification=certification,
                by=request.user,
                **{f: form.cleaned_data[f] for f in services.RULE_FIELDS},
            )
            messages.success(request, _("The rules of this certification were saved."))
            return redirect("certifications:certification", pk=certification.pk)
    else:
        form = forms.RulesForm(instance=certification)
    versions = certification.versions.order_by("-number")
    has_draft = any(v.state == ReferentialState.DRAFT for v in versions)
    has_published = any(v.state == ReferentialState.PUBLISHED for v in versions)
    return render(
        request,
        "certifications/certification_detail.html",
        {
            "certification": certification,
            "registration": certification.registration_or_none,
            "versions": versions,
            "has_draft": has_draft,
            "has_published": has_published,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@branch_admin_view
def version_new(request, pk):
    certification = _certification(request, pk)
    if certification.versions.filter(state=ReferentialState.PUBLISHED).exists():
        version = services.version_new_from_published(certification=certification, by=request.user)
        messages.success(request, _("Draft version %(n)s created from the published version.") % {"n": version.number})
    else:
        version = services.version_create_draft(certification=certification, by=request.user)
        messages.success(request, _("Draft version %(n)s created.") % {"n": version.number})
    return redirect("certifications:version", pk=version.pk)


def _render_version(request, version, *, problems=None, status=200):
    version = selectors.version_with_content(version.pk)
    problems = problems or []
    by_block: dict[int, dict[str, list[str]]] = {}
    general = []
    for problem in problems:
        if problem.block_id:
            by_block.setdefault(problem.block_id, {}).setdefault(problem.field, []).append(problem.message)
        else:
            general.append(problem.message)
    blocks = [(block, by_block.get(block.pk, {})) for block in version.blocks.all()]
    others = version.certification.versions.exclude(pk=version.pk).order_by("-number")
    plan = mapping_plan(version) if version.state == ReferentialState.DRAFT else None
    return render(
        request,
        "certifications/version_detail.html",
        {
            "version": version,
            "certification": version.certification,
            "blocks": blocks,
            "problems": problems,
            "general_problems": general,
            "others": others,
            "plan": plan,
            "editable": version.state == ReferentialState.DRAFT
            and policy.allowed(request.user, "referential.edit", version),
        },
        status=status,
    )


@branch_admin_view
def version_detail(request, pk):
    return _render_version(request, _version(request, pk))


@branch_admin_view
def version_publish(request, pk):
    """The publish screen: the correspondence of the previous version's changed or removed
    blocks (unchanged ones are mapped automatically), then the publication. A draft with
    nothing to declare is published by a plain POST from the version page."""
    version = _version(request, pk)
    if version.state != ReferentialState.DRAFT:
        if request.method == "POST":
            services.version_publish(version=version, by=request.user)  # refused with its message
        messages.info(request, _("Version %(n)s is not a draft: it cannot be published.") % {"n": version.number})
        return redirect("certifications:version", pk=version.pk)
    policy.require(request.user, "referential.publish", version)
    plan = mapping_plan(version)
    form = forms.BlockMappingForm(request.POST if request.method == "POST" else None, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.version_publish(version=version, by=request.user, correspondences=form.declarations())
        except RuleViolation as exc:
            if exc.code == "publication_invalid":
                messages.error(request, exc.message)
                return _render_version(request, version, problems=exc.details, status=400)
            if exc.code != "block_mapping_invalid":
                raise
            for problem in exc.details:
                name = form.field_name(problem.block_id) if problem.block_id else None
                form.add_error(name if name in form.fields else None, problem.message)
            if not exc.details:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Version %(n)s is published.") % {"n": version.number})
            return redirect("certifications:version", pk=version.pk)
    return render(
        request,
        "certifications/version_publish.html",
        {"version": version, "certification": version.certification, "plan": plan, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@branch_admin_view
def version_retire(request, pk):
    version = _version(request, pk)
    services.version_retire(version=version, by=request.user)
    messages.success(request, _("Version %(n)s is retired.") % {"n": version.number})
    return redirect("certifications:version", pk=version.pk)


@require_POST
@branch_admin_view
def version_delete(request, pk):
    version = _version(request, pk)
    certification = version.certification
    services.version_delete_draft(version=version, by=request.user)
    messages.success(request, _("The draft was deleted."))
    return redirect("certifications:certification", pk=certification.pk)


@branch_admin_view
def version_export(request, pk):
    version = _version(request, pk)
    body = json.dumps(export_version(version), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"{version.certification.code}-v{version.number}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@branch_admin_view
def version_diff(request, pk):
    version = _version(request, pk)
    others = version.certification.versions.exclude(pk=version.pk).order_by("-number")
    other_pk = request.GET.get("avec")
    if other_pk:
        other = _version(request, other_pk) if str(other_pk).isdigit() else None
        if other is None or other.certification_id != version.certification_id:
            raise Http404
    else:
        other = version.based_on or others.filter(number__lt=version.number).first()
    diff = diff_versions(other, version) if other else None
    # The correspondence recorded when this version was published, from its previous version.
    mapping = version_mapping(version)
    return render(
        request,
        "certifications/version_diff.html",
        {
            "version": version,
            "other": other,
            "others": others,
            "diff": diff,
            "mapping": mapping,
            "mapping_from": mapping[0].old_block.version if mapping else None,
            "certification": version.certification,
        },
    )


@branch_admin_view
def activities_edit(request, pk):
    version = _version(request, pk)
    if request.method == "POST":
        formset = forms.ActivityFormSet(request.POST, prefix="activities")
        if formset.is_valid():
            rows = forms.ordered_texts(formset, key="title")
            services.activities_save(
                version=version,
                by=request.user,
                activities=[{"title": r["title"], "description": r.get("description", "")} for r in rows],
            )
            messages.success(request, _("The activities were saved."))
            return redirect("certifications:version", pk=version.pk)
    else:
        initial = [
            {"title": a.title, "description": a.description, "ORDER": i + 1}
            for i, a in enumerate(version.activities.order_by("order", "pk"))
        ]
        formset = forms.ActivityFormSet(prefix="activities", initial=initial)
    return render(
        request,
        "certifications/activities_form.html",
        {"version": version, "certification": version.certification, "formset": formset},
    )


@branch_admin_view
def block_edit(request, version_pk, block_pk=None):
    version = _version(request, version_pk)
    block = get_object_or_404(SkillBlock, pk=block_pk, version=version) if block_pk else None
    data = request.POST if request.method == "POST" else None
    if block is not None and data is None:
        initial = {
            "code": block.code,
            "title": block.title,
            "mandatory": block.mandatory,
            "description": block.description,
        }
        competencies = [{"text": c.text, "ORDER": i + 1} for i, c in enumerate(block.competencies.all())]
        criteria = [{"text": c.text, "ORDER": i + 1} for i, c in enumerate(block.criteria.all())]
        modalities = [{"kind": m.kind, "description": m.description} for m in block.modalities.all()]
    else:
        initial, competencies, criteria, modalities = {"mandatory": True}, [], [], []
    form = forms.BlockForm(data, version=version, block=block, initial=initial, prefix="block")
    comp_fs = forms.TextItemFormSet(data, prefix="competencies", initial=competencies)
    crit_fs = forms.TextItemFormSet(data, prefix="criteria", initial=criteria)
    mod_fs = forms.ModalityFormSet(data, prefix="modalities", initial=modalities)
    if data is not None and all(f.is_valid() for f in (form, comp_fs, crit_fs, mod_fs)):
        saved = services.block_save(
            version=version,
            by=request.user,
            block=block,
            code=form.cleaned_data["code"],
            title=form.cleaned_data["title"],
            mandatory=form.cleaned_data["mandatory"],
            description=form.cleaned_data["description"],
            competencies=[r["text"] for r in forms.ordered_texts(comp_fs)],
            criteria=[r["text"] for r in forms.ordered_texts(crit_fs)],
            modalities=[
                {"kind": r["kind"], "description": r.get("description", "")}
                for r in forms.ordered_texts(mod_fs, key="kind")
            ],
        )
        messages.success(request, _("Block %(code)s saved.") % {"code": saved.code})
        return redirect(reverse("certifications:version", args=[version.pk]) + f"#block-{saved.pk}")
    return render(
        request,
        "certifications/block_form.html",
        {
            "version": version,
            "certification": version.certification,
            "block": block,
            "form": form,
            "formsets": [
                (_("Competencies"), _("A block has at least 2 competencies."), comp_fs),
                (_("Evaluation modalities"), _("At least one modality."), mod_fs),
                (_("Evaluation criteria"), _("At least one criterion."), crit_fs),
            ],
        },
        status=400 if data is not None else 200,
    )


@require_POST
@branch_admin_view
def block_remove(request, pk):
    block = get_object_or_404(SkillBlock, pk=pk)
    version = _version(request, block.version_id)
    services.block_remove(block=block, by=request.user)
    messages.success(request, _("Block %(code)s removed.") % {"code": block.code})
    return redirect("certifications:version", pk=version.pk)


@require_POST
@branch_admin_view
def block_move(request, pk, direction):
    block = get_object_or_404(SkillBlock, pk=pk)
    version = _version(request, block.version_id)
    services.block_move(block=block, by=request.user, offset=-1 if direction == "monter" else 1)
    return redirect(reverse("certifications:version", args=[version.pk]) + f"#block-{block.pk}")


@branch_admin_view
def habilitations(request, pk):
    certification = _certification(request, pk)
    form = forms.HabilitationForm(request.POST or None, initial={"valid_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.habilitation_add(
            certification=certification,
            by=request.user,
            valid_from=data["valid_from"],
            valid_until=data.get("valid_until"),
            training_provider=data["training_provider"] if data["holder"] == "provider" else None,
            evaluator=data.get("evaluator") if data["holder"] == "evaluator" else None,
        )
        messages.success(request, _("Habilitation added."))
        return redirect("certifications:habilitations", pk=certification.pk)
    rows = certification.habilitations.select_related("training_provider", "evaluator").order_by("kind", "-valid_from")
    return render(
        request,
        "certifications/habilitations.html",
        {
            "certification": certification,
            "habilitations": rows,
            "form": form,
            "today": timezone.localdate(),
            "end_form": forms.EndHabilitationForm(initial={"on_date": timezone.localdate()}),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@branch_admin_view
def habilitation_end(request, pk):
    habilitation = get_object_or_404(Habilitation, pk=pk)
    certification = _certification(request, habilitation.certification_id)
    form = forms.EndHabilitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the last valid day as a date."))
    else:
        services.habilitation_end(habilitation=habilitation, by=request.user, on_date=form.cleaned_data["on_date"])
        messages.success(request, _("Habilitation ended."))
    return redirect("certifications:habilitations", pk=certification.pk)


@branch_admin_view
def equivalences(request, pk):
    certification = _certification(request, pk)
    own = SkillBlock.objects.filter(version__certification=certification).exclude(
        version__state=ReferentialState.RETIRED
    )
    others = (
        policy.scope(request.user, SkillBlock)
        .exclude(version__certification=certification)
        .filter(version__state=ReferentialState.PUBLISHED)
        .select_related("version__certification")
        .order_by("version__certification__code", "order")
    )
    form = forms.EquivalenceForm(
        request.POST or None,
        own_blocks=own.select_related("version__certification").order_by("version__number", "order"),
        other_blocks=others,
    )
    if request.method == "POST" and form.is_valid():
        services.equivalence_add(
            from_block=form.cleaned_data["from_block"],
            to_block=form.cleaned_data["to_block"],
            by=request.user,
            bidirectional=form.cleaned_data["bidirectional"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Equivalence added."))
        return redirect("certifications:equivalences", pk=certification.pk)
    rows = (
        BlockEquivalence.objects.filter(
            Q(from_block__version__certification=certification) | Q(to_block__version__certification=certification)
        )
        .select_related("from_block__version__certification", "to_block__version__certification")
        .order_by("pk")
    )
    return render(
        request,
        "certifications/equivalences.html",
        {"certification": certification, "equivalences": rows, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@branch_admin_view
def equivalence_remove(request, pk):
    equivalence = get_object_or_404(BlockEquivalence.objects.select_related("from_block__version"), pk=pk)
    certification = _certification(request, equivalence.from_block.version.certification_id)
    services.equivalence_remove(equivalence=equivalence, by=request.user)
    messages.success(request, _("Equivalence removed."))
    return redirect("certifications:equivalences", pk=certification.pk)


@branch_admin_view
def import_upload(request):
    policy.require(request.user, "certifications.import")
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = ImportJob(
            created_by=request.user,
            original_name=upload.name[:255],
            only_cqp=form.cleaned_data["only_cqp"],
            dry_run=form.cleaned_data["dry_run"],
        )
        job.file.save(f"france-competences-{timezone.now():%Y%m%d-%H%M%S}.xml", upload, save=True)
        from certifications.tasks import import_register

        enqueue_on_commit(import_register, job.pk)
        return redirect("certifications:import_job", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user)[:20]
    return render(
        request, "certifications/import_upload.html", {"form": form, "jobs": jobs}, status=400 if form.errors else 200
    )


@branch_admin_view
def import_job(request, pk):
    job = policy.get_visible_or_404(request.user, ImportJob, pk=pk)
    return render(request, "certifications/import_job.html", {"job": job})


@branch_admin_view
def import_job_progress(request, pk):
    job = policy.get_visible_or_404(request.user, ImportJob, pk=pk)
    return JsonResponse(
        {
            "state": job.state,
            "state_label": job.get_state_display(),
            "total": job.total,
            "read": job.read,
            "created": job.created,
            "updated": job.updated,
            "unchanged": job.unchanged,
            "errors": job.errors,
            "blocks": job.blocks,
            "percent": job.percent,
            "message": job.message,
            "finished": job.state in ("done", "failed"),
        }
    )
