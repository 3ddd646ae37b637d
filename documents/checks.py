"""System checks for document file storage: STORAGE_TYPE=s3|gcs needs its client library (not
installed by default, so air-gapped single-machine installs stay small) and a bucket.

They run with `manage.py check`, `migrate` and `runserver`, so a misconfigured deployment fails
at start-up instead of at the first upload.
"""

from importlib.util import find_spec

from django.conf import settings
from django.core.checks import Error, register

# backend module prefix → (STORAGE_TYPE, module the backend imports, pip requirement, bucket setting)
_CLOUD_BACKENDS = {
    "storages.backends.s3": ("s3", "boto3", "django-storages[s3]", "AWS_STORAGE_BUCKET_NAME"),
    "storages.backends.gcloud": ("gcs", "google.cloud.storage", "django-storages[google]", "GS_BUCKET_NAME"),
}


def _importable(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # a missing parent package (google)
        return False


@register("documents")
def check_document_storage(app_configs=None, **kwargs) -> list[Error]:
    storage = settings.STORAGES.get("default", {})
    backend = storage.get("BACKEND", "")
    for prefix, (kind, module, requirement, bucket_variable) in _CLOUD_BACKENDS.items():
        if not backend.startswith(prefix):
            continue
        errors = []
        if not _importable(module):
            errors.append(
                Error(
                    f"STORAGE_TYPE={kind} needs the {module} package, which is not installed.",
                    hint=f"pip install '{requirement}' (in the same virtualenv).",
                    id="documents.E001",
                )
            )
        if not (storage.get("OPTIONS") or {}).get("bucket_name"):
            errors.append(
                Error(
                    f"STORAGE_TYPE={kind} needs a bucket: {bucket_variable} is empty.",
                    hint=f"Set {bucket_variable} in the environment (see .env.example).",
                    id="documents.E002",
                )
            )
        return errors
    return []
