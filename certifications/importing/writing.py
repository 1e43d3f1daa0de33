"""Writing a chunk of parsed fiches: a fixed number of queries per chunk, whatever its size.

``import_fiches`` does what importing each fiche alone would do (look the registration up by
number, skip an unchanged fingerprint, create or update the certification, its branches and
registration, write or redraft its référentiel, audit each change), with one query per kind of
row for the whole chunk: bulk lookups, ``bulk_create`` and ``bulk_update``.

The bulk calls skip the models' ``save()`` guards, so the rules they enforce are checked here,
once per chunk:

- content (blocks, competencies, modalities, criteria, activities) is only ever written into a
  draft: a version created by this chunk, or the certification's current draft read under
  ``select_for_update`` (``_refuse_unless_draft``); on PostgreSQL the trigger of migration 0003
  still checks every row;
- a published or retired version is never changed: its content is compared, and a different
  content becomes a new draft based on it (domain.md, Versioning);
- the only update of a version is the publication of the versions this chunk created, draft →
  published, as ``version.publish()`` does (no ``post_transition`` receiver exists for it);
- audit rows are inserted, never updated (the trail is append-only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from certifications.models import (
    Activity,
    Branch,
    Certification,
    CertificationKind,
    Competency,
    Criterion,
    EvaluationModality,
    ReferentialState,
    ReferentialVersion,
    Registration,
    SkillBlock,
    _refuse_if_frozen,
)
from cqp_portal.audit.models import AuditEntry

SOURCE = "France compétences"
BATCH_SIZE = 2000  # rows per INSERT statement

CERTIFICATION_FIELDS = ["kind", "title", "nsf_codes", "certifier_names", "register_fingerprint", "updated_at"]
REGISTRATION_FIELDS = [
    "register",
    "number",
    "level",
    "decision_date",
    "end_date",
    "last_delivery_date",
    "listed_active",
    "access_routes",
]


@dataclass
class Outcome:
    """What happened to one fiche of the chunk."""

    outcome: str  # created, updated or unchanged
    blocks: int = 0
    messages: list[str] = field(default_factory=list)


@dataclass
class _Item:
    data: dict
    digest: str
    registration: Registration | None
    outcome: Outcome
    certification: Certification | None = None
    audit: list[tuple] = field(default_factory=list)  # (subject, action, from_state, to_state)


def import_fiches(fiches: list[tuple[dict, str]]) -> list[Outcome]:
    """Import ``fiches`` (parsed data and fingerprint; numbers distinct), in the caller's transaction."""
    numbers = [data["number"] for data, _digest in fiches]
    registrations = {
        r.number: r for r in Registration.objects.select_related("certification").filter(number__in=numbers)
    }
    items, outcomes = [], []
    for data, digest in fiches:
        registration = registrations.get(data["number"])
        if registration is not None and registration.certification.register_fingerprint == digest:
            outcomes.append(Outcome("unchanged"))
            continue
        item = _Item(data, digest, registration, Outcome("updated" if registration else "created"))
        items.append(item)
        outcomes.append(item.outcome)
    if items:
        _write_certifications(items)
        _write_referentials(items)
        _write_audit(items)
    return outcomes


# --- certifications, branches, registrations ------------------------------------------------


def _branches(items: list[_Item]) -> dict[str, Branch]:
    """Branches named in CCN_*, created when missing (the first fiche naming one gives its name)."""
    names: dict[str, str] = {}
    for item in items:
        for idcc, name in item.data["ccn"]:
            names.setdefault(idcc, (name or f"IDCC {idcc}")[:200])
    if not names:
        return {}
    found = {b.idcc: b for b in Branch.objects.filter(idcc__in=names)}
    missing = [idcc for idcc in names if idcc not in found]
    if missing:
        # ignore_conflicts: a branch created meanwhile by someone else is simply read back.
        Branch.objects.bulk_create([Branch(idcc=idcc, name=names[idcc]) for idcc in missing], ignore_conflicts=True)
        found.update({b.idcc: b for b in Branch.objects.filter(idcc__in=missing)})
    return found


