"""Demo organisations: the 11 OPCOs, three real branches, their CPNE and a provider."""

from certifications.models import Branch, Commission, Opco, TrainingProvider

OPCOS = [
    ("afdas", "AFDAS"),
    ("atlas", "ATLAS"),
    ("ocapiat", "OCAPIAT"),
    ("uniformation", "Uniformation"),
    ("constructys", "Constructys"),
    ("opcommerce", "L'Opcommerce"),
    ("akto", "AKTO"),
    ("opco-2i", "OPCO 2i"),
    ("opco-mobilites", "OPCO Mobilités"),
    ("opco-ep", "OPCO EP"),
    ("opco-sante", "OPCO Santé"),
]

BRANCHES = [
    ("1979", "Hôtels, cafés, restaurants (HCR)", "akto", "CPNE-FP de l'industrie hôtelière"),
    ("3248", "Métallurgie", "opco-2i", "CPNE de la métallurgie"),
    ("3246", "Animation (ECLAT)", "uniformation", "CPNEF de la branche ECLAT"),
]

PROVIDERS = [
    ("Institut Vatel Formation", "", "Paris"),
    ("AFPI Métallurgie Nord", "", "Lille"),
]


def seed_organisations() -> dict:
    opcos = {}
    for code, name in OPCOS:
        opcos[code], _ = Opco.objects.get_or_create(code=code, defaults={"name": name})
    branches = {}
    for idcc, name, opco_code, commission_name in BRANCHES:
        branch, _ = Branch.objects.get_or_create(idcc=idcc, defaults={"name": name, "opco": opcos[opco_code]})
        commission, _ = Commission.objects.get_or_create(name=commission_name)
        commission.branches.add(branch)
        branches[idcc] = branch
    providers = {}
    for name, siret, city in PROVIDERS:
        providers[name], _ = TrainingProvider.objects.get_or_create(name=name, defaults={"siret": siret, "city": city})
    return {"opcos": opcos, "branches": branches, "providers": providers}


def seed(context: dict) -> None:
    context.update(seed_organisations())
