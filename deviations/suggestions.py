"""Where a report form field's `suggest` hint asks for its suggestion (the page that answers it).

The deviations app only names suggesters (definition.SUGGESTERS); the app that computes a suggestion
registers the page answering it from its AppConfig.ready():

    register_suggestion_page("severity", "ai:deviation-suggest-severity")

That page takes the report form's fields (the description) by POST and answers an HTML fragment:
the suggestion and, when there is one, a hidden `severity_suggestion` input (JSON) that the report
keeps beside the severity chosen. Without a registered page the field has no suggestion button.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

_PAGES: dict[str, str] = {}


def register_suggestion_page(suggester: str, url_name: str) -> None:
    _PAGES[suggester] = url_name


def suggestion_url(suggester: str | None) -> str | None:
    url_name = _PAGES.get(suggester or "")
    if not url_name:
        return None
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None
