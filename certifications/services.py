"""Every write on certifications and référentiels goes through one function here.

``by`` is the person acting; ``None`` means the system itself (a management command run by an
operator, the register import): the permission check is then skipped, never the rules.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from certifications.models import (
    AccessRouteFlag,
    AcquiredCriteriaRule,
    Activity,
    AppealPolicy,
    BlockEquivalence,
    Branch,
    Certification,
    CertificationKind,
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
    rncp_number_validator,
    rs_number_validator,
)
from cqp_portal import policy
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import Conflict, RuleViolation


def _require(by, action: str, obj=None) -> None:
    if by is not None:
        policy.require(by, action, obj)


# --- certifications ------------------------------------------------------------------------

RULE_FIELDS = (
    "block_validity_months",
    "jury_employer_seats",
    "jury_employee_seats",
    "jury_max_experts",
    "jury_quorum",
    "president_casting_vote",
    "requires_ratification",
    "appeal_policy",
    "appeal_deadline_days",
    "appeal_body",
    "requires_double_evaluation",
    "trainer_may_not_evaluate",
    "acquired_criteria_rule",
    "acquired_criteria_threshold",
    "issue_block_attestations",
    "pro_a_eligible",
)


def validate_ownership(*, kind: str, branches) -> None:
    """domain.md "CQPI ownership": a CQP has exactly 1 owning branch, a CQPI 2 or more,
    an external certification (diploma, titre, RS) none."""
    count = len(set(branches))
    if kind == CertificationKind.CQP and count != 1:
        raise RuleViolation(
            _("A CQP is owned by exactly one branch (%(count)s given).") % {"count": count},
            code="cqp_one_branch",
            field="branches",
        )
    if kind == CertificationKind.CQPI and count < 2:
        raise RuleViolation(
            _("A CQPI (interbranch) is owned by at least two branches (%(count)s given).") % {"count": count},
            code="cqpi_two_branches",
            field="branches",
        )
    if kind == CertificationKind.EXTERNAL and count:
        raise RuleViolation(
            _("An external certification (diploma, titre, RS) has no owning branch."),
            code="external_no_branch",
            field="branches",
        )


def validate_rules(values: dict) -> None:
    if values.get("appeal_policy") == AppealPolicy.REASONED and not values.get("appeal_deadline_days"):
        raise RuleViolation(
            _("A reasoned appeal needs a deadline in days."), code="appeal_deadline", field="appeal_deadline_days"
        )
    if values.get("appeal_policy") == AppealPolicy.REASONED and not values.get("appeal_body"):
        raise RuleViolation(
            _("A reasoned appeal needs the body that hears it."), code="appeal_body", field="appeal_body"
        )
    if values.get("acquired_criteria_rule") == AcquiredCriteriaRule.THRESHOLD and not values.get(
        "acquired_criteria_threshold"
    ):
        raise RuleViolation(
            _("The “share of the criteria” rule needs a percentage from 1 to 100."),
            code="criteria_threshold",
            field="acquired_criteria_threshold",
        )
    employer, employee = values.get("jury_employer_seats"), values.get("jury_employee_seats")
    if employer is not None and employee is not None and employer != employee:
        raise RuleViolation(
            _("A joint (paritaire) jury has as many employer seats as employee seats."),
            code="jury_not_paritaire",
            field="jury_employee_seats",
        )


def certification_create(
    *,
    by,
    kind: str,
    code: str,
    title: str,
    branches: list[Branch] | None = None,
    nsf_codes: list[str] | None = None,
    **rules,
) -> Certification:
    branches = list(branches or [])
    validate_ownership(kind=kind, branches=[b.pk for b in branches])
    if by is not None and not policy.is_staff(by):
        from cqp_portal.policy.roles import admin_branch_ids

        if not set(admin_branch_ids(by)) & {b.pk for b in branches}:
            from cqp_portal.errors import NotAllowed

            raise NotAllowed()
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown rule fields {sorted(unknown)}")
    defaults = {f: Certification._meta.get_field(f).get_default() for f in RULE_FIELDS}
    validate_rules(defaults | rules)
    with transaction.atomic():
        if Certification.objects.filter(code=code).exists():
            raise RuleViolation(
                _("This code is already used by another certification."), code="code_taken", field="code"
            )
        certification = Certification(kind=kind, code=code, title=title, nsf_codes=list(nsf_codes or []), **rules)
        certification.full_clean(exclude=["branches"])
        certification.save()
        certification.branches.set(branches)
        audit_record(subject=certification, action="certification.create", by=by, to_state=kind)
    return certification


def certification_update(
    *,
    certification: Certification,
    by,
    title: str | None = None,
    kind: str | None = None,
    branches: list[Branch] | None = None,
    nsf_codes: list[str] | None = None,
    **rules,
) -> Certification:
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown rule fields {sorted(unknown)}")
    with transaction.atomic():
        certification = Certification.objects.select_for_update().get(pk=certification.pk)
        _require(by, "certification.administer", certification)
        new_kind = kind or certification.kind
        branch_ids = (
            [b.pk for b in branches]
            if branches is not None
            else list(certification.branches.values_list("pk", flat=True))
        )
        validate_ownership(kind=new_kind, branches=branch_ids)
        current = {f: getattr(certification, f) for f in RULE_FIELDS}
        validate_rules(current | rules)
        changes = {}
        for field, value in [("title", title), ("kind", kind), ("nsf_codes", nsf_codes), *rules.items()]:
            if value is None and field in ("title", "kind", "nsf_codes"):
                continue
            if getattr(certification, field) != value:
                changes[field] = [str(getattr(certification, field)), str(value)]
                setattr(certification, field, value)
        certification.full_clean(exclude=["branches"])
        certification.save()
        if branches is not None:
            before = sorted(certification.branches.values_list("idcc", flat=True))
            certification.branches.set(branches)
            after = sorted(b.idcc for b in branches)
            if before != after:
                changes["branches"] = [before, after]
        audit_record(subject=certification, action="certification.update", by=by, changes=changes)
    return certification


def registration_set(
    *,
    certification: Certification,
    by,
    register: str,
    number: str,
    level: int | None = None,
    decision_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    last_delivery_date: datetime.date | None = None,
    listed_active: bool = True,
    access_routes: list[str] | None = None,
) -> Registration:
    """Create or replace the RNCP/RS registration (domain.md, "RNCP / RS")."""
    validate_registration(register=register, number=number, level=level, access_routes=access_routes or [])
    if end_date and decision_date and end_date < decision_date:
        raise RuleViolation(
            _("The end of registration cannot be before the decision date."),
            code="registration_dates",
            field="end_date",
        )
    with transaction.atomic():
        certification = Certification.objects.select_for_update().get(pk=certification.pk)
        _require(by, "certification.administer", certification)
        if Registration.objects.filter(number=number).exclude(certification=certification).exists():
            raise RuleViolation(
                _("Registration %(number)s already belongs to another certification.") % {"number": number},
                code="registration_taken",
                field="number",
            )
        registration, created = Registration.objects.update_or_create(
            certification=certification,
            defaults={
                "register": register,
                "number": number,
                "level": level,
                "decision_date": decision_date,
                "end_date": end_date,
                "last_delivery_date": last_delivery_date,
                "listed_active": listed_active,
                "access_routes": sorted(set(access_routes or [])),
            },
        )
        audit_record(subject=certification, action="registration.set", by=by, note=number, changes={"created": created})
    return registration


def validate_registration(*, register: str, number: str, level: int | None, access_routes: list[str]) -> None:
    from django.core.exceptions import ValidationError

    if register not in Register.values:
        raise RuleViolation(_("Unknown register."), code="register", field="register")
    validator = rncp_number_validator if register == Register.RNCP else rs_number_validator
    try:
        validator(number)
    except ValidationError as exc:
        raise RuleViolation(exc.messages[0], code="registration_number", field="number") from None
    if register == Register.RNCP and (level is None or not 3 <= level <= 8):
        raise RuleViolation(_("An RNCP registration has a level from 3 to 8."), code="rncp_level", field="level")
    if register == Register.RS and level is not None:
        raise RuleViolation(_("An RS registration has no level."), code="rs_level", field="level")
    unknown = set(access_routes) - set(AccessRouteFlag.values)
    if unknown:
        raise RuleViolation(_("Unknown access route."), code="access_route", field="access_routes")


# --- référentiel versions: lifecycle ----------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason a version cannot be published; ``block_id``/``field`` place it in the editor."""

    message: str
    block_id: int | None = None
    field: str = ""

    def __str__(self) -> str:
        return self.message


