"""May a path start on this certification through this access route? (domain.md, "Rules the
software enforces"). Financing schemes (CPF...) are checked in financing.eligibility."""

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from candidates.models import AccessRoute
from certifications.models import CertificationKind, Register


def access_route_eligibility(*, certification, access_route: str, on_date: datetime.date) -> list[str]:
    """The reasons a new path may not start, in words for people; empty when it may."""
    reasons: list[str] = []
    registration = certification.registration_or_none
    active = registration is not None and registration.is_active_on(on_date)
    rncp_active = active and registration.register == Register.RNCP

    if certification.kind == CertificationKind.EXTERNAL:
        reasons.append(_("Only CQP and CQPI can be prepared on this portal."))
    if access_route not in AccessRoute.values:
        reasons.append(_("Unknown access route."))
        return reasons

    # Registration expiry: no new path after the end date; started paths go on (domain.md).
    if registration is not None and not active:
        if registration.end_date and on_date > registration.end_date:
            reasons.append(
                _("The registration %(number)s ended on %(date)s: no new path may start after its end date.")
                % {"number": registration.number, "date": date_format(registration.end_date)}
            )
        else:
            reasons.append(
                _("The registration %(number)s is not active on %(date)s: no new path may start.")
                % {"number": registration.number, "date": date_format(on_date)}
            )

    if access_route == AccessRoute.VAE:
        # VAE: only an active RNCP registration (RS or unregistered: refused), and it must list VAE.
        if not rncp_active:
            reasons.append(_("VAE is only possible for a certification registered at the RNCP and active."))
        elif not registration.allows(AccessRoute.VAE):
            reasons.append(_("The RNCP registration of this certification does not open it to VAE."))
    elif access_route == AccessRoute.APPRENTICESHIP:
        # Apprenticeship leads to a diplôme or titre, not a CQP, unless the registration says so.
        if not (active and registration.allows(AccessRoute.APPRENTICESHIP)):
            reasons.append(
                _("A contrat d'apprentissage does not lead to a CQP unless its registration explicitly allows it.")
            )
    elif access_route == AccessRoute.PRO_A:
        if not rncp_active:
            reasons.append(_("Pro-A is only possible for a CQP registered at the RNCP and active."))
        if not certification.pro_a_eligible:
            reasons.append(_("This CQP is not on the branch's Pro-A list."))
    # Contrat de professionnalisation: any CQP, registered or not. POE, continuing education,
    # independent candidates: no registration requirement.
    return reasons
