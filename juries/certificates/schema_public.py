"""The public verification record ``/verify/<code>.json`` in the OpenAPI schema.

That URL is a plain Django view outside ``/api/v1/`` (public, rate-limited, the same address
printed on the documents), so drf-spectacular does not see it: this postprocessing hook adds
its path and the ``PublicCertificateRecord`` component. tests/api checks that the documented
properties are exactly the keys ``views.public_record`` returns."""

PATH = "/verify/{code}.json"
COMPONENT = "PublicCertificateRecord"


def _string(description, *, nullable=False, **extra):
    return {"type": "string", "description": description, **({"nullable": True} if nullable else {}), **extra}


BLOCK = {
    "type": "object",
    "properties": {
        "code": _string("Code of the skill block (e.g. RNCP34762BC01)."),
        "title": _string("Title of the skill block."),
    },
    "required": ["code", "title"],
}

RECORD = {
    "type": "object",
    "description": "What anyone may know about a certificate or attestation from its verification code.",
    "properties": {
        "number": _string("Certificate number, as printed on the document."),
        "kind": _string("Kind of document.", enum=["certificate", "partial_attestation", "block_attestation"]),
        "kind_label": _string("Kind of document, in words (French)."),
        "status": _string(
            "valid: issued and not revoked; revoked: withdrawn (see revoked_at, revocation_reason); "
            "pending: not issued yet.",
            enum=["valid", "revoked", "pending"],
        ),
        "revoked_at": _string("When it was revoked (ISO 8601), else null.", nullable=True, format="date-time"),
        "revocation_reason": _string("Why it was revoked, else null.", nullable=True),
        "superseded_by": _string(
            "Verification address of the document that replaced this one (after a correction), else null.",
            nullable=True,
            format="uri",
        ),
        "holder": _string("Name of the holder, as printed."),
        "certification": {
            "type": "object",
            "description": "The certification awarded, as registered on the award date.",
            "properties": {
                "title": _string("Exact registered title."),
                "register": _string("National register: RNCP, RS, or null (branch certification).", nullable=True),
                "registration_number": _string(
                    "Number in that register (RNCP12345, RS1234), else null.", nullable=True
                ),
                "level": {"type": "integer", "nullable": True, "description": "Level of the national framework (3-8)."},
                "certifier": _string("The certifying body (the branches' joint commission)."),
            },
            "required": ["title", "register", "registration_number", "level", "certifier"],
        },
        "block": {**BLOCK, "nullable": True, "description": "The block of a block attestation, else null."},
        "blocks": {"type": "array", "items": BLOCK, "description": "The skill blocks validated, in order."},
        "award_date": _string("Date of award by the jury.", format="date"),
        "award_place": _string("Place of award."),
        "pdf_sha256": _string("SHA-256 of the sealed PDF, to compare with a copy; null until rendered.", nullable=True),
        "verification_url": _string("This document's verification page.", format="uri"),
        "open_badge": _string("Open Badges 3.0 credential (JSON-LD) of this award.", format="uri"),
        "open_badge_jwt": _string("The same credential, signed as a JWT.", format="uri"),
    },
}
RECORD["required"] = sorted(RECORD["properties"])

# Shorter than the API's Error (no "fields": nothing is submitted).
ERROR = {
    "type": "object",
    "properties": {
        "code": _string("not_found or throttled.", enum=["not_found", "throttled"]),
        "message": _string("Human-readable message."),
    },
    "required": ["code", "message"],
}


def add_public_verification(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[COMPONENT] = RECORD
    error = ERROR
    result.setdefault("paths", {})[PATH] = {
        "get": {
            "operationId": "verify_record_retrieve",
            "summary": "Public record of a certificate, by its verification code",
            "description": "Public, no credentials: the address printed under the QR code of every "
            "certificate and attestation, with .json. Rate-limited per client address.",
            "tags": ["verification"],
            "security": [{}],
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "description": "Verification code printed on the document (16 to 64 characters: A-Z a-z 0-9 _ -).",
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
                }
            ],
            "responses": {
                "200": {
                    "description": "The public record.",
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{COMPONENT}"}}},
                },
                "404": {
                    "description": "No certificate has this code.",
                    "content": {"application/json": {"schema": error}},
                },
                "429": {
                    "description": "Too many requests: wait a minute.",
                    "content": {"application/json": {"schema": error}},
                },
            },
        }
    }
    return result
