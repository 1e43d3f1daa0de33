from celery import shared_task


@shared_task(name="security.apply_retention")
def apply_retention() -> dict:
    """Daily (CELERY_BEAT_SCHEDULE): evidence and inactive candidates past their retention."""
    from candidates.gdpr import apply_retention as apply

    return apply()
