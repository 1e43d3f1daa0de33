"""Demo candidates and paths over every state, driven through the services so each path has
its real audit timeline. Idempotent: a candidate is found by its e-mail, and a candidate
who already has a path is left as it is."""

import datetime

from django.utils import timezone
from django.utils.text import slugify

from candidates import services
from candidates.ledger import ledger_add
from candidates.models import (
    AccessRoute,
    AcquisitionSource,
    BlockPlan,
    Candidate,
    CandidateStatus,
    Path,
    PathState,
)
from certifications.models import Certification, Habilitation, HabilitationKind, ReferentialState
from cqp_portal.accounts.models import Role, RoleAssignment, User
from cqp_portal.audit.services import audit_record

SERVEUR = "cqp-serveur-restauration"
REGLEUR = "cqp-operateur-regleur"
ANIMATEUR = "cqp-animateur-periscolaire"
TUTEUR = "cqpi-tuteur-entreprise"

# (key, birth name, first names, sex, certification, access route, target state, options)
SPECS = [
    ("c01", "Durand", "Camille", "F", SERVEUR, AccessRoute.CONTINUING, PathState.IN_EVALUATION, {"assess": 2}),
    ("c02", "Lambert", "Théo", "M", SERVEUR, AccessRoute.PROFESSIONALISATION, PathState.DRAFT, {}),
    ("c03", "Garnier", "Manon", "F", SERVEUR, AccessRoute.CONTINUING, PathState.REGISTERED, {}),
    ("c04", "Chevalier", "Lucas", "M", SERVEUR, AccessRoute.VAE, PathState.ADMISSIBILITY, {}),
    ("c05", "Francois", "Chloé", "F", SERVEUR, AccessRoute.VAE, PathState.ADMISSIBLE, {}),
    ("c06", "Legrand", "Nathan", "M", SERVEUR, AccessRoute.VAE, PathState.INADMISSIBLE, {}),
    ("c07", "Gauthier", "Léa", "F", SERVEUR, AccessRoute.CONTINUING, PathState.POSITIONING, {}),
    ("c08", "Perrin", "Hugo", "M", SERVEUR, AccessRoute.PROFESSIONALISATION, PathState.IN_COURSE, {}),
    ("c09", "Robin", "Inès", "F", SERVEUR, AccessRoute.CONTINUING, PathState.IN_EVALUATION, {"assess": 1}),
    ("c10", "Clément", "Louis", "M", SERVEUR, AccessRoute.CONTINUING, PathState.READY_FOR_JURY, {}),
    ("c11", "Morin", "Sarah", "F", SERVEUR, AccessRoute.POE, PathState.READY_FOR_JURY, {}),
    ("c12", "Nicolas", "Jules", "M", SERVEUR, AccessRoute.CONTINUING, PathState.AWARDED, {}),
    ("c13", "Henry", "Zoé", "F", SERVEUR, AccessRoute.CONTINUING, PathState.REFUSED, {}),
    ("c14", "Roussel", "Adam", "M", SERVEUR, AccessRoute.CONTINUING, PathState.WITHDRAWN, {}),
    ("c15", "Mathieu", "Lina", "F", SERVEUR, AccessRoute.CONTINUING, PathState.IN_COURSE, {}),
    ("c16", "Fontaine", "Paul", "M", REGLEUR, AccessRoute.CONTINUING, PathState.IN_EVALUATION, {"double": "diverge"}),
    ("c17", "Mercier", "Emma", "F", REGLEUR, AccessRoute.PROFESSIONALISATION, PathState.IN_COURSE, {}),
    ("c18", "Blanc", "Rayan", "M", REGLEUR, AccessRoute.CONTINUING, PathState.POSITIONING, {}),
    ("c19", "Guerin", "Jade", "F", REGLEUR, AccessRoute.VAE, PathState.ADMISSIBILITY, {"single_block": True}),
    ("c20", "Boyer", "Tom", "M", REGLEUR, AccessRoute.CONTINUING, PathState.PARTIALLY_AWARDED, {"comeback": True}),
    ("c21", "Girard", "Alice", "F", REGLEUR, AccessRoute.CONTINUING, PathState.REGISTERED, {}),
    ("c22", "Andre", "Noah", "M", REGLEUR, AccessRoute.POE, PathState.DRAFT, {}),
    ("c23", "Lefebvre", "Rose", "F", ANIMATEUR, AccessRoute.PROFESSIONALISATION, PathState.IN_COURSE, {}),
    ("c24", "Masson", "Ethan", "M", ANIMATEUR, AccessRoute.CONTINUING, PathState.REGISTERED, {}),
    ("c25", "Sanchez", "Lou", "F", ANIMATEUR, AccessRoute.CONTINUING, PathState.WITHDRAWN, {}),
    ("c26", "Muller", "Gabriel", "M", TUTEUR, AccessRoute.CONTINUING, PathState.IN_EVALUATION, {"assess": 1}),
    ("c27", "Lemoine", "Anna", "F", TUTEUR, AccessRoute.CONTINUING, PathState.READY_FOR_JURY, {}),
    ("c28", "Dupuis", "Victor", "M", TUTEUR, AccessRoute.VAE, PathState.ADMISSIBLE, {}),
    ("c29", "Colin", "Julia", "F", SERVEUR, AccessRoute.CONTINUING, PathState.POSITIONING, {"prior_tuteur": True}),
    ("c30", "Vidal", "Enzo", "M", TUTEUR, AccessRoute.PROFESSIONALISATION, PathState.POSITIONING, {}),
]

