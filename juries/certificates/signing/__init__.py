"""Seals and signatures of what the portal issues (README "Signed credentials").

- ``keys``: where the key material comes from (environment, or a labelled demo under var/seal/).
- ``pades``: ``seal_pdf(bytes) -> bytes``, a PAdES baseline seal with pyHanko.
- ``validation``: checks an uploaded PDF (integrity, chain to the trust roots, register).
- ``jose``: the Open Badges as VC-JWT (joserfc, Ed25519) and the issuer's did:web document.
- ``status_list``: the W3C Bitstring Status List of revoked credentials.
"""


class SealError(RuntimeError):
    """Sealing or signing failed: the document is not issued (it stays pending, retried)."""


def outside_event_loop(function, *args, **kwargs):
    """Call ``function`` (a pyHanko entry point that uses ``asyncio.run``) even from a thread
    that already runs an event loop (an ASGI server's loop, Playwright in the tests): there,
    it runs in a short-lived thread of its own; elsewhere (WSGI, Celery) it is a plain call."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()
