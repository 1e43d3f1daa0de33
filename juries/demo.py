"""Demo juries: one session in deliberation on the CQP Serveur en restauration (dossiers that
will give a full award, a partial award and a refusal), and one closed, ratified session on
the CQPI Tuteur en entreprise with its minutes. Driven through the services, so the audit
trail is real. Idempotent: sessions are found by their title."""

import datetime

from django.utils import timezone

from candidates.models import (
    AccessRoute,
    AssessmentOutcome,
    BlockAssessment,
    BlockPlan,
    Candidate,
    CandidateStatus,
    Path,
    PathBlock,
    PathState,
)
from certifications.models import Certification, ReferentialState
from cqp_portal.accounts.demo import DEMO_PASSWORD
from cqp_portal.accounts.models import Role, RoleAssignment, User
from cqp_portal.audit.services import audit_record
from juries import services
from juries.models import College, Decision, JurySession

SERVEUR = "cqp-serveur-restauration"
TUTEUR = "cqpi-tuteur-entreprise"
READY_TITLE = "Jury national CQP Serveur en restauration (démo)"
CLOSED_TITLE = "Jury national CQPI Tuteur en entreprise (démo)"
PRESIDENT = "jury@demo.cqp.fr"
PLANNER = "admin.hcr@demo.cqp.fr"
EVALUATOR = "evaluateur@demo.cqp.fr"

# The vice-president of the closed demo session, who approves its minutes with the president.
VICE_PRESIDENT = "jury.salarie1@demo.cqp.fr"
# (e-mail, first name, last name, college): members without a demo login.
MEMBERS = [
    ("jury.employeur@demo.cqp.fr", "Bernard", "Caron", College.EMPLOYER),
    ("jury.salarie1@demo.cqp.fr", "Nadia", "Haddad", College.EMPLOYEE),
    ("jury.salarie2@demo.cqp.fr", "Pierre", "Lemaire", College.EMPLOYEE),
]

# (key, birth name, first name, sex, evaluators' outcome per block: all / some / none)
READY_CANDIDATES = [
    ("jury-demo-1", "Bertin", "Mathis", "M", "all"),
    ("jury-demo-2", "Carpentier", "Sofia", "F", "some"),
    ("jury-demo-3", "Delmas", "Yanis", "M", "none"),
]
CLOSED_CANDIDATES = [
    ("jury-demo-4", "Esnault", "Clara", "F", "all"),
    ("jury-demo-5", "Fabre", "Léon", "M", "some"),
]
# The demo logins (cqp_portal/accounts/demo.py) of the closed session's candidates, so that a
# holder can download their own certificate or attestation.
HOLDER_LOGINS = {"jury-demo-4": "titulaire@demo.cqp.fr", "jury-demo-5": "attestation@demo.cqp.fr"}


def seed(context: dict) -> None:
    out = context.get("stdout")
    users = context.get("users", {})
    president = users.get(PRESIDENT) or User.objects.filter(email=PRESIDENT).first()
    planner = users.get(PLANNER) or User.objects.filter(email=PLANNER).first()
    evaluator = users.get(EVALUATOR) or User.objects.filter(email=EVALUATOR).first()
    if not (president and planner and evaluator):
        _say(out, "  demo users missing: demo juries skipped")
        return
    members = [(president, College.EMPLOYER, True)] + [(_member(*spec[:3]), spec[3], False) for spec in MEMBERS]
    serveur, tuteur = _certification(SERVEUR), _certification(TUTEUR)
    if serveur is not None and not JurySession.objects.filter(title=READY_TITLE).exists():
        _ready_session(serveur, members, planner, president, evaluator)
    if tuteur is not None and not JurySession.objects.filter(title=CLOSED_TITLE).exists():
        _closed_session(tuteur, members, planner, president, evaluator)
    context["jury_sessions"] = list(JurySession.objects.filter(title__in=[READY_TITLE, CLOSED_TITLE]))
    _say(out, f"  {len(context['jury_sessions'])} demo jury sessions")


def _say(out, text):
    if out:
        out.write(text)


def _certification(code):
    certification = Certification.objects.filter(code=code).first()
    if certification is None or not certification.versions.filter(state=ReferentialState.PUBLISHED).exists():
        return None
    return certification


def _approve_minutes(session, president) -> None:
    """The president and the vice-president (the other college) approve; in the demo (debug,
    no two-factor authentication) the second factor re-entered is the demo password."""
    vice = session.members.select_related("user").get(user__email=VICE_PRESIDENT)
    services.jury_session_set_vice_president(session=session, member=vice, by=president)
    if not vice.user.has_usable_password():
        vice.user.set_password(DEMO_PASSWORD)
        vice.user.save(update_fields=["password"])
    services.jury_session_approve_minutes(session=session, by=president, second_factor=DEMO_PASSWORD)
    services.jury_session_approve_minutes(session=session, by=vice.user, second_factor=DEMO_PASSWORD)


