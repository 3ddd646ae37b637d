"""System checks for STORAGE_TYPE=s3|gcs: a missing client library or bucket is reported at start-up
(`manage.py check`, migrate, runserver) instead of failing the first upload."""

from django.core.checks import run_checks
from django.test import override_settings

from documents import checks


def storage_errors():
    return [e.id for e in run_checks() if e.id.startswith("documents.")]


def test_local_storage_needs_nothing_more():
    assert storage_errors() == []


def test_s3_without_bucket_or_client_is_reported(monkeypatch):
    monkeypatch.setattr(checks, "_importable", lambda module: module == "boto3")
    with override_settings(STORAGES={"default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": ""}}}):
        assert storage_errors() == ["documents.E002"]
    monkeypatch.setattr(checks, "_importable", lambda module: False)
    with override_settings(
        STORAGES={"default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "qms-files"}}}
    ):
        errors = [e for e in run_checks() if e.id.startswith("documents.")]
    assert [e.id for e in errors] == ["documents.E001"]
    assert "django-storages[s3]" in errors[0].hint


def test_gcs_with_client_and_bucket_passes(monkeypatch):
    monkeypatch.setattr(checks, "_importable", lambda module: module == "google.cloud.storage")
    with override_settings(
        STORAGES={"default": {"BACKEND": "storages.backends.gcloud.GoogleCloudStorage", "OPTIONS": {"bucket_name": "b"}}}
    ):
        assert storage_errors() == []


def test_a_missing_parent_package_counts_as_not_installed():
    assert checks._importable("surely_not_installed_pkg.sub.module") is False