ORDER = [
    PathState.DRAFT,
    PathState.REGISTERED,
    PathState.ADMISSIBILITY,
    PathState.ADMISSIBLE,
    PathState.POSITIONING,
    PathState.IN_COURSE,
    PathState.IN_EVALUATION,
    PathState.READY_FOR_JURY,
]
PROVIDER_FOR = {
    SERVEUR: "Institut Vatel Formation",
    REGLEUR: "AFPI Métallurgie Nord",
    ANIMATEUR: "Institut Vatel Formation",
    TUTEUR: "Institut Vatel Formation",
}
TUTOR_EMAIL = "tuteur@demo.cqp.fr"


def seed(context: dict) -> None:
    out = context.get("stdout")
    users = context.get("users", {})
    staff = users.get("staff@demo.cqp.fr") or User.objects.filter(is_staff=True).first()
    evaluator = users.get("evaluateur@demo.cqp.fr")
    if staff is None or evaluator is None:
        _say(out, "  demo users missing: demo candidates skipped")
        return
    certifications = {}
    for code in (SERVEUR, REGLEUR, ANIMATEUR, TUTEUR):
        certification = Certification.objects.filter(code=code).first()
        if certification is None or not certification.versions.filter(state=ReferentialState.PUBLISHED).exists():
            _say(out, f"  certification {code} missing: its demo paths are skipped")
            continue
        certifications[code] = certification
    tutor = _tutor(certifications)
    providers = context.get("providers", {})
    paths = []
    for key, birth_name, first_names, sex, code, route, target, options in SPECS:
        certification = certifications.get(code)
        if certification is None:
            continue
        user = users.get("candidat@demo.cqp.fr") if key == "c01" else None
        candidate = _candidate(key, birth_name, first_names, sex, user, staff)
        existing = list(Path.objects.filter(candidate=candidate).order_by("pk"))
        if existing:
            paths.extend(existing)
            continue
        if options.get("prior_tuteur") and TUTEUR in certifications:
            _prior_tuteur_block(candidate, certifications[TUTEUR], staff)
        provider = providers.get(PROVIDER_FOR[code])
        path = _drive(
            candidate=candidate,
            certification=certification,
            route=route,
            target=target,
            options=options,
            staff=staff,
            evaluator=evaluator,
            tutor=tutor,
            provider=provider,
        )
        paths.append(path)
        if options.get("comeback"):
            paths.append(_come_back(path, staff, evaluator, provider))
    context["paths"] = paths
    _say(out, f"  {len(paths)} demo paths")


def _say(out, text):
    if out:
        out.write(text)


def _candidate(key, birth_name, first_names, sex, user, staff) -> Candidate:
    email = user.email if user else f"{key}.{slugify(birth_name)}@demo.cqp.fr"
    candidate = Candidate.objects.filter(email=email).first()
    if candidate is None:
        candidate = services.candidate_create(
            by=staff,
            birth_name=birth_name.upper(),
            first_names=first_names,
            sex=sex,
            birth_date=datetime.date(1985 + int(key[1:]) % 15, int(key[1:]) % 12 + 1, 10),
            birth_place_code="75056",
            birth_place_code_kind="insee",
            birth_place_name="Paris",
            email=email,
            status=CandidateStatus.EMPLOYEE if int(key[1:]) % 3 else CandidateStatus.JOB_SEEKER,
            employer_name="Brasserie du Port" if int(key[1:]) % 2 else "",
        )
    if user is not None and candidate.user_id is None:
        Candidate.objects.filter(pk=candidate.pk).update(user=user)
        candidate.user = user
    return candidate


