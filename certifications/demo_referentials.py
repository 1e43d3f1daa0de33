"""Demo référentiels: the register samples, then four CQP/CQPI with published versions,
one draft v2 with changes, habilitations and one equivalence. Idempotent (natural keys)."""

import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from candidates.models import add_months
from certifications import services
from certifications.exchange import write_content
from certifications.models import (
    AppealPolicy,
    BlockEquivalence,
    Certification,
    CertificationKind,
    Habilitation,
    ReferentialState,
    ReferentialVersion,
    Registration,
)

SAMPLES = ["france-competences-rncp-v4.1-sample.xml", "france-competences-rs-v4.1-sample.xml"]

ALL_ROUTES = ["continuing", "professionalisation", "independent", "vae"]


def _block(code, title, competencies, modalities, criteria, mandatory=True):
    return {
        "code": code,
        "title": title,
        "mandatory": mandatory,
        "description": "",
        "competencies": competencies,
        "modalities": [{"kind": kind, "description": text} for kind, text in modalities],
        "criteria": criteria,
    }


SERVEUR = {
    "activities": [
        {"title": "Mise en place de la salle et des postes de service", "description": ""},
        {"title": "Accueil et prise en charge de la clientèle", "description": ""},
        {"title": "Service des mets et des boissons", "description": ""},
    ],
    "blocks": [
        _block(
            "RNCP38001BC01",
            "Préparer la salle et les postes de service",
            [
                "Réaliser la mise en place de la salle selon le type de prestation",
                "Contrôler la propreté et l'hygiène du matériel et des locaux",
                "Approvisionner les postes de service (office, bar, consoles)",
            ],
            [("practical_situation", "Mise en place d'une salle de 20 couverts en situation réelle")],
            [
                "La mise en place respecte le plan de salle et les standards de l'établissement",
                "Les règles d'hygiène (HACCP) sont appliquées",
            ],
        ),
        _block(
            "RNCP38001BC02",
            "Accueillir et conseiller la clientèle",
            [
                "Accueillir le client et l'installer à table",
                "Présenter la carte et conseiller les mets et les boissons",
                "Prendre la commande et la transmettre en cuisine",
            ],
            [
                ("practical_situation", "Jeu de rôle avec un client"),
                ("interview", "Entretien de 20 minutes avec le jury"),
            ],
            ["Le conseil est adapté aux attentes du client", "La commande est transmise sans erreur"],
        ),
        _block(
            "RNCP38001BC03",
            "Servir les mets et les boissons",
            [
                "Servir les plats selon les techniques de service à l'assiette et au plat",
                "Servir les boissons chaudes et froides",
                "Débarrasser et redresser les tables",
            ],
            [("work_observation", "Observation en service par le tuteur et l'évaluateur")],
            [
                "Le rythme de service est adapté au déroulement du repas",
                "Les gestes de service sont sûrs et précis",
                "La présentation des plats est respectée",
            ],
        ),
        _block(
            "RNCP38001BC04",
            "Encaisser et clôturer le service",
            [
                "Établir l'addition et encaisser selon les moyens de paiement",
                "Prendre congé du client et recueillir sa satisfaction",
            ],
            [("written_test", "Étude de cas sur l'encaissement (30 minutes)")],
            ["L'encaissement est juste", "La caisse est clôturée sans écart"],
            mandatory=False,
        ),
    ],
}

REGLEUR = {
    "activities": [
        {"title": "Préparation et réglage des moyens de production", "description": ""},
        {"title": "Conduite et surveillance de la production", "description": ""},
    ],
    "blocks": [
        _block(
            "RNCP38002BC01",
            "Préparer et régler un moyen de production",
            [
                "Analyser un dossier de fabrication et identifier les paramètres de réglage",
                "Monter et régler les outillages et les programmes",
                "Réaliser la première pièce et la faire valider",
            ],
            [("practical_situation", "Réglage d'une machine sur poste réel")],
            ["Les réglages respectent le dossier de fabrication", "La première pièce est conforme"],
        ),
        _block(
            "RNCP38002BC02",
            "Conduire et surveiller la production",
            [
                "Lancer la production et surveiller les paramètres",
                "Contrôler la conformité des pièces et corriger les dérives",
                "Renseigner les documents de suivi de production",
            ],
            [("work_observation", "Observation en situation de travail"), ("interview", "Entretien technique")],
            ["Les dérives sont détectées et corrigées", "Les documents de suivi sont complets"],
        ),
        _block(
            "RNCP38002BC03",
            "Assurer la maintenance de premier niveau",
            [
                "Réaliser les opérations de maintenance préventive",
                "Diagnostiquer un dysfonctionnement simple et alerter",
            ],
            [("practical_situation", "Intervention de maintenance préventive")],
            ["Les consignes de sécurité sont respectées", "Le diagnostic est juste"],
        ),
    ],
}