def _write_certifications(items: list[_Item]) -> None:
    branches = _branches(items)
    new = [item for item in items if item.registration is None]
    taken = set(
        Certification.objects.filter(code__in=[item.data["number"].lower() for item in new]).values_list(
            "code", flat=True
        )
    )
    now = timezone.now()
    changed = []
    for item in items:
        data = item.data
        if item.registration is None:
            code = data["number"].lower()
            item.certification = Certification(
                kind=data["kind"],
                code=code if code not in taken else f"{code}-fc",
                title=data["title"],
                nsf_codes=data["nsf_codes"],
                certifier_names=data["certifiers"],
                register_fingerprint=item.digest,
            )
        else:
            certification = item.certification = item.registration.certification
            # A CQP/CQPI edited here keeps its kind unless the register says it is one.
            if data["kind"] != CertificationKind.EXTERNAL or certification.kind == CertificationKind.EXTERNAL:
                certification.kind = data["kind"]
            certification.title = data["title"]
            certification.nsf_codes = data["nsf_codes"]
            certification.certifier_names = data["certifiers"]
            certification.register_fingerprint = item.digest
            certification.updated_at = now  # bulk_update does not touch auto_now fields
            changed.append(certification)
    Certification.objects.bulk_create([item.certification for item in new], batch_size=BATCH_SIZE)
    if changed:
        Certification.objects.bulk_update(changed, CERTIFICATION_FIELDS, batch_size=BATCH_SIZE)

    memberships = set()
    for item in items:
        if item.registration is None:
            item.audit.append((item.certification, "certification.import", "", item.data["kind"]))
        else:
            item.audit.append((item.certification, "certification.import_update", "", ""))
        owning = (
            [branches[idcc] for idcc, _name in item.data["ccn"]]
            if item.data["kind"] != CertificationKind.EXTERNAL
            else []
        )
        if item.data["kind"] == CertificationKind.CQP and len(owning) != 1:
            item.outcome.messages.append(
                f"{item.data['number']}: CQP with {len(owning)} branch(es) in CCN_*: check its owner"
            )
        memberships.update((item.certification.pk, branch.pk) for branch in owning)
    if memberships:
        # Like branches.add(): an existing membership is kept, never duplicated nor removed.
        through = Certification.branches.through
        through.objects.bulk_create(
            [through(certification_id=c, branch_id=b) for c, b in sorted(memberships)], ignore_conflicts=True
        )

    created, updated = [], []
    for item in items:
        values = _registration_values(item.data)
        if item.registration is None:
            created.append(Registration(certification=item.certification, **values))
        else:
            for name, value in values.items():
                setattr(item.registration, name, value)
            updated.append(item.registration)
    Registration.objects.bulk_create(created, batch_size=BATCH_SIZE)
    if updated:
        Registration.objects.bulk_update(updated, REGISTRATION_FIELDS, batch_size=BATCH_SIZE)


def _registration_values(data: dict) -> dict:
    return {
        "register": data["register"],
        "number": data["number"],
        "level": data["level"],
        "decision_date": data["decision_date"],
        "end_date": data["end_date"],
        "last_delivery_date": data["last_delivery_date"],
        "listed_active": data["active"],
        "access_routes": data["access_routes"],
    }


# --- référentiels -------------------------------------------------------------------------------


def _write_referentials(items: list[_Item]) -> None:
    existing = [item.certification.pk for item in items if item.registration is not None]
    current: dict[int, ReferentialVersion] = {}
    if existing:
        # Locked: a draft read here cannot be published by someone else before its content is replaced.
        for version in ReferentialVersion.objects.select_for_update().filter(certification_id__in=existing):
            best = current.get(version.certification_id)
            if best is None or version.number > best.number:
                current[version.certification_id] = version
    contents = _contents(list(current.values()))

    new_versions: list[tuple[ReferentialVersion, dict]] = []  # (draft to create, its content)
    rewritten: list[tuple[ReferentialVersion, dict]] = []  # (current draft, its new content)
    to_publish: list[ReferentialVersion] = []
    for item in items:
        data = item.data
        version = current.get(item.certification.pk)
        if version is None:
            if not data["blocks"]:
                continue  # an RS certification is indivisible: no référentiel of blocks to hold
            draft = ReferentialVersion(certification=item.certification, number=1, source=SOURCE)
            new_versions.append((draft, {"activities": [], "blocks": data["blocks"]}))
            # The register is the authority for an imported référentiel: it is published as it
            # stands (its blocks have no criteria; the publication checks apply to référentiels edited here).
            to_publish.append(draft)
            item.audit.append((draft, "referential.import", ReferentialState.DRAFT, ReferentialState.PUBLISHED))
        else:
            existing_content = contents[version.pk]
            if existing_content["blocks"] == data["blocks"]:
                continue
            if version.state == ReferentialState.DRAFT:
                rewritten.append((version, {"activities": [], "blocks": data["blocks"]}))
                item.audit.append((version, "referential.import_update", "", ""))
            else:
                # domain.md, Versioning: a published référentiel is never changed; the register's
                # new content becomes a draft for the branch to review and publish.
                draft = ReferentialVersion(
                    certification=item.certification,
                    number=version.number + 1,
                    based_on=version,
                    source=SOURCE,
                    summary=f"{SOURCE} {timezone.localdate():%d/%m/%Y}",
                )
                new_versions.append((draft, {"activities": existing_content["activities"], "blocks": data["blocks"]}))
                item.audit.append((draft, "referential.import", "", ReferentialState.DRAFT))
        item.outcome.blocks = len(data["blocks"])

    if rewritten:
        _refuse_unless_draft(version for version, _content in rewritten)
        # The queryset's own guard refuses the delete if one of these versions is not a draft.
        SkillBlock.objects.filter(version__in=[version for version, _content in rewritten]).delete()
    ReferentialVersion.objects.bulk_create([version for version, _content in new_versions], batch_size=BATCH_SIZE)
    _write_contents(rewritten + new_versions)
    if to_publish:
        now = timezone.now()
        ReferentialVersion.objects.filter(pk__in=[v.pk for v in to_publish], state=ReferentialState.DRAFT).update(
            state=ReferentialState.PUBLISHED, published_at=now
        )