def publication_problems(version: ReferentialVersion) -> list[Problem]:
    """domain.md "Blocks": ≥ 1 block; each block ≥ 2 competencies (a block is never a single
    competency), ≥ 1 evaluation modality, ≥ 1 criterion; codes unique within the référentiel."""
    problems: list[Problem] = []
    blocks = list(version.blocks.prefetch_related("competencies", "modalities", "criteria").order_by("order", "pk"))
    if not blocks:
        problems.append(Problem(_("The référentiel has no skill block: add at least one."), field="blocks"))
    seen: dict[str, SkillBlock] = {}
    for block in blocks:
        label = block.code or _("(no code)")
        code_key = block.code.strip().upper()
        if not code_key:
            problems.append(Problem(_("A block has no code."), block.pk, "code"))
        elif code_key in seen:
            problems.append(
                Problem(_("Block code %(code)s is used twice: codes are unique.") % {"code": label}, block.pk, "code")
            )
        else:
            seen[code_key] = block
        count = len(block.competencies.all())
        if count < 2:
            problems.append(
                Problem(
                    _("Block %(code)s has %(count)s competency: a block has at least 2.")
                    % {"code": label, "count": count},
                    block.pk,
                    "competencies",
                )
            )
        if not block.modalities.all():
            problems.append(
                Problem(
                    _("Block %(code)s has no evaluation modality: add at least one.") % {"code": label},
                    block.pk,
                    "modalities",
                )
            )
        if not block.criteria.all():
            problems.append(
                Problem(
                    _("Block %(code)s has no evaluation criterion: add at least one.") % {"code": label},
                    block.pk,
                    "criteria",
                )
            )
    return problems