ANIMATEUR = {
    "activities": [{"title": "Animation des temps périscolaires", "description": "Accueil, activités, goûter"}],
    "blocks": [
        _block(
            "BC01",
            "Accueillir les enfants et leurs familles",
            [
                "Accueillir les enfants et les familles sur les temps périscolaires",
                "Assurer la sécurité physique et affective des enfants",
            ],
            [("work_observation", "Observation sur un temps d'accueil")],
            ["Les règles de sécurité sont appliquées", "La communication avec les familles est adaptée"],
        ),
        _block(
            "BC02",
            "Concevoir et animer des activités",
            [
                "Concevoir une activité adaptée à l'âge des enfants",
                "Animer l'activité et gérer le groupe",
                "Évaluer l'activité et l'adapter",
            ],
            [("dossier", "Dossier présentant deux projets d'activités"), ("interview", "Entretien avec le jury")],
            ["L'activité répond au projet pédagogique", "Le groupe est géré de façon bienveillante"],
        ),
        _block(
            "BC03",
            "Participer au fonctionnement de la structure",
            [
                "Participer aux réunions d'équipe et au projet pédagogique",
                "Rendre compte de son activité à l'équipe",
            ],
            [("interview", "Entretien sur le fonctionnement de la structure")],
            ["La participation au projet est argumentée", "Les informations transmises sont fiables"],
        ),
    ],
}

TUTEUR = {
    "activities": [{"title": "Tutorat d'un salarié ou d'un alternant en entreprise", "description": ""}],
    "blocks": [
        _block(
            "RNCP38004BC01",
            "Accueillir et intégrer un apprenant dans l'entreprise",
            [
                "Préparer l'arrivée de l'apprenant dans l'équipe",
                "Présenter l'entreprise, ses règles et les consignes de sécurité",
                "Établir le lien avec l'organisme de formation",
            ],
            [("dossier", "Dossier de pratique de tutorat"), ("interview", "Entretien avec le jury")],
            ["Le parcours d'intégration est formalisé", "Les règles de sécurité sont transmises"],
        ),
        _block(
            "RNCP38004BC02",
            "Transmettre des savoir-faire professionnels",
            [
                "Organiser des situations de travail formatrices",
                "Expliquer et démontrer les gestes professionnels",
                "Accompagner l'apprenant dans ses apprentissages",
            ],
            [("practical_situation", "Séquence de transmission observée")],
            ["Les situations de travail sont progressives", "Les explications sont claires et adaptées"],
        ),
        _block(
            "RNCP38004BC03",
            "Évaluer la progression de l'apprenant",
            [
                "Suivre la progression à l'aide d'outils d'évaluation",
                "Conduire un entretien de bilan avec l'apprenant",
            ],
            [("interview", "Entretien sur un bilan de progression")],
            ["Les écarts sont identifiés", "Le bilan débouche sur des axes de progrès"],
        ),
    ],
}

