"""Jury pages: "Mes sessions", the session and its dossiers, the deliberation grid, the
close/sign flow, planning and ratification for branch administrators, decisions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from candidates.models import Candidate, Evidence
from certifications.models import Certification
from cqp_portal import policy
from cqp_portal.accounts.models import Role
from cqp_portal.decorators import role_required
from cqp_portal.errors import Conflict, RuleViolation
from cqp_portal.policy.roles import admin_branch_ids
from cqp_portal.storage import stored_file_response
from juries import selectors, services
from juries.forms import (
    AppealDecisionForm,
    AppealForm,
    CorrectionForm,
    DossierForm,
    LinkForm,
    MemberForm,
    SessionForm,
)
from juries.models import Appeal, College, Decision, Dossier, JuryMember, JurySession, SessionState


def _session(request, pk) -> JurySession:
    return policy.get_visible_or_404(request.user, JurySession, pk=pk)


def _roles(user, session) -> dict:
    return {
        "is_member": policy.allowed(user, "jury_session.deliberate", session),
        "is_president": policy.allowed(user, "jury_session.preside", session),
        "manages": policy.allowed(user, "jury_session.manage", session),
        "records_attendance": policy.allowed(user, "jury_session.record_attendance", session),
    }


def _is_planner(user) -> bool:
    return user.is_staff or user.has_role(Role.BRANCH_ADMIN)


# --- "Mes sessions" and planning -----------------------------------------------------------


@login_required
@role_required(Role.JURY_MEMBER, Role.BRANCH_ADMIN)
def my_sessions(request):
    sessions = list(selectors.sessions_for_member(request.user))
    return render(request, "juries/my_sessions.html", {"sessions": sessions, "is_planner": _is_planner(request.user)})


def _administered_certifications(user):
    if user.is_staff:
        return Certification.objects.all()
    return Certification.objects.filter(branches__in=admin_branch_ids(user)).distinct()


@login_required
@role_required(Role.BRANCH_ADMIN)
def planning(request):
    form = SessionForm(request.POST or None, certifications=_administered_certifications(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            session = services.jury_session_create(
                certifications=form.cleaned_data["certifications"],
                date=form.cleaned_data["date"],
                place=form.cleaned_data["place"],
                video_link=form.cleaned_data["video_link"],
                title=form.cleaned_data["title"],
                by=request.user,
            )
        except RuleViolation as exc:
            # The service's rule, shown next to the field it concerns.
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("Session planned. Add its members and dossiers, then convene the jury."))
            return redirect("juries:session_detail", session.pk)
    sessions = selectors.sessions_for_admin(policy.scope(request.user, JurySession)).order_by("-date", "-pk")
    return render(request, "juries/planning.html", {"form": form, "sessions": sessions})


@login_required
@role_required(Role.BRANCH_ADMIN)
def deadlines(request):
    branch_ids = None if request.user.is_staff else admin_branch_ids(request.user)
    rows = selectors.partial_awards_with_deadlines(branch_ids)
    return render(request, "juries/deadlines.html", {"rows": rows})


# --- one session ---------------------------------------------------------------------------


@login_required
def session_detail(request, pk):
    session = _session(request, pk)
    roles = _roles(request.user, session)
    members = list(session.members.select_related("user"))
    dossiers = list(
        session.dossiers.select_related("path__candidate", "path__certification").prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.filter(is_current=True), to_attr="current")
        )
    )
    context = {
        "session": session,
        "members": members,
        "dossiers": dossiers,
        "problems": selectors.composition_problems(session, members=members),
        "rules": selectors.composition_rules(session),
        **roles,
    }
    if roles["manages"] and session.state in (SessionState.PLANNED, SessionState.CONVENED):
        context["member_form"] = MemberForm()
        context["dossier_form"] = DossierForm(paths=selectors.eligible_paths(session))
    member = next((m for m in members if m.user_id == request.user.pk), None)
    if member is not None and session.is_open:
        context["link_form"] = LinkForm(candidates=Candidate.objects.filter(paths__jury_dossiers__session=session))
        context["my_member"] = member
    return render(request, "juries/session_detail.html", context)


@login_required
@require_POST
def member_add(request, pk):
    session = _session(request, pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        services.jury_member_add(
            session=session,
            user=form.cleaned_data["user"],
            college=form.cleaned_data["college"],
            is_president=form.cleaned_data["is_president"],
            by=request.user,
        )
        messages.success(request, _("Member added."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("juries:session_detail", session.pk)


@login_required
@require_POST
def member_remove(request, pk, member_pk):
    session = _session(request, pk)
    member = get_object_or_404(JuryMember, pk=member_pk, session=session)
    services.jury_member_remove(member=member, by=request.user)
    messages.success(request, _("Member removed."))
    return redirect("juries:session_detail", session.pk)


@login_required
@require_POST
def member_presence(request, pk, member_pk):
    session = _session(request, pk)
    member = get_object_or_404(JuryMember, pk=member_pk, session=session)
    services.jury_member_set_presence(member=member, present=request.POST.get("present") == "1", by=request.user)
    messages.success(request, _("Attendance recorded."))
    return redirect("juries:session_detail", session.pk)


@login_required
@require_POST
def link_declare(request, pk):
    session = _session(request, pk)
    member = get_object_or_404(JuryMember, session=session, user=request.user)
    form = LinkForm(request.POST, candidates=Candidate.objects.filter(paths__jury_dossiers__session=session).distinct())
    if form.is_valid():
        services.member_link_declare(
            member=member,
            candidate=form.cleaned_data["candidate"],
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
        messages.success(request, _("Link declared: you will not decide on this candidate."))
    else:
        messages.error(request, _("Choose a candidate and the kind of link."))
    return redirect("juries:session_detail", session.pk)


@login_required
@require_POST
def dossier_add(request, pk):
    session = _session(request, pk)
    form = DossierForm(request.POST, paths=selectors.eligible_paths(session))
    if form.is_valid():
        services.dossier_add(session=session, path=form.cleaned_data["path"], by=request.user)
        messages.success(request, _("Dossier added."))
    else:
        messages.error(request, _("Choose a path ready for jury."))
    return redirect("juries:session_detail", session.pk)


@login_required
@require_POST
def dossier_remove(request, pk, dossier_pk):
    session = _session(request, pk)
    dossier = get_object_or_404(Dossier, pk=dossier_pk, session=session)
    services.dossier_remove(dossier=dossier, by=request.user)
    messages.success(request, _("Dossier removed."))
    return redirect("juries:session_detail", session.pk)


SESSION_ACTIONS = {
    "convene": (services.jury_session_convene, _("The jury is convened; convocations are being sent.")),
    "start_deliberation": (services.jury_session_start_deliberation, _("The deliberation is open.")),
    "close": (services.jury_session_close, _("Session closed. The minutes are being generated.")),
    "ratify": (services.jury_session_ratify, _("Decisions ratified: the award date is set.")),
}


@login_required
@require_POST
def session_action(request, pk, action):
    session = _session(request, pk)
    if action not in SESSION_ACTIONS:
        raise Http404
    service, message = SESSION_ACTIONS[action]
    service(session=session, by=request.user)
    messages.success(request, message)
    target = "juries:close" if action == "close" else "juries:session_detail"
    return redirect(target, session.pk)


# --- dossiers --------------------------------------------------------------------------------


@login_required
def dossier_detail(request, pk, dossier_pk):
    session = _session(request, pk)
    dossier = get_object_or_404(
        policy.scope(request.user, Dossier).select_related("path__candidate", "path__certification", "path__version"),
        pk=dossier_pk,
        session=session,
    )
    detail = selectors.dossier_detail(dossier)
    return render(request, "juries/dossier_detail.html", {"session": session, "dossier": dossier, **detail})


@login_required
def evidence_download(request, pk, dossier_pk, evidence_pk):
    session = _session(request, pk)
    dossier = get_object_or_404(policy.scope(request.user, Dossier), pk=dossier_pk, session=session)
    evidence = get_object_or_404(Evidence, pk=evidence_pk, path_id=dossier.path_id)
    # The type checked by content at upload, never one guessed from the file name.
    return stored_file_response(
        evidence.file, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )


# --- deliberation grid -------------------------------------------------------------------------


@login_required
def grid(request, pk):
    session = _session(request, pk)
    roles = _roles(request.user, session)
    if not (roles["is_member"] or roles["manages"]):
        raise PermissionDenied
    return render(
        request,
        "juries/grid.html",
        {
            "session": session,
            "tables": selectors.grid_page(session),
            "editable": session.state == SessionState.DELIBERATING and roles["is_member"],
            **roles,
        },
    )


def _tri(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


@login_required
@require_POST
def grid_row_save(request, pk, decision_pk):
    session = _session(request, pk)
    decision = get_object_or_404(Decision, pk=decision_pk, dossier__session=session)
    block_ids = [bd.block_id for bd in decision.block_decisions.all() if not bd.held]
    try:
        expected = int(request.POST.get("row_version", ""))
    except ValueError:
        expected = -1
    anchor = f"{reverse('juries:grid', args=[session.pk])}#row-{decision.dossier_id}"
    try:
        services.decision_update(
            decision=decision,
            by=request.user,
            expected_version=expected,
            blocks={bid: _tri(request.POST.get(f"block_{bid}")) for bid in block_ids},
            block_reasons={bid: request.POST.get(f"reason_{bid}", "") for bid in block_ids},
            reasons=request.POST.get("reasons", ""),
            recommendations=request.POST.get("recommendations", ""),
        )
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(anchor)
    messages.success(
        request, _("Decision on %(candidate)s saved.") % {"candidate": decision.dossier.path.candidate.display_name}
    )
    return redirect(anchor)


# --- close and sign ----------------------------------------------------------------------------


@login_required
def close(request, pk):
    session = _session(request, pk)
    roles = _roles(request.user, session)
    if not (roles["is_member"] or roles["manages"]):
        raise PermissionDenied
    blockers = services.close_blockers(session) if session.state == SessionState.DELIBERATING else []
    approvals = list(
        session.minutes_approvals.filter(version=session.pv_version).select_related("user").order_by("approved_at")
    )
    members = list(session.members.select_related("user"))
    me = next((m for m in members if m.user_id == request.user.pk), None)
    context = {
        "session": session,
        "blockers": blockers,
        "rules": selectors.composition_rules(session),
        "approvals": approvals,
        "vice_president": next((m for m in members if m.is_vice_president), None),
        "vice_candidates": _vice_candidates(members),
        "may_approve": me is not None
        and (me.is_president or me.is_vice_president)
        and not any(a.user_id == request.user.pk for a in approvals),
        "uses_totp": _uses_totp(request.user),
        **roles,
    }
    return render(request, "juries/close.html", context)


def _vice_candidates(members) -> list:
    president = next((m for m in members if m.is_president), None)
    return [
        m
        for m in members
        if not m.is_president and m.college != College.EXPERT and (president is None or m.college != president.college)
    ]


def _uses_totp(user) -> bool:
    from django_otp import devices_for_user

    return bool(list(devices_for_user(user, confirmed=True)))


@login_required
@require_POST
def approve_minutes(request, pk):
    """President or vice-president: approve the minutes after re-entering the second factor.
    A wrong code is a message on the page (DomainErrorMiddleware), nothing is recorded."""
    session = _session(request, pk)
    services.jury_session_approve_minutes(
        session=session,
        by=request.user,
        second_factor=request.POST.get("second_factor", ""),
        sha256_seen=request.POST.get("sha256"),
    )
    messages.success(request, _("Minutes approved."))
    return redirect("juries:close", session.pk)


@login_required
@require_POST
def set_vice_president(request, pk):
    session = _session(request, pk)
    member = session.members.filter(pk=request.POST.get("member") or 0).first()
    if member is None:
        messages.error(request, _("Choose a member of the jury."))
        return redirect("juries:close", session.pk)
    services.jury_session_set_vice_president(session=session, member=member, by=request.user)
    messages.success(request, _("Vice-president named."))
    return redirect("juries:close", session.pk)


@login_required
def minutes_download(request, pk):
    session = _session(request, pk)
    policy.require(request.user, "jury_session.view_minutes", session)
    if not session.pv_file:
        raise Http404
    return stored_file_response(session.pv_file, as_attachment=False, filename=f"pv-jury-{session.date:%Y%m%d}.pdf")


# --- decisions, corrections, appeals -----------------------------------------------------------


@login_required
def decision_detail(request, pk):
    decision = policy.get_visible_or_404(
        request.user,
        Decision,
        Decision.objects.select_related("dossier__session", "dossier__path__candidate", "dossier__path__certification"),
        pk=pk,
    )
    path = decision.dossier.path
    session = decision.dossier.session
    context = {
        "decision": decision,
        "session": session,
        "path": path,
        "summary": selectors.decision_summary_for_path(path) if decision.is_current else None,
        "block_decisions": list(decision.block_decisions.select_related("block")),
        "appeals": list(decision.appeals.all()),
        "history": list(
            Decision.objects.filter(dossier=decision.dossier, state="final").order_by("pk").select_related("decided_by")
        ),
        "appeal_deadline": services.appeal_deadline(decision),
    }
    if decision.is_final and decision.is_current:
        if policy.allowed(request.user, "jury_appeal.file", decision):
            context["appeal_form"] = AppealForm()
        if policy.allowed(request.user, "jury_decision.correct", decision):
            context["correction_form"] = CorrectionForm(decision=decision)
    pending = next((a for a in context["appeals"] if a.state == "filed"), None)
    if pending and policy.allowed(request.user, "jury_appeal.decide", pending):
        context["pending_appeal"] = pending
        context["appeal_decision_form"] = AppealDecisionForm(decision=decision)
    return render(request, "juries/decision_detail.html", context)


@login_required
@require_POST
def decision_correct(request, pk):
    decision = policy.get_visible_or_404(request.user, Decision, pk=pk)
    form = CorrectionForm(request.POST, decision=decision)
    if not form.is_valid():
        messages.error(request, _("A correction needs a reason and a decision on every block."))
        return redirect("juries:decision_detail", decision.pk)
    new = services.decision_correct(
        decision=decision, by=request.user, reason=form.cleaned_data["reason"], blocks=form.blocks()
    )
    messages.success(request, _("Correction recorded: it supersedes the previous decision."))
    return redirect("juries:decision_detail", new.pk)


@login_required
@require_POST
def appeal_file(request, pk):
    decision = policy.get_visible_or_404(request.user, Decision, pk=pk)
    form = AppealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reasoned appeal states its reasons."))
        return redirect("juries:decision_detail", decision.pk)
    services.appeal_file(decision=decision, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Appeal filed. You will be told of the answer."))
    return redirect("juries:decision_detail", decision.pk)


@login_required
@require_POST
def appeal_decide(request, pk):
    appeal = policy.get_visible_or_404(request.user, Appeal, pk=pk)
    form = AppealDecisionForm(request.POST, decision=appeal.decision)
    if not form.is_valid():
        messages.error(request, _("Give the answer and its reasons."))
        return redirect("juries:decision_detail", appeal.decision_id)
    appeal = services.appeal_decide(
        appeal=appeal,
        by=request.user,
        upheld=form.cleaned_data["upheld"],
        note=form.cleaned_data["note"],
        blocks=form.blocks() if form.cleaned_data["upheld"] else None,
    )
    messages.success(request, _("Appeal decided."))
    return redirect("juries:decision_detail", appeal.new_decision_id or appeal.decision_id)
