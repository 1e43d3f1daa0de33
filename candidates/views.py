"""HTML pages: the candidate's "Mon parcours", the evaluator's worklist, the provider /
staff pages. Every object is fetched through the policy scope; every write is a service."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from candidates import selectors, services
from candidates.forms import (
    CSV_COLUMNS,
    CSV_HELP,
    AssessmentForm,
    AssignForm,
    CandidateForm,
    CourseProgressForm,
    CourseStartForm,
    CsvImportForm,
    EnrolForm,
    EvidenceForm,
    PathCreateForm,
    PositioningForm,
    SelfAssessmentForm,
    SignUpForm,
    add_rule_violation,
    possible_trainers,
)
from candidates.models import (
    BlockAssessment,
    BlockPlan,
    Candidate,
    CompetencySelfAssessment,
    Evidence,
    ExperienceRecord,
    Path,
    PathBlock,
    PathState,
)
from candidates.services.admissibility import is_nearing
from certifications.models import SkillBlock, TrainingProvider
from cqp_portal import policy
from cqp_portal.accounts.models import Role
from cqp_portal.decorators import role_required
from cqp_portal.errors import Conflict, RuleViolation
from cqp_portal.policy.roles import admin_branch_ids, provider_ids
from cqp_portal.storage import stored_file_response
from juries.certificates.selectors import certificates_by_path
from juries.selectors import decision_summaries_for_paths

# Transition name → the policy action that guards it (the service checks it again).
TRANSITION_ACTIONS = {
    "register": "path.register",
    "request_admissibility": "path.request_admissibility",
    "declare_admissible": "path.decide_admissibility",
    "declare_inadmissible": "path.decide_admissibility",
    "start_positioning": "path.position",
    "start_course": "path.start_course",
    "start_evaluation": "path.start_evaluation",
    "submit_to_jury": "path.submit_to_jury",
    "return_to_evaluation": "path.return_to_evaluation",
    "withdraw": "path.withdraw",
}
TRANSITION_LABELS = {
    "register": gettext_lazy("Register"),
    "request_admissibility": gettext_lazy("Request VAE admissibility"),
    "declare_admissible": gettext_lazy("Declare admissible"),
    "declare_inadmissible": gettext_lazy("Declare inadmissible"),
    "start_positioning": gettext_lazy("Start positioning"),
    "start_course": gettext_lazy("Start the course"),
    "start_evaluation": gettext_lazy("Start the evaluation"),
    "submit_to_jury": gettext_lazy("Send to the jury"),
    "return_to_evaluation": gettext_lazy("Return to evaluation"),
    "withdraw": gettext_lazy("Withdraw"),
}
# Transitions that need a reason typed by the person.
NOTE_REQUIRED = {"declare_inadmissible", "return_to_evaluation"}


def available_transitions(user, path) -> list[dict]:
    result = []
    for name, action in TRANSITION_ACTIONS.items():
        if can_proceed(getattr(path, name)) and policy.allowed(user, action, path):
            result.append({"name": name, "label": TRANSITION_LABELS[name], "needs_note": name in NOTE_REQUIRED})
    return result


# --- candidate -------------------------------------------------------------------------


@login_required
@role_required(Role.CANDIDATE)
def my_paths(request):
    paths = list(selectors.candidate_paths(request.user).order_by("-created_at", "-pk"))
    selectors.attach_timelines(paths)
    selectors.attach_validated_blocks(paths)
    decisions = decision_summaries_for_paths(paths)
    certificates = certificates_by_path(paths)
    cards = []
    for path in paths:
        cards.append(
            {
                "path": path,
                "decision": decisions.get(path.pk),
                "certificates": certificates.get(path.pk, []),
                "blocks": selectors.block_lines(path),
                "next_step": selectors.next_step(path),
                # The VAE request is sent from the admissibility file page, with its checks.
                "actions": [
                    t
                    for t in available_transitions(request.user, path)
                    if t["name"] not in ("withdraw", "request_admissibility")
                ],
                "evidence_form": None if path.is_final else EvidenceForm(prefix=f"p{path.pk}"),
            }
        )
    return render(request, "candidates/my_paths.html", {"cards": cards})


def signup(request):
    if request.user.is_authenticated:
        return redirect("candidates:my_paths")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        email, password = data.pop("email"), data.pop("password1")
        data.pop("password2")
        try:
            candidate = services.candidate_sign_up(email=email, password=password, **data)
        except RuleViolation as exc:
            add_rule_violation(form, exc)
        else:
            login(request, candidate.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your account is created. Choose the certification you prepare."))
            return redirect("candidates:enrol")
    return render(
        request,
        "candidates/form_page.html",
        {"form": form, "title": _("Create my candidate account"), "submit": _("Create my account")},
    )


@login_required
@role_required(Role.CANDIDATE)
def enrol(request):
    candidate = Candidate.objects.filter(user=request.user).first()
    if candidate is None:
        raise Http404
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            path = services.path_create(
                candidate=candidate,
                certification=form.cleaned_data["certification"],
                access_route=form.cleaned_data["access_route"],
                start_date=form.cleaned_data["start_date"],
                by=request.user,
            )
            services.path_register(path=path, by=request.user)
        except RuleViolation as exc:
            add_rule_violation(form, exc)
            for detail in exc.details[1:]:
                form.add_error(exc.field if exc.field in form.fields else None, str(detail))
        else:
            messages.success(request, _("You are registered. The next step is shown below."))
            return redirect("candidates:my_paths")
    return render(
        request,
        "candidates/form_page.html",
        {"form": form, "title": _("Enrol for a certification"), "submit": _("Enrol")},
    )


@login_required
def self_assessment(request, pk):
    path = policy.get_visible_or_404(request.user, Path, pk=pk)
    policy.require(request.user, "path.self_position", path)
    rows = path.path_blocks.select_related("block").prefetch_related("block__competencies").exclude(plan=BlockPlan.HELD)
    existing = dict(
        CompetencySelfAssessment.objects.filter(path_block__path=path).values_list("competency_id", "level")
    )
    form = SelfAssessmentForm(request.POST or None, rows=rows, existing=existing)
    if request.method == "POST" and form.is_valid():
        services.path_self_assess(path=path, by=request.user, levels=form.levels())
        messages.success(request, _("Your self-assessment is saved."))
        return redirect("candidates:my_paths")
    return render(request, "candidates/self_assessment.html", {"form": form, "path": path})


# --- evidence --------------------------------------------------------------------------


@login_required
@require_POST
def evidence_upload(request, pk):
    path = policy.get_visible_or_404(request.user, Path, pk=pk)
    form = EvidenceForm(request.POST, request.FILES, prefix=request.POST.get("prefix") or None)
    if not form.is_valid():
        raise RuleViolation(_("Choose a file and its kind."), field="file")
    services.evidence_upload(
        path=path, by=request.user, uploaded_file=form.cleaned_data["file"], kind=form.cleaned_data["kind"]
    )
    messages.success(request, _("The document is added to your file."))
    return redirect(_safe_next(request) or reverse("candidates:my_paths"))


@login_required
def evidence_download(request, pk):
    # Visible only to the people the evidence policy names; others get a 404 (existence not revealed).
    evidence = get_object_or_404(policy.scope(request.user, Evidence), pk=pk)
    return stored_file_response(
        evidence.file,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


# --- evaluator ---------------------------------------------------------------------------


@login_required
@role_required(Role.EVALUATOR)
def worklist(request):
    paths = list(selectors.worklist_paths(request.user))
    rows = []
    for path in paths:
        lines = selectors.block_lines(path)
        rows.append(
            {
                "path": path,
                "to_position": path.state == PathState.POSITIONING,
                "to_assess": [line for line in lines if line.row.plan != BlockPlan.HELD and not line.assessments]
                if path.state == PathState.IN_EVALUATION
                else [],
                "divergent": [line for line in lines if line.divergent],
            }
        )
    return render(request, "candidates/worklist.html", {"rows": rows})


@login_required
def path_detail(request, pk):
    qs = Path.objects.select_related(
        "candidate", "certification", "version", "evaluator", "workplace_tutor", "training_provider"
    ).prefetch_related(
        Prefetch(
            "path_blocks",
            queryset=PathBlock.objects.select_related("block", "held_through__block", "trainer").order_by(
                "block__order", "block__pk"
            ),
        ),
        Prefetch("assessments", queryset=selectors.current_assessments_queryset(), to_attr="current_assessments"),
        Prefetch("evidence", queryset=Evidence.objects.select_related("block", "uploaded_by")),
        Prefetch("experience_records", queryset=ExperienceRecord.objects.prefetch_related("blocks")),
    )
    path = policy.get_visible_or_404(request.user, Path, qs, pk=pk)
    selectors.attach_timelines([path])
    selectors.attach_validated_blocks([path])
    user = request.user
    can_position = path.state == PathState.POSITIONING and policy.allowed(user, "path.position", path)
    can_assess = path.state in (PathState.IN_EVALUATION, PathState.READY_FOR_JURY) and policy.allowed(
        user, "path.assess", path
    )
    context = {
        "path": path,
        "admissibility_nearing": is_nearing(path),
        "blocks": selectors.block_lines(path),
        "next_step": selectors.next_step(path),
        "transitions": available_transitions(user, path),
        "positioning_form": PositioningForm(rows=path.path_blocks.all(), trainers=possible_trainers(path))
        if can_position
        else None,
        "can_assess": can_assess,
        "course_form": CourseStartForm(path=path)
        if path.state == PathState.POSITIONING and policy.allowed(user, "path.start_course", path)
        else None,
        "progress_form": CourseProgressForm(rows=path.path_blocks.all())
        if path.state == PathState.IN_COURSE and policy.allowed(user, "path.start_course", path)
        else None,
        "assign_form": AssignForm(initial={"evaluator": path.evaluator_id, "workplace_tutor": path.workplace_tutor_id})
        if not path.is_final and policy.allowed(user, "path.assign", path)
        else None,
        "evidence_form": EvidenceForm()
        if not path.is_final and policy.allowed(user, "path.upload_evidence", path)
        else None,
        "superseded": BlockAssessment.objects.filter(path=path, superseded_by__isnull=False)
        .select_related("block", "evaluator", "superseded_by")
        .order_by("block__order", "pk"),
    }
    return render(request, "candidates/path_detail.html", context)


@login_required
@require_POST
def path_transition(request, pk, name):
    path = policy.get_visible_or_404(request.user, Path, pk=pk)
    if name not in services.TRANSITIONS:
        raise Http404
    # The page showed a state: if the path moved since, say so instead of acting on it.
    if request.POST.get("from_state") and request.POST["from_state"] != path.state:
        raise Conflict()
    services.TRANSITIONS[name](path=path, by=request.user, note=request.POST.get("note", "").strip())
    # base.html already prefixes a success message with "Done:": the step's name is enough.
    messages.success(request, f"{TRANSITION_LABELS[name]}.")
    return redirect(_safe_next(request) or reverse("candidates:path_detail", args=[pk]))


def _safe_next(request) -> str | None:
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


@login_required
@require_POST
def path_positioning(request, pk):
    path = policy.get_visible_or_404(request.user, Path, pk=pk)
    rows = path.path_blocks.select_related("block").order_by("block__order", "block__pk")
    form = PositioningForm(request.POST, rows=rows, trainers=possible_trainers(path))
    if not form.is_valid():
        raise RuleViolation(_("Check the positioning of every block."))
    services.path_confirm_positioning(
        path=path, by=request.user, plans=form.plans(), planned_hours=form.hours(), trainers=form.trainers()
    )
    messages.success(request, _("The positioning is confirmed."))
    return redirect("candidates:path_detail", pk=pk)


@login_required
@require_POST
def path_assign(request, pk):
    path = policy.get_visible_or_404(request.user, Path, pk=pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        raise RuleViolation(_("Choose people from the lists."))
    services.path_assign(
        path=path,
        by=request.user,
        evaluator=form.cleaned_data["evaluator"],
        workplace_tutor=form.cleaned_data["workplace_tutor"],
    )
    messages.success(request, _("The assignment is saved."))
    return redirect("candidates:path_detail", pk=pk)


@login_required
@require_POST
def course_start(request, pk):
    path = policy.get_visible_or_404(request.user, Path, pk=pk)
    form = CourseStartForm(request.POST, path=path)
    if not form.is_valid():
        raise RuleViolation(_("Check the course dates and the training provider."))
    services.path_start_course(path=path, by=request.user, **form.cleaned_data)
    messages.success(request, _("The course has started."))
    return redirect("candidates:path_detail", pk=pk)


@login_required
@require_POST
def course_progress(request, pk):
    path = policy.get_visible_or_404(request.user, Path, Path.objects.prefetch_related("path_blocks__block"), pk=pk)
    form = CourseProgressForm(request.POST, rows=path.path_blocks.all())
    if not form.is_valid():
        raise RuleViolation(_("Hours are whole numbers, zero or more."))
    services.course_record_progress(path=path, by=request.user, completed_hours=form.completed_hours())
    messages.success(request, _("The course progress is saved."))
    return redirect("candidates:path_detail", pk=pk)


@login_required
def assessment_create(request, pk, block_pk):
    path = policy.get_visible_or_404(request.user, Path, pk=pk)
    policy.require(request.user, "path.assess", path)
    block = get_object_or_404(
        SkillBlock.objects.prefetch_related("criteria", "modalities"), pk=block_pk, version=path.version
    )
    current = (
        BlockAssessment.objects.filter(path=path, block=block, evaluator=request.user, superseded_by__isnull=True)
        .order_by("-pk")
        .first()
    )
    correcting = path.state == PathState.READY_FOR_JURY
    form = AssessmentForm(
        request.POST or None,
        request.FILES or None,
        block=block,
        correcting=correcting,
        certification=path.certification,
    )
    if request.method == "POST" and form.is_valid():
        modality = block.modalities.get(pk=form.cleaned_data["modality"])
        try:
            # One service call, one transaction: assessment, criteria, evidence and audit together.
            assessment = services.assessment_record(
                path=path,
                block=block,
                by=request.user,
                modality=modality,
                assessed_on=form.cleaned_data["assessed_on"],
                outcome=form.cleaned_data["outcome"],
                criterion_results=form.criterion_results(),
                comment=form.cleaned_data["comment"],
                supersedes=current if correcting else None,
                correction_reason=form.cleaned_data.get("correction_reason", ""),
                evidence_file=form.cleaned_data.get("evidence_file") or None,
            )
        except RuleViolation as exc:
            add_rule_violation(form, exc)
        else:
            if assessment.already_recorded:
                messages.info(request, _("This assessment of %(code)s was already recorded.") % {"code": block.code})
            else:
                messages.success(request, _("The assessment of %(code)s is recorded.") % {"code": block.code})
            return redirect("candidates:path_detail", pk=pk)
    return render(
        request,
        "candidates/assessment_form.html",
        # "block" inside {% block %} is Django's block node: the template reads "skill_block".
        {"form": form, "path": path, "skill_block": block, "current": current, "correcting": correcting},
    )


# --- provider / staff --------------------------------------------------------------------


def _manager_required(request):
    user = request.user
    if not (user.is_staff or provider_ids(user) or admin_branch_ids(user)):
        raise Http404


@login_required
@role_required(Role.PROVIDER_STAFF, Role.BRANCH_ADMIN)
def provider_paths(request):
    _manager_required(request)
    paths = list(selectors.paths_for_user(request.user).order_by("-created_at", "-pk"))
    return render(request, "candidates/provider_paths.html", {"paths": paths})


@login_required
@role_required(Role.PROVIDER_STAFF, Role.BRANCH_ADMIN)
def candidate_create(request):
    _manager_required(request)
    form = CandidateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        candidate = services.candidate_create(by=request.user, **form.cleaned_data)
        messages.success(request, _("%(name)s is created. Now open a path.") % {"name": candidate.display_name})
        return redirect(f"{reverse('candidates:path_create')}?candidate={candidate.pk}")
    return render(
        request,
        "candidates/form_page.html",
        {"form": form, "title": _("New candidate"), "submit": _("Create the candidate")},
    )


@login_required
def candidate_identity(request, pk: int):
    """Correct a candidate's identity (a typing error, a CDC rejection), with the creation rules."""
    candidate = policy.get_visible_or_404(request.user, Candidate, pk=pk)
    policy.require(request.user, "candidate.update_identity", candidate)
    form = CandidateForm(request.POST or None, instance=candidate)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.fields if name in services.IDENTITY_EDIT_FIELDS}
        services.candidate_update_identity(candidate=Candidate.objects.get(pk=pk), by=request.user, **fields)
        messages.success(request, _("%(name)s: identity saved.") % {"name": candidate.display_name})
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("workspace")
        return redirect(target)
    return render(
        request,
        "candidates/form_page.html",
        {"form": form, "title": _("Identity of %(name)s") % {"name": candidate.display_name}, "submit": _("Save")},
    )