CERTIFICATIONS = [
    {
        "code": "cqp-serveur-restauration",
        "kind": CertificationKind.CQP,
        "title": "CQP Serveur en restauration",
        "branches": ["1979"],
        "nsf_codes": ["334t"],
        "registration": {"number": "RNCP38001", "level": 3, "routes": ALL_ROUTES},
        "rules": {},
        "content": SERVEUR,
    },
    {
        "code": "cqp-operateur-regleur",
        "kind": CertificationKind.CQP,
        "title": "CQP Opérateur régleur sur machine-outil",
        "branches": ["3248"],
        "nsf_codes": ["251r"],
        "registration": {"number": "RNCP38002", "level": 4, "routes": ALL_ROUTES},
        "rules": {"block_validity_months": 60, "requires_double_evaluation": True},
        "content": REGLEUR,
    },
    {
        "code": "cqp-animateur-periscolaire",
        "kind": CertificationKind.CQP,
        "title": "CQP Animateur périscolaire",
        "branches": ["3246"],
        "nsf_codes": ["335t"],
        "registration": None,
        "rules": {},
        "content": ANIMATEUR,
    },
    {
        "code": "cqpi-tuteur-entreprise",
        "kind": CertificationKind.CQPI,
        "title": "CQPI Tuteur en entreprise",
        "branches": ["1979", "3248"],
        "nsf_codes": ["333t"],
        # Ends 5 months after the seeding: "Ma branche" shows the renewal section (issue 20.3).
        "registration": {"number": "RNCP38004", "level": 4, "routes": ALL_ROUTES, "ends_in_months": 5},
        "rules": {
            "requires_ratification": True,
            "appeal_policy": AppealPolicy.REASONED,
            "appeal_deadline_days": 30,
            "appeal_body": "CPNE",
        },
        "content": TUTEUR,
    },
]

PROVIDERS = {
    "cqp-serveur-restauration": ["Institut Vatel Formation"],
    "cqp-operateur-regleur": ["AFPI Métallurgie Nord"],
    "cqp-animateur-periscolaire": ["Institut Vatel Formation"],
    "cqpi-tuteur-entreprise": ["Institut Vatel Formation", "AFPI Métallurgie Nord"],
}

SINCE = datetime.date(2024, 1, 1)


def _say(context, message):
    out = context.get("stdout")
    if out is not None:
        out.write(f"  {message}")


def _sample_dir() -> Path | None:
    # A fresh clone has the copy under certifications/fixtures; the shared folder is the source.
    for folder in (Path(__file__).resolve().parent / "fixtures", Path(settings.BASE_DIR).parent / "shared" / "data"):
        if all((folder / name).exists() for name in SAMPLES):
            return folder
    return None


def import_samples(context) -> None:
    from certifications.importer import ImportFileError, run_import

    folder = _sample_dir()
    if folder is None:
        _say(context, "register samples not found: skipped")
        return
    for name in SAMPLES:
        try:
            stats = run_import(folder / name)
        except ImportFileError as exc:
            _say(context, f"register sample {name} skipped: {exc}")
            continue
        _say(context, f"{name}: {stats.summary_line()}")


def _certification(spec, branches) -> Certification:
    certification = Certification.objects.filter(code=spec["code"]).first()
    if certification is None:
        certification = services.certification_create(
            by=None,
            kind=spec["kind"],
            code=spec["code"],
            title=spec["title"],
            branches=[branches[idcc] for idcc in spec["branches"]],
            nsf_codes=spec["nsf_codes"],
            **spec["rules"],
        )
    registration = spec["registration"]
    if registration and not Registration.objects.filter(certification=certification).exists():
        services.registration_set(
            certification=certification,
            by=None,
            register="RNCP",
            number=registration["number"],
            level=registration["level"],
            decision_date=datetime.date(2024, 3, 1),
            end_date=(
                add_months(timezone.localdate(), registration["ends_in_months"])
                if "ends_in_months" in registration
                else datetime.date(2029, 3, 1)
            ),
            access_routes=registration["routes"],
        )
    return certification


def _published(certification, content) -> ReferentialVersion:
    version = certification.versions.filter(state=ReferentialState.PUBLISHED).order_by("-number").first()
    if version is None:
        draft = services.version_create_draft(certification=certification, by=None, summary="Version initiale")
        write_content(draft, content)
        version = services.version_publish(version=draft, by=None)
    return version


