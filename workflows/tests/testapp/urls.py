"""The project's URLs plus the sample record's API (/api/samples/) and kit pages (/samples/);
tests use it with @pytest.mark.urls("workflows.tests.testapp.urls")."""

from django.urls import include, path

from qms.api.routers import Router
from qms.urls import urlpatterns as project_urlpatterns
from workflows.urls import record_urlpatterns

from .api import SampleRecordViewSet

router = Router()
router.register("samples", SampleRecordViewSet, basename="sample")

urlpatterns = [
    path("api/", include(router.urls)),
    path("samples/", include((record_urlpatterns("sample_record"), "kit_testapp"))),
    *project_urlpatterns,
]
