"""Seals and signatures of what the portal issues (README "Signed credentials").

- ``keys``: where the key material comes from (environment, or a labelled demo under var/seal/).
- ``pades``: ``seal_pdf(bytes) -> bytes``, a PAdES baseline seal with pyHanko.
- ``validation``: checks an uploaded PDF (integrity, chain to the trust roots, register).
- ``jose``: the Open Badges as VC-JWT (joserfc, Ed25519) and the issuer's did:web document.
- ``status_list``: the W3C Bitstring Status List of revoked credentials.
"""


class SealError(RuntimeError):
    """Sealing or signing failed: the document is not issued (it stays pending, retried)."""
