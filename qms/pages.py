"""The page-side permission check (the API's counterpart is qms.api.permissions.HasPermission).

    @permission_required("documents.view")
    def document_list(request): ...

    class DocumentCreateView(PermissionRequiredMixin, FormView):
        required_permission = "documents.create"

Anonymous users are sent to the login page; signed-in users without the codename get a 403 page.
Domain errors raised by services become messages through `message_for`.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator

from qms.errors import DomainError


def _check(request, codename: str | None):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if codename and not request.user.has_qms_permission(codename):
        raise PermissionDenied(f"You need the '{codename}' permission to open this page.")
    return None


def permission_required(codename: str | None = None):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            denied = _check(request, codename)
            return denied or view(request, *args, **kwargs)

        return wrapped

    return decorator


login_required = permission_required(None)


class PermissionRequiredMixin:
    required_permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        denied = _check(request, self.required_permission)
        return denied or super().dispatch(request, *args, **kwargs)


def message_for(exc: DomainError) -> str:
    return str(exc.detail)


def filtered_page(request, filterset_class, queryset, *, page_size: int) -> tuple[Page, str]:
    """A list page: `queryset` filtered by the query string with the API's filter set (no rows when
    a filter value is invalid) and paginated; with the query string without `page`, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    filterset = filterset_class(params, queryset=queryset)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    return Paginator(rows, page_size).get_page(request.GET.get("page")), params.urlencode()
