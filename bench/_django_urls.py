"""The product's URLs plus /api/bench/bare: the framework's floor for the list benchmarks.

The bare view goes through everything an API list goes through before its own work (middleware,
JWT authentication with the user row, the permission class, throttles, the JSON renderer, the
shared exception handler) and answers a constant empty list envelope without touching the database.
"""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class BareView(APIView):
    required_permissions = {"get": None}  # authenticated, no codename

    def get(self, request):
        return Response({"items": [], "page": 1, "page_size": 20, "total": 0, "pages": 0})


urlpatterns = [
    path("api/bench/bare", BareView.as_view()),
    path("", include("qms.urls")),
]
