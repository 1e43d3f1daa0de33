"""python manage.py seed_volume [--candidates N]

A national volume for the benchmarks (bench/): 30 branches, 300 certifications with 4-8 blocks,
N candidates with one path each spread over every path state, assessments, jury sessions with
dossiers and final decisions, the ledger, certificates (when juries.certificates is installed)
and funding lines. Services are bypassed on purpose (they are for one user action at a time);
the rows still follow the rules: a CQP has 1 owning branch and a CQPI 2, assessments are made by
an evaluator habilitated on the certification, decisions and certificates match path states.

Everything it creates is marked: branches with an IDCC from 9000, certification codes and e-mail
addresses starting with "vol-". A second run finds the marker and creates nothing.

Big tables are written with PostgreSQL COPY (executemany elsewhere) with ids reserved from
each table's sequence, so no object is built per row. The bench personas (fixed e-mails, see
``BENCH_*``) get fixed-shape data whatever N: one candidate with two paths, one evaluator with a
worklist, one jury session with a deliberation grid of up to 200 dossiers × 6 blocks, one
closed session of up to 500 awarded dossiers whose certificates are not issued yet (the
end-to-end issuing benchmark), and a branch administrator of the biggest branch.
"""

import datetime
import hashlib
import io
import json
import random
import secrets
import time
import uuid
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from candidates.models import (
    AccessRoute,
    AcquiredBlock,
    AcquisitionSource,
    AssessmentOutcome,
    BlockAssessment,
    BlockPlan,
    Candidate,
    CandidateStatus,
    Path,
    PathBlock,
    PathState,
)
from certifications.models import (
    Branch,
    Certification,
    CertificationKind,
    Commission,
    Competency,
    Criterion,
    EvaluationModality,
    Habilitation,
    HabilitationKind,
    ModalityKind,
    ReferentialState,
    ReferentialVersion,
    Register,
    Registration,
    SkillBlock,
    TrainingProvider,
)
from cqp_portal.accounts.models import Role, RoleAssignment, User
from cqp_portal.audit.models import AuditEntry
from financing.models import Funder, FunderKind, FundingLine, FundingState, Scheme
from juries.models import (
    BlockDecision,
    College,
    Decision,
    DecisionState,
    Dossier,
    JuryMember,
    JurySession,
    Outcome,
    SessionState,
)

MARKER_IDCC = "9000"
BRANCHES = 30
CERTIFICATIONS = 300
SESSIONS = 500
BENCH_CANDIDATE = "vol-candidat@bench.cqp.test"
BENCH_EVALUATOR = "vol-evaluateur@bench.cqp.test"
BENCH_JURY = "vol-jury@bench.cqp.test"
BENCH_ADMIN = "vol-admin@bench.cqp.test"
GRID_SESSION_TITLE = "vol-grille"
ISSUE_SESSION_TITLE = "vol-emission"
WORKLIST_ROWS = 25
GRID_DOSSIERS = 200
ISSUE_DOSSIERS = 500

