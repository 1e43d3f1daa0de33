"""Demo funding lines: every scheme and every state, a path funded by two funders (OPCO +
employer), and requests addressed to AKTO for financeur@demo.cqp.fr to decide.

Runs after candidates.demo. Lines are seeded as an import would (state given at creation);
each carries a ``DEMO-...`` funder reference so a second run finds them and creates nothing.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from candidates.models import Path
from certifications.models import Certification
from cqp_portal.audit.services import audit_record
from financing.models import CostRate, Funder, FunderKind, FundingLine, FundingState, Scheme
from financing.services import self_funder

# Hourly cost of training per demo certification (€), for the path cost against funding.
DEMO_RATES = {
    "cqp-serveur-restauration": Decimal("32.00"),
    "cqp-operateur-regleur": Decimal("41.50"),
    "cqp-animateur-periscolaire": Decimal("24.00"),
    "cqpi-tuteur-entreprise": Decimal("30.00"),
}

# (reference, path slot, scheme, funder key, state, hours, rate or None, fixed amount or None, approved share)
# Slot 0 is an HCR path when one exists (AKTO is the HCR branch's OPCO) and is funded twice.
DEMO_LINES = [
    ("DEMO-01", 0, Scheme.PROFESSIONALISATION, "AKTO", FundingState.SUBMITTED, 120, "32.00", None, None),
    ("DEMO-02", 0, Scheme.PLAN, "employer", FundingState.APPROVED, None, None, "800.00", "1"),
    ("DEMO-03", 1, Scheme.CPF, "Caisse des Dépôts (Mon Compte Formation)", FundingState.PAID, 70, "30.00", None, "1"),
    ("DEMO-04", 1, Scheme.PRO_A, "AKTO", FundingState.SUBMITTED, 150, "30.00", None, None),
    ("DEMO-05", 2, Scheme.POEI, "France Travail", FundingState.REFUSED, 140, "25.00", None, None),
    ("DEMO-06", 2, Scheme.POEC, "AKTO", FundingState.INVOICED, 140, "25.00", None, "0.9"),
    (
        "DEMO-07",
        3,
        Scheme.CPF_TRANSITION,
        "Transitions Pro Île-de-France",
        FundingState.DRAFT,
        200,
        "35.00",
        None,
        None,
    ),
    (
        "DEMO-08",
        3,
        Scheme.VAE,
        "Caisse des Dépôts (Mon Compte Formation)",
        FundingState.APPROVED,
        None,
        None,
        "1200.00",
        "1",
    ),
    ("DEMO-09", 4, Scheme.SELF, "self", FundingState.CANCELLED, None, None, "450.00", None),
    ("DEMO-10", 0, Scheme.PROFESSIONALISATION, "AKTO", FundingState.APPROVED, 60, "32.00", None, "0.75"),
]

CENT = Decimal("0.01")


def _paths(context) -> list:
    given = context.get("paths")
    if isinstance(given, dict):
        paths = list(given.values())
    elif given:
        paths = list(given)
    else:
        paths = list(Path.objects.order_by("pk"))
    paths = [p for p in paths if isinstance(p, Path)]
    # AKTO lines go first to a path of an HCR (IDCC 1979) certification, when there is one.
    hcr = [p for p in paths if p.certification.branches.filter(idcc="1979").exists()]
    return hcr[:1] + [p for p in paths if p not in hcr[:1]]


def _seed_rates() -> None:
    for code, rate in DEMO_RATES.items():
        certification = Certification.objects.filter(code=code).first()
        if certification:
            CostRate.objects.get_or_create(certification=certification, defaults={"hourly_rate": rate})


def _funder(key: str, path, funders: dict) -> Funder | None:
    if key == "self":
        return self_funder()
    if key == "employer":
        name = path.candidate.employer_name or "Employeur du candidat (démo)"
        funder, _created = Funder.objects.get_or_create(name=name, defaults={"kind": FunderKind.EMPLOYER})
        return funder
    return funders.get(key) or Funder.objects.filter(name=key).first()


def seed(context: dict) -> None:
    out = context.get("stdout")
    _seed_rates()
    paths = _paths(context)
    if not paths:
        if out:
            out.write("  no path found: demo funding lines skipped")
        return
    funders = context.get("funders", {})
    now = timezone.now()
    created = 0
    for reference, slot, scheme, funder_key, state, hours, rate, fixed, share in DEMO_LINES:
        if FundingLine.objects.filter(funder_reference=reference).exists():
            continue
        path = paths[slot % len(paths)]
        funder = _funder(funder_key, path, funders)
        if funder is None:
            continue
        requested = Decimal(fixed) if fixed else (Decimal(rate) * hours).quantize(CENT)
        approved = (requested * Decimal(share)).quantize(CENT) if share else None
        reached_funder = state != FundingState.DRAFT and not (state == FundingState.CANCELLED and not approved)
        invoiced = approved if state in (FundingState.INVOICED, FundingState.PAID) else None
        start = path.start_date or datetime.date.today()
        line = FundingLine.objects.create(
            path=path,
            scheme=scheme,
            funder=funder,
            state=state,
            hours=hours,
            hourly_rate=Decimal(rate) if rate else None,
            fixed_amount=Decimal(fixed) if fixed else None,
            amount_requested=requested,
            amount_approved=approved
            if state in (FundingState.APPROVED, FundingState.INVOICED, FundingState.PAID)
            else None,
            amount_invoiced=invoiced,
            amount_paid=invoiced if state == FundingState.PAID else None,
            funder_reference=reference,
            cpf_file_number="2026" + reference.replace("-", "")[-9:].rjust(9, "0") if scheme == Scheme.CPF else "",
            invoice_reference=f"FAC-{reference}" if invoiced else "",
            start_date=start,
            end_date=start + datetime.timedelta(days=180),
            submitted_at=now if reached_funder else None,
            decided_at=now
            if state not in (FundingState.DRAFT, FundingState.SUBMITTED, FundingState.CANCELLED)
            else None,
            decision_note="Prise en charge partielle : plafond de branche."
            if share and share != "1"
            else ("Dossier incomplet : devis de l'organisme manquant." if state == FundingState.REFUSED else ""),
            invoiced_on=start + datetime.timedelta(days=60) if invoiced else None,
            paid_on=start + datetime.timedelta(days=90) if state == FundingState.PAID else None,
            cancelled_reason="Le candidat a trouvé un autre financement." if state == FundingState.CANCELLED else "",
        )
        line.blocks.set(list(path.version.blocks.order_by("order")[:2]))
        audit_record(subject=line, action="funding.create", to_state=state, note="Données de démonstration")
        created += 1
    if out:
        out.write(f"  {created} demo funding lines created")
