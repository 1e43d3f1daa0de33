from django import template

from financing.models import FundingState

register = template.Library()

# The badge carries the translated state name; the class only adds an icon and a colour.
BADGES = {
    FundingState.DRAFT: "badge-neutral",
    FundingState.SUBMITTED: "badge-wait",
    FundingState.APPROVED: "badge-ok",
    FundingState.REFUSED: "badge-ko",
    FundingState.INVOICED: "badge-wait",
    FundingState.PAID: "badge-ok",
    FundingState.CANCELLED: "badge-neutral",
}


@register.inclusion_tag("financing/includes/state_badge.html")
def funding_state(line):
    return {"label": line.get_state_display(), "css": BADGES.get(line.state, "badge-neutral")}


@register.filter
def euros(value):
    """1 234,50 € in French, 1,234.50 € in English (the locale's grouping)."""
    if value is None:
        return "—"
    from django.template.defaultfilters import floatformat

    return f"{floatformat(value, '2g')}\u00a0€"


@register.filter
def state_label(value):
    try:
        return FundingState(value).label
    except ValueError:
        return value or "—"


@register.filter
def action_label(action):
    from django.utils.translation import gettext as _

    return {
        "funding.create": _("Created"),
        "funding.submit": _("Submitted to the funder"),
        "funding.approve": _("Approved"),
        "funding.refuse": _("Refused"),
        "funding.invoice": _("Invoice recorded"),
        "funding.pay": _("Payment recorded"),
        "funding.cancel": _("Cancelled"),
    }.get(action, action)