def _draft_v2(certification) -> None:
    """The serveur référentiel gets a draft v2: one block reworded, one competency added, one block added."""
    if certification.versions.filter(number=2).exists():
        return
    draft = services.version_new_from_published(
        certification=certification, by=None, summary="Révision 2026 : vente additionnelle et service en terrasse"
    )
    conseil = draft.blocks.get(code="RNCP38001BC02")
    services.block_save(
        version=draft,
        by=None,
        block=conseil,
        code=conseil.code,
        title="Accueillir, conseiller et fidéliser la clientèle",
        competencies=[
            "Accueillir le client et l'installer à table",
            "Présenter la carte et conseiller les mets et les boissons",
            "Proposer une vente additionnelle adaptée",
            "Prendre la commande et la transmettre en cuisine",
        ],
    )
    services.block_save(
        version=draft,
        by=None,
        code="RNCP38001BC05",
        title="Assurer le service en terrasse et en événementiel",
        mandatory=False,
        competencies=["Organiser le service en terrasse", "Adapter le service à un événement (buffet, cocktail)"],
        modalities=[{"kind": "practical_situation", "description": "Service d'un cocktail de 30 personnes"}],
        criteria=["L'organisation tient compte des contraintes du lieu", "Le service est fluide"],
    )


def publish_regleur_v2(certification) -> ReferentialVersion:
    """The régleur référentiel gets a published v2 (the CPNE's 2026 revision): BC02 gains a
    competency, BC03 is unchanged. BC02's correspondence is declared (v1 BC02 → v2 BC02), BC01 and
    BC03 are carried over automatically: a candidate partially awarded on v1 keeps them on v2."""
    existing = certification.versions.filter(number=2).exclude(state=ReferentialState.DRAFT).first()
    if existing is not None:
        return existing
    v1 = certification.versions.get(number=1)
    draft = certification.versions.filter(state=ReferentialState.DRAFT).first() or (
        services.version_new_from_published(
            certification=certification, by=None, summary="Révision 2026 : autocontrôle en production"
        )
    )
    production = draft.blocks.get(code="RNCP38002BC02")
    services.block_save(
        version=draft,
        by=None,
        block=production,
        code=production.code,
        title=production.title,
        competencies=[
            *production.competencies.values_list("text", flat=True),
            "Réaliser l'autocontrôle des pièces avec les moyens de mesure du poste",
        ],
    )
    return services.version_publish(
        version=draft,
        by=None,
        correspondences={v1.blocks.get(code="RNCP38002BC02").pk: [production.pk]},
    )


def _habilitate(context, certification) -> None:
    providers = context.get("providers", {})
    for name in PROVIDERS[certification.code]:
        provider = providers.get(name)
        if (
            provider
            and not Habilitation.objects.filter(certification=certification, training_provider=provider).exists()
        ):
            services.habilitation_add(
                certification=certification, by=None, training_provider=provider, valid_from=SINCE
            )
    evaluator = context.get("users", {}).get("evaluateur@demo.cqp.fr")
    if evaluator and not Habilitation.objects.filter(certification=certification, evaluator=evaluator).exists():
        services.habilitation_add(certification=certification, by=None, evaluator=evaluator, valid_from=SINCE)


def seed(context: dict) -> None:
    import_samples(context)
    branches = context["branches"]
    certifications = {}
    for spec in CERTIFICATIONS:
        certification = _certification(spec, branches)
        _published(certification, spec["content"])
        _habilitate(context, certification)
        certifications[spec["code"]] = certification
    _draft_v2(certifications["cqp-serveur-restauration"])
    tuteur = certifications["cqpi-tuteur-entreprise"].versions.get(state=ReferentialState.PUBLISHED, number=1)
    serveur = certifications["cqp-serveur-restauration"].versions.get(state=ReferentialState.PUBLISHED, number=1)
    from_block = tuteur.blocks.get(code="RNCP38004BC01")
    to_block = serveur.blocks.get(code="RNCP38001BC02")
    if not BlockEquivalence.objects.filter(from_block=from_block, to_block=to_block).exists():
        services.equivalence_add(
            from_block=from_block,
            to_block=to_block,
            by=None,
            bidirectional=False,
            note="Passerelle CPNE : l'accueil d'un apprenant couvre l'accueil de la clientèle",
        )
    context.setdefault("certifications", {}).update(certifications)