def _refuse_unless_draft(versions) -> None:
    for version in versions:
        _refuse_if_frozen(version.state)


def _contents(versions: list[ReferentialVersion]) -> dict[int, dict]:
    """``exchange.version_content`` of each version, in 5 queries for all of them."""
    contents = {v.pk: {"activities": [], "blocks": []} for v in versions}
    if not versions:
        return contents
    for activity in Activity.objects.filter(version__in=versions).order_by("version_id", "order", "pk"):
        contents[activity.version_id]["activities"].append(
            {"title": activity.title, "description": activity.description}
        )
    blocks = (
        SkillBlock.objects.filter(version__in=versions)
        .prefetch_related("competencies", "modalities", "criteria")
        .order_by("version_id", "order", "pk")
    )
    for b in blocks:
        contents[b.version_id]["blocks"].append(
            {
                "code": b.code,
                "title": b.title,
                "mandatory": b.mandatory,
                "description": b.description,
                "competencies": [c.text for c in b.competencies.all()],
                "modalities": [{"kind": m.kind, "description": m.description} for m in b.modalities.all()],
                "criteria": [c.text for c in b.criteria.all()],
            }
        )
    return contents


def _write_contents(pairs: list[tuple[ReferentialVersion, dict]]) -> None:
    """``exchange.write_content`` for many (draft, empty) versions: one INSERT per kind of row."""
    _refuse_unless_draft(version for version, _content in pairs)
    activities, blocks, block_data = [], [], []
    for version, content in pairs:
        activities += [
            (version.pk, i, a["title"], a.get("description", "")) for i, a in enumerate(content.get("activities", []))
        ]
        for i, b in enumerate(content.get("blocks", [])):
            blocks.append(
                SkillBlock(
                    version=version,
                    order=i,
                    code=b["code"],
                    title=b["title"],
                    mandatory=b.get("mandatory", True),
                    description=b.get("description", ""),
                )
            )
            block_data.append(b)
    _insert_rows(Activity, ["version", "order", "title", "description"], activities)
    SkillBlock.objects.bulk_create(blocks, batch_size=BATCH_SIZE)
    competencies, modalities, criteria = [], [], []
    for block, data in zip(blocks, block_data, strict=True):
        competencies += [(block.pk, i, t) for i, t in enumerate(data.get("competencies", []))]
        criteria += [(block.pk, i, t) for i, t in enumerate(data.get("criteria", []))]
        modalities += [(block.pk, m["kind"], m.get("description", "")) for m in data.get("modalities", [])]
    _insert_rows(Competency, ["block", "order", "text"], competencies)
    _insert_rows(Criterion, ["block", "order", "text"], criteria)
    _insert_rows(EvaluationModality, ["block", "kind", "description"], modalities)


def _insert_rows(model, names: list[str], rows: list[tuple]) -> None:
    """Insert plain rows (no pk needed back). On PostgreSQL one ``INSERT ... SELECT FROM unnest()``
    of one array per column: building ~25 model instances per fiche for ``bulk_create`` cost more
    than the rest of the import. Elsewhere (SQLite for ``make run``), ``bulk_create``."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**{f.attname: value for f, value in zip(fields, row, strict=True)}) for row in rows],
            batch_size=BATCH_SIZE,
        )
        return
    quote = connection.ops.quote_name
    # Identifiers and types come from the model's metadata, the values are parameters.
    sql = "INSERT INTO {} ({}) SELECT * FROM unnest({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5 * BATCH_SIZE):
            cursor.execute(sql, [list(column) for column in zip(*rows[start : start + 5 * BATCH_SIZE], strict=True)])


# --- audit ------------------------------------------------------------------------------------------


def _write_audit(items: list[_Item]) -> None:
    """The rows ``audit_record`` would write, in the same order, in one INSERT."""
    entries = [
        AuditEntry(
            content_type=ContentType.objects.get_for_model(subject),
            object_id=str(subject.pk),
            action=action,
            from_state=from_state,
            to_state=to_state,
            note=SOURCE,
        )
        for item in items
        for subject, action, from_state, to_state in item.audit
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