def _member(email, first_name, last_name) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, None, first_name=first_name, last_name=last_name)  # unusable password
    RoleAssignment.objects.get_or_create(user=user, role=Role.JURY_MEMBER)
    return user


def _ready_path(certification, spec, evaluator, planner) -> Path:
    """A path ready for jury, positioned and assessed block by block (created as an import would)."""
    key, birth_name, first_name, sex, outcomes = spec
    email = HOLDER_LOGINS.get(key, f"{key}@demo.cqp.fr")
    candidate = Candidate.objects.filter(email=email).first()
    if candidate is None:
        candidate = Candidate.objects.create(
            user=User.objects.filter(email=email).first(),
            birth_name=birth_name,
            first_names=first_name,
            sex=sex,
            birth_date=datetime.date(1995, 3, 14),
            birth_place_code="75056",
            birth_place_code_kind="insee",
            birth_place_name="Paris",
            email=email,
            status=CandidateStatus.EMPLOYEE,
            created_by=planner,
        )
    existing = Path.objects.filter(candidate=candidate, certification=certification).first()
    if existing is not None:
        return existing
    version = certification.versions.filter(state=ReferentialState.PUBLISHED).order_by("-number").first()
    path = Path.objects.create(
        candidate=candidate,
        certification=certification,
        version=version,
        access_route=AccessRoute.CONTINUING,
        state=PathState.READY_FOR_JURY,
        start_date=timezone.localdate() - datetime.timedelta(days=180),
        evaluator=evaluator,
        created_by=planner,
    )
    audit_record(subject=path, action="path.import", by=planner, to_state=path.state, note="Démo jury")
    blocks = list(version.blocks.order_by("order", "pk"))
    day = timezone.localdate() - datetime.timedelta(days=15)
    for index, block in enumerate(blocks):
        PathBlock.objects.create(path=path, block=block, plan=BlockPlan.TO_EVALUATE)
        acquired = outcomes == "all" or (outcomes == "some" and index % 2 == 0)
        BlockAssessment.objects.create(
            path=path,
            block=block,
            evaluator=evaluator,
            modality=block.modalities.first(),
            assessed_on=day,
            outcome=AssessmentOutcome.ACQUIRED if acquired else AssessmentOutcome.NOT_ACQUIRED,
            comment="Mise en situation observée." if acquired else "Compétences non démontrées.",
        )
    return path


def _seat(session, members, planner):
    for user, college, is_president in members:
        services.jury_member_add(session=session, user=user, college=college, is_president=is_president, by=planner)


def _ready_session(certification, members, planner, president, evaluator):
    session = services.jury_session_create(
        certifications=[certification],
        date=timezone.localdate(),
        place="Paris, siège de la CPNE-FP de l'industrie hôtelière",
        title=READY_TITLE,
        by=planner,
    )
    _seat(session, members, planner)
    for spec in READY_CANDIDATES:
        services.dossier_add(session=session, path=_ready_path(certification, spec, evaluator, planner), by=planner)
    services.jury_session_convene(session=session, by=planner)
    services.jury_session_start_deliberation(session=session, by=president)


def _closed_session(certification, members, planner, president, evaluator):
    session = services.jury_session_create(
        certifications=[certification],
        date=timezone.localdate(),
        video_link="https://visio.example.org/jury-tuteur",
        title=CLOSED_TITLE,
        by=planner,
    )
    # A session of the past is history, written as an import of earlier sessions would: the
    # service only plans sessions from today on.
    JurySession.objects.filter(pk=session.pk).update(date=timezone.localdate() - datetime.timedelta(days=20))
    session.refresh_from_db()
    _seat(session, members, planner)
    for spec in CLOSED_CANDIDATES:
        services.dossier_add(session=session, path=_ready_path(certification, spec, evaluator, planner), by=planner)
    services.jury_session_convene(session=session, by=planner)
    services.jury_session_start_deliberation(session=session, by=president)
    for decision in Decision.objects.filter(dossier__session=session, is_current=True).select_related("dossier__path"):
        assessed = {
            a.block_id: a.outcome == AssessmentOutcome.ACQUIRED for a in decision.dossier.path.assessments.all()
        }
        services.decision_update(
            decision=decision,
            by=president,
            expected_version=decision.row_version,
            blocks={
                bd.block_id: assessed.get(bd.block_id, False) for bd in decision.block_decisions.all() if not bd.held
            },
            block_reasons={
                bd.block_id: "Compétences non démontrées lors de la mise en situation."
                for bd in decision.block_decisions.all()
                if not bd.held and not assessed.get(bd.block_id, False)
            },
            reasons="Conforme aux évaluations.",
            recommendations=""
            if all(assessed.values())
            else "Reprendre les blocs non validés en situation de tutorat.",
        )
    services.jury_session_close(session=session, by=president)
    # The minutes are made here, synchronously: the demo shows them at once (the task queued
    # at close then finds them and does nothing).
    session = services.jury_session_generate_minutes(session=session)
    _approve_minutes(session, president)
    services.jury_session_ratify(session=session, by=planner)
