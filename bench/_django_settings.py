"""Settings of the benchmarks: the product's settings (from the environment, as in production)
with one extra route, the bare authenticated DRF view (_django_urls.BareView)."""

from qms.settings import *  # noqa: F403

ROOT_URLCONF = "_django_urls"