def _locked(version: ReferentialVersion) -> ReferentialVersion:
    return ReferentialVersion.objects.select_for_update().select_related("certification").get(pk=version.pk)


def _ensure_draft(version: ReferentialVersion) -> None:
    if version.state != ReferentialState.DRAFT:
        raise RuleViolation(
            _("Version %(number)s is %(state)s: a published référentiel cannot be changed, create a new version.")
            % {"number": version.number, "state": version.get_state_display()},
            code="version_immutable",
        )


def _next_number(certification: Certification) -> int:
    return (certification.versions.aggregate(n=Max("number"))["n"] or 0) + 1


def version_create_draft(*, certification: Certification, by, summary: str = "") -> ReferentialVersion:
    """An empty draft (the first référentiel of a new certification)."""
    with transaction.atomic():
        certification = Certification.objects.select_for_update().get(pk=certification.pk)
        _require(by, "certification.administer", certification)
        _ensure_no_other_draft(certification)
        version = ReferentialVersion.objects.create(
            certification=certification, number=_next_number(certification), summary=summary
        )
        audit_record(subject=version, action="referential.create", by=by, to_state=version.state)
    return version


def _ensure_no_other_draft(certification: Certification) -> None:
    draft = certification.versions.filter(state=ReferentialState.DRAFT).first()
    if draft is not None:
        raise RuleViolation(
            _("Version %(number)s is already a draft: finish or delete it before starting another.")
            % {"number": draft.number},
            code="draft_exists",
        )


def version_new_from_published(*, certification: Certification, by, summary: str = "") -> ReferentialVersion:
    """ "New version": the latest published version copied into a new draft (domain.md, Versioning)."""
    with transaction.atomic():
        certification = Certification.objects.select_for_update().get(pk=certification.pk)
        _require(by, "certification.administer", certification)
        _ensure_no_other_draft(certification)
        source = certification.versions.filter(state=ReferentialState.PUBLISHED).order_by("-number").first()
        if source is None:
            raise RuleViolation(
                _("This certification has no published version to start from."), code="no_published_version"
            )
        version = ReferentialVersion.objects.create(
            certification=certification,
            number=_next_number(certification),
            based_on=source,
            summary=summary,
        )
        copy_content(source=source, target=version)
        audit_record(
            subject=version,
            action="referential.new_version",
            by=by,
            to_state=version.state,
            note=f"v{source.number} → v{version.number}",
        )
    return version


