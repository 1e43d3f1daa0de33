"""Celery application. Configuration lives in settings (CELERY_* names); tasks are
discovered in each app's tasks.py. Without CELERY_BROKER_URL tasks run in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqp_portal.settings")

app = Celery("cqp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
