"""Open Badges 3.0 credentials (W3C Verifiable Credentials data model 2.0).

One OpenBadgeCredential per certificate and one per validated block. ``badge.json`` serves
the credential as JSON-LD; ``badge.jwt`` the same credential signed as a VC-JWT
(``signing.jose``). The issuer is the portal's ``did:web`` (keys in /.well-known/did.json);
``credentialStatus`` points to the W3C Bitstring Status List that revocation updates.
"""

from django.conf import settings

from juries.certificates.models import CertificateKind
from juries.certificates.signing import jose, status_list

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def _iso(day) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _issuer(certificate) -> dict:
    return {
        "id": jose.issuer_did(),
        "type": ["Profile"],
        "url": settings.SITE_URL + "/",
        "name": certificate.certifier_name,
        "description": ", ".join(certificate.branch_names),
    }


def _subject(certificate, achievement: dict) -> dict:
    return {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": certificate.holder_name,
            }
        ],
        "achievement": achievement,
    }


def _achievement_base(certificate) -> dict:
    extra = {}
    if certificate.registration_number:
        extra["humanCode"] = certificate.registration_number
    if certificate.nsf_codes:
        extra["fieldOfStudy"] = ", ".join(certificate.nsf_codes)
    return extra


def certificate_credential(certificate) -> dict:
    base_url = settings.SITE_URL + certificate.verification_path
    achievement_type = "Certification" if certificate.kind == CertificateKind.CERTIFICATE else "Certificate"
    blocks = ", ".join(f"{b.code} {b.title}" for b in certificate.blocks.all())
    achievement = {
        "id": f"{base_url}#achievement",
        "type": ["Achievement"],
        "achievementType": achievement_type,
        "name": certificate.certification_title
        if certificate.kind != CertificateKind.BLOCK_ATTESTATION
        else f"{certificate.block.code} {certificate.block.title}",
        "description": f"{certificate.get_kind_display()} — {certificate.certification_title}",
        "criteria": {
            "narrative": f"Awarded by the national joint jury. Blocks: {blocks}"
            if blocks
            else "Awarded by the national joint jury."
        },
        **_achievement_base(certificate),
    }
    if certificate.registration_level:
        achievement["inLanguage"] = "fr"
        achievement["tag"] = [f"EQF level {certificate.registration_level}"]
    return _credential(certificate, f"{base_url}badge.json", certificate.number, achievement)


def block_credential(certificate, block) -> dict:
    base_url = settings.SITE_URL + certificate.verification_path
    achievement = {
        "id": f"{base_url}blocks/{block.pk}/#achievement",
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": f"{block.code} {block.title}",
        "description": f"Skill block of {certificate.certification_title}",
        "criteria": {"narrative": "Validated by the national joint jury."},
        **_achievement_base(certificate),
    }
    return _credential(
        certificate, f"{base_url}blocks/{block.pk}/badge.json", f"{certificate.number} {block.code}", achievement
    )


def _credential(certificate, credential_id: str, name: str, achievement: dict) -> dict:
    return {
        "@context": CONTEXT,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "issuer": _issuer(certificate),
        "validFrom": _iso(certificate.award_date),
        "credentialSubject": _subject(certificate, achievement),
        "credentialStatus": status_list.status_entry(certificate),
    }