def copy_content(*, source: ReferentialVersion, target: ReferentialVersion) -> None:
    """Copy every activity and block (with its content) of ``source`` into the draft ``target``."""
    from certifications.exchange import version_content, write_content

    write_content(target, version_content(source))


def version_publish(
    *, version: ReferentialVersion, by, correspondences: dict[int, list[int]] | None = None
) -> ReferentialVersion:
    """Publish a draft with the correspondence of the previous version's blocks:
    ``correspondences`` maps each changed or removed block of the previous version (id) to the
    block ids of this version it counts as (empty list: no correspondence); unchanged blocks are
    mapped automatically (certifications.version_mapping)."""
    from certifications.version_mapping import record_block_mappings

    with transaction.atomic():
        version = _locked(version)
        _require(by, "referential.publish", version)
        _ensure_draft(version)
        problems = publication_problems(version)
        if problems:
            raise RuleViolation(
                _("Version %(number)s cannot be published: %(count)s problem(s) to fix.")
                % {"number": version.number, "count": len(problems)},
                code="publication_invalid",
                details=problems,
            )
        record_block_mappings(version=version, declared=correspondences, by=by)
        try:
            version.publish()
            version.published_at = timezone.now()
            version.save()
        except (TransitionNotAllowed, ConcurrentTransition):
            raise Conflict() from None
        audit_record(
            subject=version,
            action="referential.publish",
            by=by,
            from_state=ReferentialState.DRAFT,
            to_state=ReferentialState.PUBLISHED,
        )
    return version


def version_retire(*, version: ReferentialVersion, by, note: str = "") -> ReferentialVersion:
    """Paths stay on the version they enrolled on; a retired version is only closed to new ones."""
    with transaction.atomic():
        version = _locked(version)
        _require(by, "referential.publish", version)
        if version.state != ReferentialState.PUBLISHED:
            raise RuleViolation(_("Only a published version can be retired."), code="retire_not_published")
        try:
            version.retire()
            version.retired_at = timezone.now()
            version.save()
        except (TransitionNotAllowed, ConcurrentTransition):
            raise Conflict() from None
        audit_record(
            subject=version,
            action="referential.retire",
            by=by,
            from_state=ReferentialState.PUBLISHED,
            to_state=ReferentialState.RETIRED,
            note=note,
        )
    return version


def version_delete_draft(*, version: ReferentialVersion, by) -> None:
    with transaction.atomic():
        version = _locked(version)
        _require(by, "referential.edit", version)
        _ensure_draft(version)
        audit_record(subject=version, action="referential.delete_draft", by=by, from_state=version.state)
        version.delete()


def version_update_summary(*, version: ReferentialVersion, by, summary: str) -> ReferentialVersion:
    with transaction.atomic():
        version = _locked(version)
        _require(by, "referential.edit", version)
        _ensure_draft(version)
        version.summary = summary
        version.save()
        audit_record(subject=version, action="referential.edit", by=by, note="summary")
    return version


# --- référentiel versions: draft content --------------------------------------------------------


def activities_save(*, version: ReferentialVersion, by, activities: list[dict]) -> None:
    """Replace the référentiel d'activités with ``activities`` (dicts: title, description), in order."""
    with transaction.atomic():
        version = _locked(version)
        _require(by, "referential.edit", version)
        _ensure_draft(version)
        version.activities.all().delete()
        Activity.objects.bulk_create(
            Activity(version=version, order=i, title=a["title"].strip(), description=a.get("description", "").strip())
            for i, a in enumerate(activities)
            if a.get("title", "").strip()
        )
        audit_record(subject=version, action="referential.edit", by=by, note="activities")