# Share of paths per state (every state is present). Full awards are ~10 % of paths: with
# 80 % of certifications registered, 100,000 candidates give ~10,000 awards for the CDC export.
STATE_WEIGHTS = [
    (PathState.DRAFT, 3),
    (PathState.REGISTERED, 5),
    (PathState.ADMISSIBILITY, 1),
    (PathState.ADMISSIBLE, 1),
    (PathState.INADMISSIBLE, 1),
    (PathState.POSITIONING, 9),
    (PathState.IN_COURSE, 22),
    (PathState.IN_EVALUATION, 14),
    (PathState.READY_FOR_JURY, 5),
    (PathState.AWARDED, 12.5),
    (PathState.PARTIALLY_AWARDED, 8),
    (PathState.REFUSED, 4),
    (PathState.WITHDRAWN, 8),
]
VAE_STATES = {PathState.ADMISSIBILITY, PathState.ADMISSIBLE, PathState.INADMISSIBLE}
ASSESSED_STATES = {
    PathState.IN_EVALUATION,
    PathState.READY_FOR_JURY,
    PathState.AWARDED,
    PathState.PARTIALLY_AWARDED,
    PathState.REFUSED,
}
EVALUATED_STATES = ASSESSED_STATES | {PathState.POSITIONING, PathState.IN_COURSE}
DECIDED = {
    PathState.AWARDED: Outcome.TOTAL,
    PathState.PARTIALLY_AWARDED: Outcome.PARTIAL,
    PathState.REFUSED: Outcome.REFUSED,
}
OPEN_WORK_STATES = [PathState.POSITIONING, PathState.IN_COURSE, PathState.IN_EVALUATION, PathState.READY_FOR_JURY]
FUNDING = [  # (scheme, funder kind): consistent with financing.models.SCHEME_FUNDER_KINDS
    (Scheme.PLAN, FunderKind.EMPLOYER),
    (Scheme.CPF, FunderKind.CDC),
    (Scheme.POEI, FunderKind.FRANCE_TRAVAIL),
    (Scheme.SELF, FunderKind.CANDIDATE),
]
FIRST_NAMES = ["Camille", "Léa", "Hugo", "Inès", "Lucas", "Chloé", "Nathan", "Manon", "Théo", "Jade", "Louis", "Emma"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"]
CITIES = [("75056", "Paris"), ("69123", "Lyon"), ("13055", "Marseille"), ("59350", "Lille"), ("33063", "Bordeaux")]


def certificates_models():
    """juries.certificates is optional: its models when installed, else None."""
    if not apps.is_installed("juries.certificates"):
        return None
    from juries.certificates import models as certificate_models

    return certificate_models


# --- writing rows fast -------------------------------------------------------------------------


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def reserve_ids(model, count: int) -> int:
    """First of ``count`` consecutive ids taken from the table's sequence (nobody else gets them)."""
    if count == 0:
        return 0
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = cursor.fetchone()[0]
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
            return first
        # SQLite: a single writer. Table and column names come from the models, never from input.
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
        return cursor.fetchone()[0] + 1


def insert_rows(model, columns: list[str], rows) -> int:
    """Insert tuples (in ``columns`` order, db column names) with COPY on PostgreSQL."""
    table = model._meta.db_table
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_text(v) for v in row))
                buffer.write("\n")
                count += 1
                if count % 50000 == 0:
                    buffer.seek(0)
                    cursor.cursor.copy_expert(f'COPY "{table}" ({",".join(columns)}) FROM STDIN', buffer)
                    buffer = io.StringIO()
            buffer.seek(0)
            cursor.cursor.copy_expert(f'COPY "{table}" ({",".join(columns)}) FROM STDIN', buffer)
        else:
            rows = [tuple(json.dumps(v) if isinstance(v, (dict, list)) else v for v in row) for row in rows]
            placeholders = ",".join(["%s"] * len(columns))
            sql = f'INSERT INTO "{table}" ({",".join(columns)}) VALUES ({placeholders})'  # noqa: S608
            cursor.executemany(sql, rows)
            count = len(rows)
    return count


