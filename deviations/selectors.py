"""Reads about deviation report forms that the API, the pages and the admin share (constant query counts)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import FormStatus, FormTemplate

MANAGE_FORMS = "deviations.manage_forms"


def form_template_list(user) -> QuerySet[FormTemplate]:
    """Form versions `user` may read: everything for form managers, published versions (active and
    retired) for everyone else; drafts are work in progress."""
    qs = FormTemplate.objects.select_related("created_by", "published_by")
    if user is not None and not user.has_qms_permission(MANAGE_FORMS):
        qs = qs.exclude(status=FormStatus.DRAFT)
    return qs


def active_form_template() -> FormTemplate | None:
    """The version new deviations are reported with."""
    return FormTemplate.objects.select_related("created_by", "published_by").filter(status=FormStatus.ACTIVE).first()


def latest_version(template: FormTemplate) -> FormTemplate:
    """The newest version of `template`'s form (the only one that may be changed)."""
    return FormTemplate.objects.filter(family=template.family).order_by("-version").first()


def family_versions(template: FormTemplate) -> QuerySet[FormTemplate]:
    return FormTemplate.objects.filter(family=template.family).select_related("created_by", "published_by").order_by("-version")


def latest_versions(user) -> list[FormTemplate]:
    """The newest version of every form `user` may read, by name (for the form list page)."""
    newest: dict = {}
    for template in form_template_list(user).order_by("family", "-version"):
        newest.setdefault(template.family, template)
    return sorted(newest.values(), key=lambda t: (t.name.lower(), t.pk))


def answers_for_display(version: FormTemplate, answers: dict) -> list[dict]:
    """Kept answers grouped by the version's sections, in form order, for a record's detail page:
    [{"key", "title", "fields": [{"key", "label", "type", "value"}]}]. Fields without an answer show None."""
    return [
        {
            "key": section["key"],
            "title": section["title"],
            "fields": [
                {
                    "key": spec["key"],
                    "label": spec["label"],
                    "type": spec["type"],
                    "value": ((answers or {}).get(section["key"]) or {}).get(spec["key"], {}).get("value"),
                }
                for spec in section.get("fields", [])
            ],
        }
        for section in version.sections
    ]