def block_save(
    *,
    version: ReferentialVersion,
    by,
    code: str,
    title: str,
    block: SkillBlock | None = None,
    mandatory: bool = True,
    description: str = "",
    competencies: list[str] | None = None,
    modalities: list[dict] | None = None,
    criteria: list[str] | None = None,
) -> SkillBlock:
    """Create a block (``block`` None, added last) or update one; the lists given replace the
    block's competencies / modalities (dicts: kind, description) / criteria, in their order."""
    code = code.strip()
    if not code:
        raise RuleViolation(_("A block needs a code."), code="block_code", field="code")
    if not title.strip():
        raise RuleViolation(_("A block needs a title."), code="block_title", field="title")
    with transaction.atomic():
        version = _locked(version)
        _require(by, "referential.edit", version)
        _ensure_draft(version)
        clash = version.blocks.filter(code__iexact=code)
        if block is not None:
            if block.version_id != version.pk:
                raise RuleViolation(_("This block belongs to another version."), code="block_version")
            clash = clash.exclude(pk=block.pk)
        if clash.exists():
            raise RuleViolation(
                _("Block code %(code)s is already used in this version: codes are unique.") % {"code": code},
                code="block_code_taken",
                field="code",
            )
        if block is None:
            order = (version.blocks.aggregate(n=Max("order"))["n"] or 0) + 1 if version.blocks.exists() else 0
            block = SkillBlock(version=version, order=order)
        block.code, block.title, block.mandatory, block.description = code, title.strip(), mandatory, description
        block.save()
        if competencies is not None:
            block.competencies.all().delete()
            Competency.objects.bulk_create(
                Competency(block=block, order=i, text=t.strip()) for i, t in enumerate(competencies) if t.strip()
            )
        if criteria is not None:
            block.criteria.all().delete()
            Criterion.objects.bulk_create(
                Criterion(block=block, order=i, text=t.strip()) for i, t in enumerate(criteria) if t.strip()
            )
        if modalities is not None:
            for m in modalities:
                if m["kind"] not in ModalityKind.values:
                    raise RuleViolation(_("Unknown evaluation modality."), code="modality_kind", field="modalities")
            block.modalities.all().delete()
            EvaluationModality.objects.bulk_create(
                EvaluationModality(block=block, kind=m["kind"], description=m.get("description", "").strip())
                for m in modalities
            )
        audit_record(subject=version, action="referential.edit", by=by, note=f"block {code}")
    return block


def block_remove(*, block: SkillBlock, by) -> None:
    with transaction.atomic():
        version = _locked(block.version)
        _require(by, "referential.edit", version)
        _ensure_draft(version)
        code = block.code
        SkillBlock.objects.filter(pk=block.pk, version=version).delete()
        _renumber(version)
        audit_record(subject=version, action="referential.edit", by=by, note=f"block {code} removed")


def block_move(*, block: SkillBlock, by, offset: int) -> None:
    """Move a block up (-1) or down (+1) among the version's blocks."""
    with transaction.atomic():
        version = _locked(block.version)
        _require(by, "referential.edit", version)
        _ensure_draft(version)
        blocks = list(version.blocks.order_by("order", "pk"))
        index = next(i for i, b in enumerate(blocks) if b.pk == block.pk)
        target = max(0, min(len(blocks) - 1, index + offset))
        blocks.insert(target, blocks.pop(index))
        for order, b in enumerate(blocks):
            if b.order != order:
                SkillBlock.objects.filter(pk=b.pk).update(order=order)
        audit_record(subject=version, action="referential.edit", by=by, note=f"block {block.code} moved")


def _renumber(version: ReferentialVersion) -> None:
    for order, pk in enumerate(version.blocks.order_by("order", "pk").values_list("pk", flat=True)):
        SkillBlock.objects.filter(pk=pk).exclude(order=order).update(order=order)


# --- habilitations and equivalences -----------------------------------------------------------


