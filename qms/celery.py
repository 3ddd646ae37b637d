"""Celery application: tasks are discovered in each app's tasks.py.

Without REDIS_URL (or CELERY_BROKER_URL) tasks run eagerly in-process, so a single machine
needs no broker. Tasks are acknowledged late and retried, so they must be idempotent.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qms.settings")

app = Celery("qms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
