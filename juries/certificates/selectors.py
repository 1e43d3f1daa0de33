"""Reads for the certificate pages, tuned: list pages issue the same queries for 5 or 50 rows."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from cqp_portal import policy
from juries.certificates.models import Certificate, CertificateState


def certificate_by_code(code: str) -> Certificate | None:
    """The public lookup. Only the code: no other way to enumerate certificates."""
    # get() on the unique code: no ORDER BY (first() would order by Meta.ordering, and
    # Django hashes every selected column to build it: measurable on a public hot page).
    try:
        return (
            Certificate.objects.select_related("block", "superseded_by")
            .prefetch_related("blocks")
            .get(verification_code=code)
        )
    except Certificate.DoesNotExist:
        return None


@dataclass
class SessionProgress:
    total: int = 0
    issued: int = 0
    pending: int = 0
    revoked: int = 0
    failures: list = field(default_factory=list)

    @property
    def live(self) -> int:
        return self.total - self.revoked

    @property
    def percent(self) -> int:
        return int(100 * self.issued / self.live) if self.live else 0

    @property
    def done(self) -> bool:
        return self.pending == 0

    def as_dict(self) -> dict:
        return {
            "total": self.live,
            "issued": self.issued,
            "pending": self.pending,
            "revoked": self.revoked,
            "percent": self.percent,
            "done": self.done,
            "failures": self.failures,
        }


def session_progress(session) -> SessionProgress:
    """ "N / M certificates issued" for a jury session; revoked (replaced) documents do not count."""
    qs = Certificate.objects.filter(decision__dossier__session=session)
    counts = qs.aggregate(
        total=Count("pk"),
        issued=Count("pk", filter=Q(state=CertificateState.ISSUED)),
        pending=Count("pk", filter=Q(state=CertificateState.PENDING)),
        revoked=Count("pk", filter=Q(state=CertificateState.REVOKED)),
    )
    failures = list(
        qs.filter(state=CertificateState.PENDING)
        .exclude(error="")
        .order_by("number")
        .values("pk", "number", "holder_first_names", "holder_birth_name", "holder_usage_name", "error", "attempts")
    )
    for row in failures:
        row["holder"] = (
            f"{row.pop('holder_first_names')} {row.pop('holder_usage_name') or row.pop('holder_birth_name')}"
        )
        row.pop("holder_birth_name", None)
    return SessionProgress(failures=failures, **counts)


def path_certificates(path) -> list[Certificate]:
    """The documents of one path for "Mon parcours": current ones first, revoked kept visible."""
    return list(
        Certificate.objects.filter(path=path).select_related("block").order_by("state", "-award_date", "kind", "number")
    )


def certificates_by_path(paths) -> dict[int, list[Certificate]]:
    """For a page listing several paths: one query for all their certificates."""
    result: dict[int, list[Certificate]] = {p.pk: [] for p in paths}
    for certificate in (
        Certificate.objects.filter(path__in=list(result)).select_related("block").order_by("state", "-award_date")
    ):
        result[certificate.path_id].append(certificate)
    return result


def register_list(user, *, state: str = "", query: str = ""):
    """Branch administrators' register of their certificates."""
    qs = policy.scope(user, Certificate).select_related("block")
    if state:
        qs = qs.filter(state=state)
    if query:
        qs = qs.filter(
            Q(number__icontains=query) | Q(holder_birth_name__icontains=query) | Q(holder_usage_name__icontains=query)
        )
    return qs.order_by("-award_date", "-year", "-sequence")


@dataclass
class JobProgress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def cdc_job_progress(job) -> JobProgress:
    """While the export runs its counts are in the cache (the export is one transaction)."""
    from django.core.cache import cache

    from juries.certificates.services import cdc_job_progress_key

    if job.state == "running":
        cached = cache.get(cdc_job_progress_key(job.pk))
        if cached:
            return JobProgress(done=cached[0], total=cached[1])
    return JobProgress(done=job.done, total=job.total)