def habilitation_add(
    *,
    certification: Certification,
    by,
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
    training_provider: TrainingProvider | None = None,
    evaluator=None,
) -> Habilitation:
    if (training_provider is None) == (evaluator is None):
        raise RuleViolation(_("Habilitate either a training provider or an evaluator."), code="habilitation_holder")
    if valid_until is not None and valid_until < valid_from:
        raise RuleViolation(
            _("The end date of a habilitation cannot be before its start date."),
            code="habilitation_dates",
            field="valid_until",
        )
    with transaction.atomic():
        certification = Certification.objects.select_for_update().get(pk=certification.pk)
        _require(by, "habilitation.manage", certification)
        kind = HabilitationKind.PROVIDER if training_provider is not None else HabilitationKind.EVALUATOR
        holder = {"training_provider": training_provider} if training_provider else {"evaluator": evaluator}
        overlapping = Habilitation.objects.filter(certification=certification, kind=kind, **holder).exclude(
            valid_until__lt=valid_from
        )
        if valid_until is not None:
            overlapping = overlapping.exclude(valid_from__gt=valid_until)
        if overlapping.exists():
            raise RuleViolation(
                _("This holder already has a habilitation for this certification over these dates."),
                code="habilitation_overlap",
            )
        habilitation = Habilitation.objects.create(
            certification=certification, kind=kind, valid_from=valid_from, valid_until=valid_until, **holder
        )
        audit_record(subject=habilitation, action="habilitation.add", by=by, to_state=kind)
    return habilitation


def habilitation_end(*, habilitation: Habilitation, by, on_date: datetime.date) -> Habilitation:
    """End a habilitation on ``on_date`` (still valid that day: both bounds are included)."""
    with transaction.atomic():
        habilitation = Habilitation.objects.select_for_update().select_related("certification").get(pk=habilitation.pk)
        _require(by, "habilitation.manage", habilitation.certification)
        if on_date < habilitation.valid_from:
            raise RuleViolation(
                _("A habilitation cannot end before it starts (%(start)s).") % {"start": habilitation.valid_from},
                code="habilitation_dates",
                field="valid_until",
            )
        if habilitation.valid_until is not None and habilitation.valid_until < on_date:
            raise RuleViolation(_("This habilitation has already ended."), code="habilitation_ended")
        previous = habilitation.valid_until
        habilitation.valid_until = on_date
        habilitation.save(update_fields=["valid_until"])
        audit_record(
            subject=habilitation,
            action="habilitation.end",
            by=by,
            changes={"valid_until": [str(previous), str(on_date)]},
        )
    return habilitation


def equivalence_add(
    *, from_block: SkillBlock, to_block: SkillBlock, by, bidirectional: bool = True, note: str = ""
) -> BlockEquivalence:
    """A passerelle between blocks of two different certifications (domain.md, Correspondance)."""
    from_block = SkillBlock.objects.select_related("version__certification").get(pk=from_block.pk)
    to_block = SkillBlock.objects.select_related("version__certification").get(pk=to_block.pk)
    if from_block.version.certification_id == to_block.version.certification_id:
        raise RuleViolation(
            _("An equivalence links blocks of two different certifications."), code="equivalence_same_certification"
        )
    with transaction.atomic():
        certification = Certification.objects.select_for_update().get(pk=from_block.version.certification_id)
        _require(by, "equivalence.manage", certification)
        if BlockEquivalence.objects.filter(from_block=from_block, to_block=to_block).exists() or (
            BlockEquivalence.objects.filter(from_block=to_block, to_block=from_block, bidirectional=True).exists()
        ):
            raise RuleViolation(_("This equivalence already exists."), code="equivalence_exists")
        equivalence = BlockEquivalence.objects.create(
            from_block=from_block, to_block=to_block, bidirectional=bidirectional, note=note
        )
        audit_record(subject=equivalence, action="equivalence.add", by=by, note=str(equivalence))
    return equivalence


def equivalence_remove(*, equivalence: BlockEquivalence, by) -> None:
    with transaction.atomic():
        equivalence = BlockEquivalence.objects.select_related("from_block__version__certification").get(
            pk=equivalence.pk
        )
        _require(by, "equivalence.manage", equivalence.from_block.version.certification)
        audit_record(subject=equivalence, action="equivalence.remove", by=by, note=str(equivalence))
        equivalence.delete()
