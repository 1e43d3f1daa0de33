"""Settings of the benchmark stack: the production profile (cqp_portal.settings with DEBUG off),
with the two differences a single-machine load test needs, and nothing else:

- the public verification pages limit each client IP to 60 requests a minute; the load
  generator is one IP sending thousands, so the limit is raised (it is measured elsewhere:
  tests/certificates);
- collectstatic writes into a temporary STATIC_ROOT (BENCH_STATIC_ROOT), not var/.
"""

import os
from pathlib import Path

from cqp_portal.settings import *  # noqa: F403
from cqp_portal.settings import REST_FRAMEWORK

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "verify": "1000000/min"},
}
if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])

# Same manifest (hashed names) as production, without the gzip/brotli pass over every file
# (a minute of CPU on two cores): the bench fetches pages, not static files.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}  # noqa: F405
