"""Every write about deviation report forms: one function per use case, permission check and audit
record inside one transaction.

Versioning: only the latest version of a form is changed. A draft nobody uses is changed in
place; a published version (or one in use, see deviations/usage.py) never is: the change makes a
new draft version. Publishing makes a version the active reporting form and retires the version
that was active, so exactly one form is active and records keep the version they were made with.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from audit import services as audit
from audit.changes import snapshot
from qms.errors import Conflict, check_row_version
from qms.permissions import require

from . import selectors, usage
from .audit_actions import DeviationAuditAction as Action
from .definition import definition_of, definition_problems, normalise
from .errors import AlreadyActive, FormTemplateInvalid, NameTaken, NotLatestVersion
from .models import FormStatus, FormTemplate

MANAGE_FORMS = "deviations.manage_forms"
AUDITED = ["name", "description", "version", "status", "sections"]


def create_form_template(*, actor, definition: dict) -> FormTemplate:
    """A new form (a new family) as draft version 1."""
    require(actor, MANAGE_FORMS)
    definition = _checked(definition)
    with transaction.atomic():
        _check_name_free(definition["name"], family=None)
        template = FormTemplate.objects.create(
            name=definition["name"],
            description=definition["description"],
            sections=definition["sections"],
            created_by=actor,
        )
        _audit(Action.CREATE, template, actor, f"Deviation form {template} created as a draft", new=_values(template))
    return template


def update_form_template(
    *, actor, template: FormTemplate, definition: dict, reason: str = "", row_version: int | None = None
) -> FormTemplate:
    """Changes the latest version of a form and returns the version that holds the change: the same
    draft, or a new draft version when `template` is published or in use. An unchanged definition
    changes nothing."""
    require(actor, MANAGE_FORMS)
    definition = _checked(definition)
    with transaction.atomic():
        template = FormTemplate.objects.select_for_update().get(pk=template.pk)
        check_row_version(template, row_version)
        latest = selectors.latest_version(template)
        if latest.pk != template.pk:
            raise NotLatestVersion(
                f"{template} is not the latest version of this form; change {latest} instead.",
                extra={"latest_version_id": latest.pk},
            )
        _check_name_free(definition["name"], family=template.family)
        if definition == definition_of(template):
            return template
        before = snapshot(template, AUDITED)
        if template.status == FormStatus.DRAFT and not usage.in_use(template):
            template.name, template.description = definition["name"], definition["description"]
            template.sections = definition["sections"]
            template.row_version += 1
            template.save()
            audit.record_change(
                obj=template, before=before, actor=actor, summary=f"Deviation form {template} changed", reason=reason
            )
            return template
        draft = FormTemplate.objects.create(
            family=template.family,
            version=template.version + 1,
            previous_version=template,
            name=definition["name"],
            description=definition["description"],
            sections=definition["sections"],
            created_by=actor,
        )
        summary = (
            f"Deviation form {template.name}: draft v{draft.version} made from "
            f"{template.get_status_display().lower()} v{template.version}, which stays unchanged"
        )
        _audit(Action.CREATE, draft, actor, summary, old=before, new=_values(draft), reason=reason)
    return draft


def publish_form_template(*, actor, template: FormTemplate, reason: str, row_version: int | None = None) -> FormTemplate:
    """Makes `template` the active reporting form (a draft, or a retired version brought back); the
    version active until now is retired. The definition must be complete (at least one field)."""
    require(actor, MANAGE_FORMS)
    reason = audit.require_reason(reason, what="publishing a deviation report form")
    with transaction.atomic():
        template = FormTemplate.objects.select_for_update().get(pk=template.pk)
        check_row_version(template, row_version)
        if template.status == FormStatus.ACTIVE:
            raise AlreadyActive()
        problems = definition_problems(definition_of(template), for_publish=True)
        if problems:
            raise FormTemplateInvalid(problems)
        old_status, row_version = template.status, template.row_version + 1
        for attempt in (1, 2):
            try:
                with transaction.atomic():
                    previous = _retire_active(actor=actor, replacement=template, reason=reason)
                    template.status, template.published_at, template.published_by = FormStatus.ACTIVE, timezone.now(), actor
                    template.row_version = row_version
                    template.save()
                break
            except IntegrityError:
                # Another version became active after our look-up (a publish running at the same
                # moment): look again, now that it is committed, and retire that one instead.
                if attempt == 2:
                    raise Conflict(
                        "Another version was published at the same moment; reload and try again.", error_code="PUBLISH_CONFLICT"
                    )
        _audit(
            Action.PUBLISH,
            template,
            actor,
            f"Deviation form {template} published: new deviations are reported with it",
            old={"status": old_status, "active_version": str(previous) if previous else None},
            new={"status": FormStatus.ACTIVE.value, "active_version": str(template)},
            reason=reason,
        )
    return template


def _retire_active(*, actor, replacement: FormTemplate, reason: str) -> FormTemplate | None:
    """Retires the active version (locked first), if any, in favour of `replacement`; returns it."""
    previous = FormTemplate.objects.select_for_update().filter(status=FormStatus.ACTIVE).first()
    if previous is None:
        return None
    FormTemplate.objects.filter(pk=previous.pk).update(status=FormStatus.RETIRED, row_version=F("row_version") + 1)
    summary = f"Deviation form {previous} retired: {replacement} is the reporting form now"
    old, new = {"status": FormStatus.ACTIVE.value}, {"status": FormStatus.RETIRED.value, "replaced_by": str(replacement)}
    _audit(Action.RETIRE, previous, actor, summary, old=old, new=new, reason=reason)
    return previous


def _checked(definition: dict) -> dict:
    definition = normalise(definition)
    problems = definition_problems(definition)
    if problems:
        raise FormTemplateInvalid(problems)
    return definition


def _check_name_free(name: str, *, family) -> None:
    taken = FormTemplate.objects.filter(name=name)
    if family is not None:
        taken = taken.exclude(family=family)
    if taken.exists():
        raise NameTaken(f"Another deviation form is named {name!r}.")


def _values(template: FormTemplate) -> dict:
    return snapshot(template, AUDITED)


def _audit(action: Action, template: FormTemplate, actor, summary: str, *, old=None, new=None, reason: str = "") -> None:
    audit.record(
        action=action,
        resource_type=FormTemplate.audit_resource_type,
        resource_id=template.pk,
        actor=actor,
        summary=summary,
        old_values=old,
        new_values=new,
        reason=reason,
    )
