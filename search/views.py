"""The search page: a query with filters, hits with highlighted passages linking to the records; the
index status page for administrators (counts and lag per record type, where the vector store is)."""

from django.conf import settings
from django.shortcuts import render

from qms.pages import permission_required

from . import selectors, vectorstore
from .forms import SearchForm


@permission_required("search.use")
def search_page(request):
    form = SearchForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid():
        try:
            page = max(1, int(request.GET.get("page", 1)))
        except ValueError:
            page = 1
        data = form.cleaned_data
        result = selectors.search(
            user=request.user,
            query=data["q"],
            types=[data["type"]] if data.get("type") else None,
            filters=form.filters(),
            page=page,
            page_size=20,
        )
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "search/search.html", {"form": form, "result": result, "query": params.urlencode()})


@permission_required("system.admin")
def status_page(request):
    """What manage.py search_status prints, for administrators."""
    return render(
        request,
        "search/status.html",
        {
            "rows": selectors.status(),
            "mode": "server" if settings.CHROMA_URL else "embedded",
            "where": vectorstore.where(),
            "reachable": vectorstore.heartbeat(),
            "backend": settings.EMBEDDING_BACKEND,
        },
    )