def _tutor(certifications):
    """A workplace tutor habilitated on the double-evaluation CQP (métallurgie)."""
    tutor = User.objects.filter(email=TUTOR_EMAIL).first()
    if tutor is None:
        tutor = User.objects.create_user(TUTOR_EMAIL, "demo-cqp-2026", first_name="Thierry", last_name="Roche")
    RoleAssignment.objects.get_or_create(user=tutor, role=Role.EVALUATOR)
    if REGLEUR in certifications:
        Habilitation.objects.get_or_create(
            certification=certifications[REGLEUR],
            kind=HabilitationKind.EVALUATOR,
            evaluator=tutor,
            defaults={"valid_from": datetime.date(2024, 1, 1)},
        )
    return tutor


def _prior_tuteur_block(candidate, tuteur, staff):
    version = tuteur.versions.filter(state=ReferentialState.PUBLISHED).order_by("-number").first()
    block = version.blocks.order_by("order").first()
    ledger_add(
        candidate=candidate,
        block=block,
        source=AcquisitionSource.PRIOR_AWARD,
        acquired_on=datetime.date(2024, 6, 20),
        reference="Attestation de bloc CQPI 2024",
        by=staff,
    )


DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _vae_file(path, staff):
    """The admissibility file a VAE request needs: one related experience, one document. The
    record is the candidate's own account (written here as a data import would)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from candidates.models import ExperienceRecord, ExperienceStatus

    record = ExperienceRecord.objects.create(
        path=path,
        activity="Serveur en salle, brasserie de 80 couverts",
        status=ExperienceStatus.EMPLOYEE,
        employer="Brasserie du Port",
        start_date=timezone.localdate() - datetime.timedelta(days=3 * 365),
        duration_hours=4800,
        description="Accueil, prise de commande, service à l'assiette, encaissement.",
    )
    blocks = path.version.blocks.all()
    record.blocks.set([path.vae_target_block] if path.vae_target_block_id else blocks)
    services.evidence_upload(
        path=path,
        by=staff,
        uploaded_file=SimpleUploadedFile("attestation-employeur.pdf", DEMO_PDF),
        kind="attestation",
    )


def _drive(*, candidate, certification, route, target, options, staff, evaluator, tutor, provider, previous=None):
    """Create the path and move it through the services up to ``target``."""
    today = timezone.localdate()
    vae_block = None
    if options.get("single_block"):
        version = services.latest_published_version(certification)
        vae_block = version.blocks.order_by("-order").first()
    path = services.path_create(
        candidate=candidate,
        certification=certification,
        access_route=route,
        by=staff,
        start_date=today - datetime.timedelta(days=120),
        training_provider=provider,
        evaluator=evaluator,
        vae_target_block=vae_block,
        previous_path=previous,
    )
    if certification.requires_double_evaluation and tutor is not None:
        path = services.path_assign(path=path, by=staff, workplace_tutor=tutor)
    jury_target = target in (PathState.AWARDED, PathState.PARTIALLY_AWARDED, PathState.REFUSED)
    withdraw = target == PathState.WITHDRAWN
    reach = PathState.READY_FOR_JURY if jury_target else (PathState.IN_COURSE if withdraw else target)
    if reach == PathState.INADMISSIBLE:
        path = services.path_register(path=path, by=staff)
        _vae_file(path, staff)
        path = services.path_request_admissibility(path=path, by=staff)
        return services.path_decide_admissibility(
            path=path, by=staff, admissible=False, note="Expérience sans lien avec le métier visé."
        )
    steps = ORDER[: ORDER.index(reach) + 1]
    for step in steps[1:]:
        if step == PathState.REGISTERED:
            path = services.path_register(path=path, by=staff)
        elif step in (PathState.ADMISSIBILITY, PathState.ADMISSIBLE):
            if not path.is_vae:
                continue
            if step == PathState.ADMISSIBILITY:
                _vae_file(path, staff)
                path = services.path_request_admissibility(path=path, by=staff, note="Livret 1 déposé")
            else:
                path = services.path_decide_admissibility(path=path, by=staff, admissible=True)
        elif step == PathState.POSITIONING:
            path = services.path_start_positioning(path=path, by=evaluator)
        elif step == PathState.IN_COURSE:
            path = _confirm_and_train(path, staff, evaluator, provider)
        elif step == PathState.IN_EVALUATION:
            if path.state == PathState.POSITIONING:
                _confirm(path, evaluator, BlockPlan.TO_EVALUATE)
            path = services.path_start_evaluation(path=path, by=evaluator)
            _assess(path, evaluator, tutor, options, all_blocks=reach != PathState.IN_EVALUATION)
        elif step == PathState.READY_FOR_JURY:
            path = services.path_submit_to_jury(path=path, by=evaluator)
    if withdraw:
        path = services.path_withdraw(path=path, by=staff, note="Changement de projet professionnel")
    if jury_target:
        path = _jury_outcome(path, target, staff)
    return path


def _confirm(path, evaluator, plan):
    rows = path.path_blocks.all()
    services.path_confirm_positioning(
        path=path,
        by=evaluator,
        plans={r.block_id: (BlockPlan.HELD if r.plan == BlockPlan.HELD else plan) for r in rows},
        planned_hours={r.block_id: 35 for r in rows},
    )


def _confirm_and_train(path, staff, evaluator, provider):
    _confirm(path, evaluator, BlockPlan.TO_TRAIN)
    return services.path_start_course(
        path=path,
        by=staff,
        start_date=timezone.localdate() - datetime.timedelta(days=90),
        training_provider=provider,
        vae_support=provider is None or path.is_vae,
    )


def _assess(path, evaluator, tutor, options, *, all_blocks):
    rows = list(path.path_blocks.exclude(plan=BlockPlan.HELD).select_related("block").order_by("block__order"))
    double = path.workplace_tutor_id is not None and path.certification.requires_double_evaluation
    count = len(rows) if all_blocks or double else options.get("assess", 0)
    day = timezone.localdate() - datetime.timedelta(days=10)
    for index, row in enumerate(rows[:count]):
        block = row.block
        results = {c.pk: True for c in block.criteria.all()}
        people = [(evaluator, "acquired")]
        if double:
            # With "diverge", the first block diverges: the tutor says acquired, the external evaluator not.
            diverge = options.get("double") == "diverge" and index == 0
            people = [(evaluator, "not_acquired" if diverge else "acquired"), (tutor, "acquired")]
        for person, outcome in people:
            services.assessment_record(
                path=path,
                block=block,
                by=person,
                modality=block.modalities.first(),
                assessed_on=day,
                outcome=outcome,
                criterion_results={k: outcome == "acquired" or i % 2 == 0 for i, k in enumerate(results)},
                comment="Mise en situation observée en service." if outcome == "acquired" else "À retravailler.",
            )


def _jury_outcome(path, target, staff):
    """The jury's part, as the jury issue records it: outcome + ledger of validated blocks."""
    blocks = [r.block for r in path.path_blocks.exclude(plan=BlockPlan.HELD).select_related("block")]
    validated = blocks if target == PathState.AWARDED else blocks[:2] if target == PathState.PARTIALLY_AWARDED else []
    locked = Path.objects.get(pk=path.pk)
    from_state = locked.state
    {"awarded": locked.award, "partially_awarded": locked.award_partially, "refused": locked.refuse}[target]()
    locked.save()
    audit_record(
        subject=locked,
        action=f"path.{target}",
        by=staff,
        from_state=from_state,
        to_state=locked.state,
        note="Décision du jury paritaire national (démo)",
    )
    day = timezone.localdate() - datetime.timedelta(days=30)
    for block in validated:
        ledger_add(
            candidate=locked.candidate,
            block=block,
            source=AcquisitionSource.JURY_DECISION,
            acquired_on=day,
            path=locked,
            reference="Jury démo",
            by=staff,
        )
    return locked


def _come_back(previous, staff, evaluator, provider):
    """After a partial award, a new path: the validated blocks are recognised from the ledger.
    Meanwhile the CPNE published a v2 of the régleur référentiel: the new path is on v2 and the
    blocks validated on v1 are recognised through the correspondence declared at publication."""
    if previous.certification.code == REGLEUR:
        from certifications.demo_referentials import publish_regleur_v2

        publish_regleur_v2(previous.certification)
    return _drive(
        candidate=previous.candidate,
        certification=previous.certification,
        route=previous.access_route,
        target=PathState.POSITIONING,
        options={},
        staff=staff,
        evaluator=evaluator,
        tutor=None,
        provider=provider,
        previous=previous,
    )