class Command(BaseCommand):
    help = "Create a national volume of data for the benchmarks (idempotent, marked with IDCC 9000+ and 'vol-')."

    def add_arguments(self, parser):
        parser.add_argument("--candidates", type=int, default=100_000, help="number of candidates (default 100,000)")
        parser.add_argument("--seed", type=int, default=11, help="random seed (same data for the same seed)")

    def handle(self, *args, candidates, seed, **options):
        if Branch.objects.filter(idcc=MARKER_IDCC).exists():
            existing = Candidate.objects.filter(email__startswith="vol-").count()
            self.stdout.write(f"Volume data already present ({existing} candidates): nothing created.")
            return
        if candidates < 10:
            self.stderr.write("--candidates: at least 10")
            return
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.started = time.perf_counter()
        self.certificates = certificates_models()
        with transaction.atomic():
            self.referentials()
            self.people()
            self.paths(candidates)
            self.juries()
            self.ledger_and_certificates()
            self.funding_and_audit()
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Fresh statistics, as a live database has them: without them the planner
            # guesses on tables that just grew by 100,000s of rows (autovacuum comes later).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            self.progress("statistics updated (ANALYZE)")
        self.progress("done")

    def progress(self, message: str) -> None:
        self.stdout.write(f"[{time.perf_counter() - self.started:6.1f} s] {message}")
        self.stdout.flush()

    # --- référentiels ---------------------------------------------------------------------------

    def referentials(self) -> None:
        rng = self.rng
        self.branches = Branch.objects.bulk_create(
            Branch(idcc=str(int(MARKER_IDCC) + i), name=f"Branche volume {i:02d}") for i in range(BRANCHES)
        )
        self.commissions = Commission.objects.bulk_create(
            Commission(name=f"CPNE volume {i:02d}") for i in range(BRANCHES)
        )
        Commission.branches.through.objects.bulk_create(
            Commission.branches.through(commission_id=c.pk, branch_id=b.pk)
            for c, b in zip(self.commissions, self.branches, strict=True)
        )
        self.providers = TrainingProvider.objects.bulk_create(
            TrainingProvider(name=f"vol-organisme {i:02d}", siret=f"9{i:013d}", city=CITIES[i % 5][1])
            for i in range(BRANCHES)
        )
        certifications = []
        owners = []
        for i in range(CERTIFICATIONS):
            branch = i % BRANCHES
            cqpi = i % 10 == 9
            # A CQP is owned by exactly one branch, a CQPI by at least two (domain.md "CQPI ownership").
            owners.append([branch, (branch + 1) % BRANCHES] if cqpi else [branch])
            certifications.append(
                Certification(
                    kind=CertificationKind.CQPI if cqpi else CertificationKind.CQP,
                    code=f"vol-{'cqpi' if cqpi else 'cqp'}-{i:03d}",
                    title=f"{'CQPI' if cqpi else 'CQP'} volume {i:03d}",
                    nsf_codes=["334t"],
                    commission=self.commissions[branch],
                    block_validity_months=60 if i % 7 == 0 else None,
                )
            )
        self.certifications = Certification.objects.bulk_create(certifications)
        self.owners = owners
        Certification.branches.through.objects.bulk_create(
            Certification.branches.through(certification_id=c.pk, branch_id=self.branches[b].pk)
            for c, branch_list in zip(self.certifications, owners, strict=True)
            for b in branch_list
        )
        # 80 % registered at the RNCP (VAE and CPF need it), the rest branch-only CQPs.
        self.registered = {c.pk for i, c in enumerate(self.certifications) if i % 5 != 4}
        Registration.objects.bulk_create(
            Registration(
                certification=c,
                register=Register.RNCP,
                number=f"RNCP{900000 + i}",
                level=3 + i % 3,
                decision_date=datetime.date(2022, 1, 1),
                end_date=datetime.date(2030, 12, 31),
                access_routes=["continuing", "professionalisation", "vae", "independent"],
            )
            for i, c in enumerate(self.certifications)
            if c.pk in self.registered
        )
        versions = ReferentialVersion.objects.bulk_create(
            ReferentialVersion(certification=c, number=1, summary="Volume", source="seed_volume")
            for c in self.certifications
        )
        self.version_of = {v.certification_id: v for v in versions}
        # The grid certification (index 0) has exactly 6 blocks; the others 4 to 8.
        blocks = []
        for i, version in enumerate(versions):
            count = 6 if i == 0 else rng.randint(4, 8)
            prefix = f"RNCP{900000 + i}" if self.certifications[i].pk in self.registered else "VOL"
            blocks += [
                SkillBlock(version=version, code=f"{prefix}BC{k:02d}", title=f"Bloc {k} du CQP {i:03d}", order=k)
                for k in range(1, count + 1)
            ]
        blocks = SkillBlock.objects.bulk_create(blocks, batch_size=2000)
        # A block has >= 2 competencies, >= 1 modality, >= 1 criterion (domain.md "Blocks").
        Competency.objects.bulk_create(
            (Competency(block=b, order=k, text=f"Compétence {k} — {b.title}") for b in blocks for k in (1, 2, 3)),
            batch_size=5000,
        )
        modalities = EvaluationModality.objects.bulk_create(
            (EvaluationModality(block=b, kind=ModalityKind.PRACTICAL_SITUATION) for b in blocks), batch_size=5000
        )
        Criterion.objects.bulk_create(
            (Criterion(block=b, order=k, text=f"Critère {k} — {b.title}") for b in blocks for k in (1, 2)),
            batch_size=5000,
        )
        # Content is written while the versions are drafts (the database refuses it afterwards).
        ReferentialVersion.objects.filter(pk__in=[v.pk for v in versions]).update(
            state=ReferentialState.PUBLISHED, published_at=self.now
        )
        self.blocks_of = {}
        for b in blocks:
            self.blocks_of.setdefault(b.version_id, []).append(b.pk)
        self.modality_of = {m.block_id: m.pk for m in modalities}
        self.progress(f"{BRANCHES} branches, {CERTIFICATIONS} certifications, {len(blocks)} blocks")

    # --- people -------------------------------------------------------------------------------

    def people(self) -> None:
        password = make_password(None)
        users = [User(email=f"vol-evaluateur-{i:03d}@bench.cqp.test", password=password) for i in range(CERTIFICATIONS)]
        users += [User(email=f"vol-jury-{i:02d}@bench.cqp.test", password=password) for i in range(12)]
        users += [
            User(email=email, password=password, first_name=first, last_name="Banc")
            for email, first in (
                (BENCH_CANDIDATE, "Camille"),
                (BENCH_EVALUATOR, "Éric"),
                (BENCH_JURY, "Jeanne"),
                (BENCH_ADMIN, "Alice"),
            )
        ]
        users = User.objects.bulk_create(users)
        self.evaluators = users[:CERTIFICATIONS]
        self.jurors = users[CERTIFICATIONS : CERTIFICATIONS + 12]
        self.bench_candidate, self.bench_evaluator, self.bench_jury, self.bench_admin = users[-4:]
        roles = [RoleAssignment(user=u, role=Role.EVALUATOR) for u in [*self.evaluators, self.bench_evaluator]]
        roles += [RoleAssignment(user=u, role=Role.JURY_MEMBER) for u in [*self.jurors, self.bench_jury]]
        roles += [
            RoleAssignment(user=self.bench_candidate, role=Role.CANDIDATE),
            RoleAssignment(user=self.bench_admin, role=Role.BRANCH_ADMIN, branch=self.branches[0]),
        ]
        RoleAssignment.objects.bulk_create(roles)
        since = datetime.date(2020, 1, 1)
        habilitations = [
            Habilitation(certification=c, kind=HabilitationKind.EVALUATOR, evaluator=e, valid_from=since)
            for c, e in zip(self.certifications, self.evaluators, strict=True)
        ]
        habilitations.append(
            Habilitation(
                certification=self.certifications[0],
                kind=HabilitationKind.EVALUATOR,
                evaluator=self.bench_evaluator,
                valid_from=since,
            )
        )
        habilitations += [
            Habilitation(
                certification=c,
                kind=HabilitationKind.PROVIDER,
                training_provider=self.providers[self.owners[i][0]],
                valid_from=since,
            )
            for i, c in enumerate(self.certifications)
        ]
        Habilitation.objects.bulk_create(habilitations)
        self.evaluator_of = {c.pk: e.pk for c, e in zip(self.certifications, self.evaluators, strict=True)}
        self.progress(f"{len(users)} users, {len(habilitations)} habilitations")

    # --- candidates and paths -----------------------------------------------------------------

    def _pick_certification(self, state) -> int:
        """Index of a certification: branch 0 carries ~15 % of the paths (the statistics page
        of its administrator covers ~10,000 paths at 100,000 candidates)."""
        rng = self.rng
        while True:
            index = rng.randrange(0, CERTIFICATIONS, BRANCHES) if rng.random() < 0.15 else rng.randrange(CERTIFICATIONS)
            # VAE only for a certification registered at the RNCP (domain.md "VAE").
            if state not in VAE_STATES or self.certifications[index].pk in self.registered:
                return index

    def paths(self, total: int) -> None:
        rng = self.rng
        states = [s for s, _w in STATE_WEIGHTS]
        weights = [w for _s, w in STATE_WEIGHTS]
        worklist = min(WORKLIST_ROWS, total // 4)
        grid = min(GRID_DOSSIERS, total // 4)
        issue = min(ISSUE_DOSSIERS, max(1, total // 40))  # 500 from 20,000 candidates on
        # (candidate index, certification index, state, evaluator override, purpose)
        plan = [(0, 0, PathState.AWARDED, None, "persona"), (0, 0, PathState.IN_EVALUATION, None, "persona")]
        plan += [(1 + k, 0, OPEN_WORK_STATES[k % 4], self.bench_evaluator.pk, "worklist") for k in range(worklist)]
        plan += [(1 + worklist + k, 0, PathState.READY_FOR_JURY, None, "grid") for k in range(grid)]
        first_free = 1 + worklist + grid
        plan += [(first_free + k, 0, PathState.AWARDED, None, "issue") for k in range(issue)]
        first_free += issue
        for k in range(first_free, total):
            state = rng.choices(states, weights)[0]
            plan.append((k, self._pick_certification(state), state, None, "volume"))
        self.plan = plan

        first_candidate = reserve_ids(Candidate, total)
        columns = [
            "id",
            "user_id",
            "birth_name",
            "usage_name",
            "first_names",
            "sex",
            "birth_date",
            "birth_place_code",
            "birth_place_code_kind",
            "birth_place_name",
            "birth_country",
            "email",
            "phone",
            "address",
            "status",
            "employer_name",
            "employer_siret",
            "created_at",
        ]

        def candidate_rows():
            for k in range(total):
                code, city = CITIES[k % 5]
                yield (
                    first_candidate + k,
                    self.bench_candidate.pk if k == 0 else None,
                    f"{LAST_NAMES[k % 10]}-{k}",
                    "",
                    FIRST_NAMES[k % 12],
                    "F" if k % 2 else "M",
                    datetime.date(1970 + k % 35, 1 + k % 12, 1 + k % 28),
                    code,
                    "insee",
                    city,
                    "FR",
                    f"vol-{k}@bench.cqp.test",
                    "",
                    "",
                    CandidateStatus.EMPLOYEE,
                    "",
                    "",
                    self.now,
                )

        insert_rows(Candidate, columns, candidate_rows())
        self.progress(f"{total} candidates")

        first_path = reserve_ids(Path, len(plan))
        self.path_rows = []  # (path id, candidate id, certification index, version id, state, created, purpose)
        path_columns = [
            "id",
            "candidate_id",
            "certification_id",
            "version_id",
            "access_route",
            "state",
            "start_date",
            "evaluator_id",
            "training_provider_id",
            "admissibility_requested_on",
            "admissibility_decided_on",
            "admissibility_deemed",
            "created_at",
            "updated_at",
        ]

        def path_rows():
            for n, (k, index, state, evaluator, purpose) in enumerate(plan):
                certification = self.certifications[index]
                # Created over the last 18 months; decided paths old enough to have gone through.
                created = self.now - datetime.timedelta(days=rng.randint(30, 540), minutes=rng.randint(0, 1440))
                vae = state in VAE_STATES or (certification.pk in self.registered and rng.random() < 0.1)
                route = (
                    AccessRoute.VAE
                    if vae
                    else rng.choice([AccessRoute.CONTINUING, AccessRoute.PROFESSIONALISATION, AccessRoute.INDEPENDENT])
                )
                if evaluator is None and state in EVALUATED_STATES:
                    evaluator = self.evaluator_of[certification.pk]
                version = self.version_of[certification.pk]
                row = (first_path + n, first_candidate + k, index, version.pk, state, created, purpose)
                self.path_rows.append(row)
                yield (
                    first_path + n,
                    first_candidate + k,
                    certification.pk,
                    version.pk,
                    route,
                    state,
                    created.date() if state != PathState.DRAFT else None,
                    evaluator,
                    self.providers[self.owners[index][0]].pk if not vae else None,
                    created.date() if vae and state != PathState.DRAFT else None,
                    (created + datetime.timedelta(days=30)).date()
                    if vae and state not in (PathState.DRAFT, PathState.REGISTERED, PathState.ADMISSIBILITY)
                    else None,
                    False,  # decided explicitly (a deemed admissibility is the beat task's, never seeded)
                    created,
                    created,
                )

        insert_rows(Path, path_columns, path_rows())
        self.progress(f"{len(plan)} paths")

        # Positioning: one row per block; assessments for the blocks of evaluated paths.
        self.outcomes = {}  # path id -> {block id: validated}
        pb_rows, assessment_rows = [], []
        for path_id, _cand, index, version_id, state, created, _purpose in self.path_rows:
            blocks = self.blocks_of[version_id]
            if state not in (PathState.DRAFT, PathState.REGISTERED) and state not in VAE_STATES:
                pb_rows += [(path_id, b, BlockPlan.TO_TRAIN, 35, 35 if state in ASSESSED_STATES else 0) for b in blocks]
            if state not in ASSESSED_STATES:
                continue
            outcome = DECIDED.get(state)
            if outcome == Outcome.TOTAL or state == PathState.READY_FOR_JURY:
                validated = dict.fromkeys(blocks, True)
            elif outcome == Outcome.PARTIAL:
                cut = max(1, len(blocks) // 2)
                validated = {b: i < cut for i, b in enumerate(blocks)}
            elif outcome == Outcome.REFUSED:
                validated = dict.fromkeys(blocks, False)
            else:  # in evaluation: half of the blocks assessed so far
                validated = dict.fromkeys(blocks[: len(blocks) // 2], True)
            self.outcomes[path_id] = validated
            evaluator = self.evaluator_of[self.certifications[index].pk]
            day = (created + datetime.timedelta(days=20)).date()
            for block, ok in validated.items():
                assessment_rows.append(
                    (
                        path_id,
                        block,
                        evaluator,
                        "external",
                        self.modality_of[block],
                        day,
                        AssessmentOutcome.ACQUIRED if ok else AssessmentOutcome.NOT_ACQUIRED,
                        "",
                        "",
                        self.now,
                    )
                )
        insert_rows(
            PathBlock,
            ["path_id", "block_id", "plan", "planned_hours", "completed_hours"],
            pb_rows,
        )
        # Assessments by the evaluator habilitated on the certification (domain.md "Evaluators").
        insert_rows(
            BlockAssessment,
            [
                "path_id",
                "block_id",
                "evaluator_id",
                "assessor_role",
                "modality_id",
                "assessed_on",
                "outcome",
                "comment",
                "correction_reason",
                "created_at",
            ],
            assessment_rows,
        )
        self.progress(f"{len(pb_rows)} path blocks, {len(assessment_rows)} assessments")

    # --- juries -------------------------------------------------------------------------------

    def juries(self) -> None:
        rng = self.rng
        decided = [r for r in self.path_rows if r[4] in DECIDED and r[6] == "volume"]
        waiting = [r for r in self.path_rows if r[4] == PathState.READY_FOR_JURY and r[6] == "volume"]
        grid = [r for r in self.path_rows if r[6] == "grid"]
        issue = [r for r in self.path_rows if r[6] == "issue"]
        persona = [r for r in self.path_rows if r[6] == "persona" and r[4] == PathState.AWARDED]
        sessions_total = max(4, min(SESSIONS, len(self.path_rows) // 200))
        closed_count = max(1, sessions_total - 3 - max(1, sessions_total // 20))
        open_count = sessions_total - 2 - closed_count
        session_rows = []  # (title, state, date, dossier rows)
        session_rows.append((GRID_SESSION_TITLE, SessionState.DELIBERATING, self.today, grid))
        session_rows.append((ISSUE_SESSION_TITLE, SessionState.CLOSED, self.today - datetime.timedelta(days=1), issue))
        closed = [[] for _ in range(closed_count)]
        for n, row in enumerate(persona + decided):
            closed[n % closed_count].append(row)
        for n, rows in enumerate(closed):
            day = self.today - datetime.timedelta(days=7 + (n * 500) // closed_count)
            session_rows.append((f"vol-session-{n:03d}", SessionState.CLOSED, day, rows))
        waiting_groups = [[] for _ in range(open_count)]
        for n, row in enumerate(waiting):
            waiting_groups[n % open_count].append(row)
        for n, rows in enumerate(waiting_groups):
            session_rows.append(
                (f"vol-convoquee-{n:03d}", SessionState.CONVENED, self.today + datetime.timedelta(days=30), rows)
            )

        sessions = JurySession.objects.bulk_create(
            JurySession(
                title=title,
                date=day,
                place="Paris",
                state=state,
                closed_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(17)))
                if state == SessionState.CLOSED
                else None,
                award_date=day if state == SessionState.CLOSED else None,
                deliberation_started_at=self.now if state == SessionState.DELIBERATING else None,
            )
            for title, state, day, _rows in session_rows
        )
        self.issue_session = sessions[1]
        # Certifications covered, members (paritaire: 2 employer + 2 employee, one president).
        covered, members = [], []
        for session, (_t, _s, _d, rows) in zip(sessions, session_rows, strict=True):
            for index in sorted({r[2] for r in rows}):
                covered.append(
                    JurySession.certifications.through(
                        jurysession_id=session.pk, certification_id=self.certifications[index].pk
                    )
                )
            first = rng.randrange(len(self.jurors))
            people = [self.jurors[(first + i) % len(self.jurors)] for i in range(4)]
            if session.title in (GRID_SESSION_TITLE, ISSUE_SESSION_TITLE):
                people[0] = self.bench_jury
            members += [
                JuryMember(
                    session=session,
                    user=user,
                    college=College.EMPLOYER if i < 2 else College.EMPLOYEE,
                    is_president=i == 0,
                    convocation_sent_at=self.now,
                )
                for i, user in enumerate(people)
            ]
        JurySession.certifications.through.objects.bulk_create(covered, batch_size=5000)
        JuryMember.objects.bulk_create(members, batch_size=5000)

        dossier_count = sum(len(rows) for *_x, rows in session_rows)
        first_dossier = reserve_ids(Dossier, dossier_count)
        first_decision = reserve_ids(Decision, dossier_count)
        dossier_rows, decision_rows, block_rows = [], [], []
        self.final_decisions = []  # (decision id, path row, session, outcome)
        n = 0
        for session, (_t, state, day, rows) in zip(sessions, session_rows, strict=True):
            is_open = state in (SessionState.PLANNED, SessionState.CONVENED, SessionState.DELIBERATING)
            for row in rows:
                dossier_id, decision_id = first_dossier + n, first_decision + n
                n += 1
                dossier_rows.append((dossier_id, session.pk, row[0], is_open, self.now, self.now))
                if state == SessionState.CONVENED:
                    decision_rows.append((decision_id, dossier_id, "", DecisionState.PROPOSED, None))
                    continue
                validated = self.outcomes.get(row[0], {})
                if state == SessionState.DELIBERATING:
                    # The grid: decided on half of the dossiers so far, proposed decisions only.
                    undecided = n % 2 == 0
                    decision_rows.append((decision_id, dossier_id, "", DecisionState.PROPOSED, None))
                    block_rows += [(decision_id, b, False, None if undecided else ok) for b, ok in validated.items()]
                    continue
                # TOTAL iff every mandatory block is validated (domain.md "Jury decisions").
                outcome = DECIDED[row[4]]
                decision_rows.append((decision_id, dossier_id, outcome, DecisionState.FINAL, day))
                block_rows += [(decision_id, b, False, ok) for b, ok in validated.items()]
                self.final_decisions.append((decision_id, row, session, outcome))
        insert_rows(
            Dossier, ["id", "session_id", "path_id", "is_open", "convocation_sent_at", "added_at"], dossier_rows
        )
        insert_rows(
            Decision,
            [
                "id",
                "dossier_id",
                "outcome",
                "reasons",
                "recommendations",
                "state",
                "is_current",
                "correction_reason",
                "decided_at",
                "row_version",
                "updated_at",
                "created_at",
            ],
            (
                (
                    did,
                    dos,
                    outcome,
                    "",
                    "",
                    state,
                    True,
                    "",
                    timezone.make_aware(datetime.datetime.combine(day, datetime.time(16))) if day else None,
                    1,
                    self.now,
                    self.now,
                )
                for did, dos, outcome, state, day in decision_rows
            ),
        )
        insert_rows(
            BlockDecision, ["decision_id", "block_id", "held", "validated", "reasons"], ((*r, "") for r in block_rows)
        )
        self.progress(f"{len(sessions)} jury sessions, {dossier_count} dossiers, {len(block_rows)} block decisions")

    # --- ledger and certificates ----------------------------------------------------------------

    def ledger_and_certificates(self) -> None:
        ledger = []
        validity = {c.pk: c.block_validity_months for c in self.certifications}
        for _did, row, session, _outcome in self.final_decisions:
            certification = self.certifications[row[2]]
            months = validity[certification.pk]
            until = session.award_date + datetime.timedelta(days=30 * months) if months else None
            ledger += [
                (row[1], b, AcquisitionSource.JURY_DECISION, session.award_date, until, row[0], "", self.now)
                for b, ok in self.outcomes.get(row[0], {}).items()
                if ok
            ]
        insert_rows(
            AcquiredBlock,
            ["candidate_id", "block_id", "source", "acquired_on", "valid_until", "path_id", "reference", "created_at"],
            ledger,
        )
        self.progress(f"{len(ledger)} acquired blocks (ledger)")
        if self.certificates is None:
            self.progress("juries.certificates is not installed: no certificates")
            return
        self._certificates()

    def _certificates(self) -> None:
        from juries.certificates.numbering import format_number

        models = self.certificates
        accounts = [
            models.CdcCertifier(commission=c, id_client=f"V{i:07d}", id_contract=f"VOLCONTRAT{i:04d}")
            for i, c in enumerate(self.commissions)
        ]
        models.CdcCertifier.objects.bulk_create(accounts)
        candidates = {
            c["id"]: c
            for c in Candidate.objects.filter(pk__in={row[1] for _d, row, _s, _o in self.final_decisions}).values()
        }
        registrations = {
            r.certification_id: r for r in Registration.objects.filter(certification_id__in=self.registered)
        }
        branch_names = {
            c.pk: [f"{self.branches[b].name} (IDCC {self.branches[b].idcc})" for b in owners]
            for c, owners in zip(self.certifications, self.owners, strict=True)
        }
        counters = {}
        rows, links = [], []
        # The issuing session's certificates are left to the end-to-end benchmark.
        wanted = [d for d in self.final_decisions if d[2].pk != self.issue_session.pk and d[3] != Outcome.REFUSED]
        first = reserve_ids(models.Certificate, len(wanted))
        for n, (decision_id, row, session, outcome) in enumerate(wanted):
            certification = self.certifications[row[2]]
            year = session.award_date.year
            sequence = counters[(certification.pk, year)] = counters.get((certification.pk, year), 0) + 1
            number = format_number(certification, year, sequence)
            person = candidates[row[1]]
            registration = registrations.get(certification.pk)
            blocks = [b for b, ok in self.outcomes.get(row[0], {}).items() if ok]
            certificate_id = first + n
            links += [(certificate_id, b) for b in blocks]
            kind = (
                models.CertificateKind.CERTIFICATE
                if outcome == Outcome.TOTAL
                else models.CertificateKind.PARTIAL_ATTESTATION
            )
            rows.append(
                (
                    certificate_id,
                    kind,
                    models.CertificateState.ISSUED,
                    row[0],
                    certification.pk,
                    decision_id,
                    None,
                    year,
                    sequence,
                    number,
                    secrets.token_urlsafe(24),
                    str(uuid.uuid4()),
                    person["birth_name"],
                    "",
                    person["first_names"],
                    person["sex"],
                    person["birth_date"],
                    person["birth_place_code"],
                    "insee",
                    person["birth_place_name"],
                    "FR",
                    certification.title,
                    certification.kind,
                    registration.register if registration else "",
                    registration.number if registration else "",
                    registration.level if registration else None,
                    registration.decision_date if registration else None,
                    certification.nsf_codes,
                    self.commissions[self.owners[row[2]][0]].name,
                    branch_names[certification.pk],
                    "Président du jury volume",
                    "Président du jury",
                    session.award_date,
                    session.place,
                    # Volume data has no PDF file: the hash stands for it (the pages do not read the file).
                    "",
                    hashlib.sha256(number.encode()).hexdigest(),
                    self.now,
                    "",
                    None,
                    0,
                    "",
                    self.now,
                )
            )
        insert_rows(
            models.Certificate,
            [
                "id",
                "kind",
                "state",
                "path_id",
                "certification_id",
                "decision_id",
                "block_id",
                "year",
                "sequence",
                "number",
                "verification_code",
                "award_ref",
                "holder_birth_name",
                "holder_usage_name",
                "holder_first_names",
                "holder_sex",
                "holder_birth_date",
                "holder_birth_place_code",
                "holder_birth_place_code_kind",
                "holder_birth_place_name",
                "holder_birth_country",
                "certification_title",
                "certification_kind",
                "register",
                "registration_number",
                "registration_level",
                "registration_decision_date",
                "nsf_codes",
                "certifier_name",
                "branch_names",
                "signatory_name",
                "signatory_title",
                "award_date",
                "award_place",
                "pdf",
                "sha256",
                "issued_at",
                "revocation_reason",
                "queued_at",
                "attempts",
                "error",
                "created_at",
            ],
            rows,
        )
        through = models.Certificate.blocks.through
        insert_rows(through, ["certificate_id", "skillblock_id"], links)
        models.CertificateCounter.objects.bulk_create(
            models.CertificateCounter(certification_id=c, year=y, last=last) for (c, y), last in counters.items()
        )
        self.progress(f"{len(rows)} certificates issued ({len(links)} block lines), {len(accounts)} CDC accounts")

    # --- funding and audit trail ---------------------------------------------------------------

    def funding_and_audit(self) -> None:
        rng = self.rng
        funders = {}
        for _scheme, kind in FUNDING:
            funders[kind] = Funder.objects.create(kind=kind, name=f"vol-financeur {kind}").pk
        funding, audit = [], []
        path_type = ContentType.objects.get_for_model(Path).pk
        for path_id, _cand, _index, _version, state, created, _purpose in self.path_rows:
            audit.append((path_type, str(path_id), "path.create", "", PathState.DRAFT, created))
            if state != PathState.DRAFT:
                audit.append(
                    (
                        path_type,
                        str(path_id),
                        "path.register",
                        PathState.DRAFT,
                        PathState.REGISTERED,
                        created + datetime.timedelta(days=2),
                    )
                )
            if state in DECIDED:
                audit.append(
                    (
                        path_type,
                        str(path_id),
                        "decision.finalise",
                        PathState.READY_FOR_JURY,
                        state,
                        created + datetime.timedelta(days=25),
                    )
                )
            if rng.random() >= 0.6:
                continue
            scheme, kind = rng.choice(FUNDING)
            line_state = {
                PathState.DRAFT: FundingState.DRAFT,
                PathState.REGISTERED: FundingState.SUBMITTED,
                PathState.WITHDRAWN: FundingState.CANCELLED,
            }.get(state) or rng.choice([FundingState.APPROVED, FundingState.INVOICED, FundingState.PAID])
            requested = Decimal(rng.randrange(800, 6000))
            approved = (
                requested if line_state in (FundingState.APPROVED, FundingState.INVOICED, FundingState.PAID) else None
            )
            invoiced = approved if line_state in (FundingState.INVOICED, FundingState.PAID) else None
            paid = invoiced if line_state == FundingState.PAID else None
            funding.append(
                (
                    path_id,
                    scheme,
                    funders[kind],
                    line_state,
                    100,
                    None,
                    requested,
                    requested,
                    approved,
                    invoiced,
                    paid,
                    "",
                    "",
                    "",
                    created.date(),
                    None,
                    created if line_state != FundingState.DRAFT else None,
                    "",
                    "",
                    created,
                    created,
                )
            )
        insert_rows(
            FundingLine,
            [
                "path_id",
                "scheme",
                "funder_id",
                "state",
                "hours",
                "hourly_rate",
                "fixed_amount",
                "amount_requested",
                "amount_approved",
                "amount_invoiced",
                "amount_paid",
                "funder_reference",
                "cpf_file_number",
                "invoice_reference",
                "start_date",
                "end_date",
                "submitted_at",
                "decision_note",
                "cancelled_reason",
                "created_at",
                "updated_at",
            ],
            funding,
        )
        insert_rows(
            AuditEntry,
            ["content_type_id", "object_id", "action", "from_state", "to_state", "at", "note", "changes"],
            ((*row, "", {}) for row in audit),
        )
        self.progress(f"{len(funding)} funding lines, {len(audit)} audit entries")