@login_required
@role_required(Role.PROVIDER_STAFF, Role.BRANCH_ADMIN)
def path_create(request):
    _manager_required(request)
    user = request.user
    candidates = policy.scope(user, Candidate).order_by("birth_name", "first_names")
    providers = (
        TrainingProvider.objects.all()
        if user.is_staff or admin_branch_ids(user)
        else TrainingProvider.objects.filter(pk__in=provider_ids(user))
    )
    initial = {"candidate": request.GET.get("candidate")}
    if providers.count() == 1:
        initial["training_provider"] = providers.first()
    form = PathCreateForm(request.POST or None, candidates=candidates, providers=providers, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            path = services.path_create(
                candidate=data["candidate"],
                certification=data["certification"],
                access_route=data["access_route"],
                start_date=data["start_date"],
                training_provider=data["training_provider"],
                evaluator=data["evaluator"],
                by=user,
            )
        except RuleViolation as exc:
            add_rule_violation(form, exc)
        else:
            messages.success(request, _("The path is created as a draft: register it when the file is complete."))
            return redirect("candidates:path_detail", pk=path.pk)
    return render(
        request, "candidates/form_page.html", {"form": form, "title": _("New path"), "submit": _("Create the path")}
    )


@login_required
@role_required(Role.PROVIDER_STAFF, Role.BRANCH_ADMIN)
def candidate_import(request):
    _manager_required(request)
    form = CsvImportForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            form.add_error("file", _("The file must be encoded in UTF-8."))
        else:
            try:
                created = services.candidate_import_csv(by=request.user, text=text)
            except RuleViolation as exc:
                add_rule_violation(form, exc)
                row_errors = exc.details
            else:
                messages.success(request, _("%(count)s candidate(s) imported.") % {"count": len(created)})
                return redirect("candidates:provider_paths")
    return render(
        request,
        "candidates/import.html",
        {"form": form, "row_errors": row_errors, "columns": CSV_COLUMNS, "choices": CSV_HELP},
    )


# --- personal data (GDPR) ----------------------------------------------------------------------


@login_required
@role_required(Role.CANDIDATE)
def gdpr_export(request):
    """Mon parcours → "Download my data": a zip of everything held about oneself."""
    from django.http import HttpResponse

    from candidates import gdpr

    candidate = get_object_or_404(Candidate, user=request.user)
    content = gdpr.candidate_export_zip(candidate=candidate, by=request.user)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="mes-donnees-portail-cqp.zip"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def gdpr_anonymise(request, pk):
    """Staff only (policy "candidate.anonymise"); others do not learn whether the candidate exists."""
    from candidates import gdpr

    candidate = policy.get_visible_or_404(request.user, Candidate, pk=pk)
    policy.require(request.user, "candidate.anonymise", candidate)  # before any form feedback
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the anonymisation."))
        return redirect(request.POST.get("next") or "workspace")
    gdpr.candidate_anonymise(candidate=candidate, by=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, _("The candidate is anonymised: identity and evidence erased, account closed."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("workspace")
    return redirect(target)
