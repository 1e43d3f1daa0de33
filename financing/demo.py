"""Demo funders: one per OPCO, France Travail, a Transitions Pro body and the CDC."""

from financing.models import Funder, FunderKind


def seed_funders(*, opcos: dict) -> dict[str, Funder]:
    funders = {}
    for opco in opcos.values():
        funders[opco.name], _ = Funder.objects.get_or_create(
            name=opco.name, defaults={"kind": FunderKind.OPCO, "opco": opco}
        )
    for name, kind, region in [
        ("France Travail", FunderKind.FRANCE_TRAVAIL, ""),
        ("Transitions Pro Île-de-France", FunderKind.TRANSITIONS_PRO, "Île-de-France"),
        ("Caisse des Dépôts (Mon Compte Formation)", FunderKind.CDC, ""),
    ]:
        funders[name], _ = Funder.objects.get_or_create(name=name, defaults={"kind": kind, "region": region})
    return funders


def seed(context: dict) -> None:
    from financing.services import SELF_FUNDER_NAME, self_funder

    context["funders"] = seed_funders(opcos=context["opcos"])
    # "The candidate pays": one funder row for every self-funded line.
    context["funders"][SELF_FUNDER_NAME] = self_funder()
