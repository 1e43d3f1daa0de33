"""Which financing scheme a path may use, and which funder may pay it.

``scheme_eligibility`` is the one answer to "may this path be funded by this scheme on this
date?": funding lines call it at creation and submission, path registration may call it too.
An empty list means eligible; otherwise each reason names the rule that refuses.
"""

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from candidates.models import CandidateStatus
from certifications.models import Register
from certifications.selectors import is_habilitated
from financing.models import BRANCH_OPCO_SCHEMES, SCHEME_FUNDER_KINDS, FunderKind, Scheme

# Licence = national level 6: Pro-A is for employees below it (L6324-2 Code du travail).
PRO_A_MAX_DEGREE_LEVEL = 5


def _registration(path):
    return path.certification.registration_or_none


def _active_registration_reasons(path, on_date, *, registers, scheme_label) -> list[str]:
    registration = _registration(path)
    names = " / ".join(registers)
    if registration is None or registration.register not in registers:
        return [
            _("%(scheme)s: the certification must be registered at the %(registers)s; this one is not.")
            % {"scheme": scheme_label, "registers": names}
        ]
    if not registration.is_active_on(on_date):
        return [
            _("%(scheme)s: the registration %(number)s is not active on %(date)s.")
            % {"scheme": scheme_label, "number": registration.number, "date": date_format(on_date)}
        ]
    return []


def _cpf_reasons(path, on_date, scheme_label) -> list[str]:
    # CPF: RNCP or RS registration active on the start date, with a habilitated provider (L6323-6).
    reasons = _active_registration_reasons(
        path, on_date, registers=(Register.RNCP, Register.RS), scheme_label=scheme_label
    )
    if path.is_vae:
        return reasons
    provider = path.training_provider
    if provider is None:
        reasons.append(
            _("%(scheme)s: the path needs a training provider habilitated for this certification (or VAE).")
            % {"scheme": scheme_label}
        )
    elif not is_habilitated(certification=path.certification, on_date=on_date, training_provider=provider):
        reasons.append(
            _("%(scheme)s: the training provider %(provider)s is not habilitated for this certification on %(date)s.")
            % {"scheme": scheme_label, "provider": provider.name, "date": date_format(on_date)}
        )
    return reasons


def _candidate_status_reason(path, status, scheme_label, who) -> list[str]:
    if path.candidate.status != status:
        return [_("%(scheme)s: only for %(who)s.") % {"scheme": scheme_label, "who": who}]
    return []


def scheme_eligibility(path, scheme: str, on_date: datetime.date) -> list[str]:
    """Reasons why ``path`` may not be funded by ``scheme`` for a start on ``on_date``."""
    label = str(Scheme(scheme).label)
    if scheme == Scheme.CPF:
        return _cpf_reasons(path, on_date, label)
    if scheme == Scheme.CPF_TRANSITION:
        # Transitions Pro funds only what the CPF can fund, for employees changing career.
        return _cpf_reasons(path, on_date, label) + _candidate_status_reason(
            path, CandidateStatus.EMPLOYEE, label, _("employees")
        )
    if scheme == Scheme.PRO_A:
        return _pro_a_reasons(path, on_date, label)
    if scheme == Scheme.VAE:
        reasons = []
        if not path.is_vae:
            reasons.append(_("%(scheme)s: only for a path through VAE.") % {"scheme": label})
        # VAE only for an RNCP certification that is active (domain.md, "VAE").
        return reasons + _active_registration_reasons(path, on_date, registers=(Register.RNCP,), scheme_label=label)
    if scheme in (Scheme.POEI, Scheme.POEC):
        return _candidate_status_reason(path, CandidateStatus.JOB_SEEKER, label, _("job seekers before hiring"))
    if scheme == Scheme.PLAN:
        return _candidate_status_reason(path, CandidateStatus.EMPLOYEE, label, _("employees"))
    # Contrat de professionnalisation: any CQP, registered or not (L6325-1, L6314-1). Self-funding: always.
    return []


def _pro_a_reasons(path, on_date, label) -> list[str]:
    # Pro-A: RNCP CQP on the branch's Pro-A list, employee below licence level (L6324-2, L6324-3).
    reasons = _active_registration_reasons(path, on_date, registers=(Register.RNCP,), scheme_label=label)
    if not path.certification.pro_a_eligible:
        reasons.append(_("%(scheme)s: the certification is not on the branch's Pro-A list.") % {"scheme": label})
    level = path.candidate.highest_degree_level
    if level is not None and level > PRO_A_MAX_DEGREE_LEVEL:
        reasons.append(
            _("%(scheme)s: only for candidates below licence level (level 6); this candidate holds level %(level)s.")
            % {"scheme": label, "level": level}
        )
    return reasons + _candidate_status_reason(path, CandidateStatus.EMPLOYEE, label, _("employees"))


def funder_eligibility(path, scheme: str, funder) -> list[str]:
    """Reasons why ``funder`` may not pay a line of ``scheme`` for ``path``."""
    label = str(Scheme(scheme).label)
    allowed = SCHEME_FUNDER_KINDS[Scheme(scheme)]
    if funder.kind not in allowed:
        kinds = ", ".join(str(FunderKind(kind).label) for kind in allowed)
        return [
            _("%(scheme)s is paid by: %(kinds)s; %(funder)s cannot fund it.")
            % {"scheme": label, "kinds": kinds, "funder": funder.name}
        ]
    if scheme in BRANCH_OPCO_SCHEMES:
        opco_ids = {b.opco_id for b in path.certification.branches.all() if b.opco_id}
        if opco_ids and funder.opco_id not in opco_ids:
            return [
                _("%(scheme)s is paid by the OPCO of the certification's branch; %(funder)s is not that OPCO.")
                % {"scheme": label, "funder": funder.name}
            ]
    return []
