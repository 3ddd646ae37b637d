"""Every write about deviations and their report forms: one function per use case, the permission
check (`qms.permissions.require`; actor None is the system), one transaction with the audit record
(and the domain event) inside it.

Reporting, as a sequence of steps (nothing is written until every check passed): the active form →
plain attachments (413/415 naming the part) → the answers against the form (uploads 413/415, then
every bad answer in one 422) → the deviation's fields from the answers → [transaction: number
DEV-YYYY-NNNN, the deviation, its files written once, attachments, links to the records picked on
the form, workflow started, audit, `deviation.reported`]. Files written by a transaction that then
fails are removed again. Closed and cancelled deviations are read-only; in QA review the content
(what the closing signature covers) is locked until it is returned to investigation. Approve,
transitions and approver configuration are the workflow kit's (workflows.records_services; see
deviations/records.py).

Report forms. Versioning: only the latest version of a form is changed. A draft nobody uses is changed in
place; a published version (or one in use, see deviations/usage.py) never is: the change makes a
new draft version. Publishing makes a version the active reporting form and retires the version
that was active, so exactly one form is active and records keep the version they were made with.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from audit import services as audit
from audit.changes import changed_fields, snapshot
from qms import files
from qms.errors import Conflict, InvalidInputs, NotFound, check_row_version
from qms.events import emit
from qms.permissions import has, require, require_any
from workflows import records_services
from workflows.legacy import LegacyOrigin
from workflows.models import StateKind
from workflows.records import record_type

from . import limits, reporting, selectors, usage
from . import links as link_registry
from .audit_actions import DeviationAction as Action
from .definition import definition_of, definition_problems, normalise
from .errors import (
    AlreadyActive,
    AlreadyLinked,
    FormTemplateInvalid,
    LinkRemoved,
    LinkTypeUnavailable,
    NameTaken,
    NotEditable,
    NotLatestVersion,
    ReportingUnavailable,
    RowVersionRequired,
)
from .events import DeviationEvent
from .forms_engine import FILE_TYPES, validate_answers
from .models import (
    Area,
    Attachment,
    Category,
    Deviation,
    FormStatus,
    FormTemplate,
    Link,
    LinkSource,
    RootCauseMethod,
    Severity,
    SeverityDueRule,
)
from .permissions import CREATE, EDIT, MANAGE_FORMS, VIEW

AUDITED = ["name", "description", "version", "status", "sections"]
# Workflow state kinds in which a deviation's content may change (reported, under investigation).
CONTENT_EDITABLE_KINDS = frozenset({StateKind.OPEN, StateKind.IN_PROGRESS})
# Links may change until the deviation is closed or cancelled.
READ_ONLY_KINDS = frozenset({StateKind.CLOSED, StateKind.CANCELLED})
UPDATABLE = Deviation.UPDATABLE_FIELDS
# What the audit record of a report holds besides the answers: every field the record took from them.
REPORT_SNAPSHOT = ["number", *Deviation.audit_fields, "status", "reported_by.username"]


# --- reporting ------------------------------------------------------------------------------------------


def report_deviation(
    *,
    actor: User,
    form_data: dict,
    files_by_field: dict | None = None,
    attachments: list | None = None,
    severity_suggestion: dict | None = None,
    legacy: LegacyOrigin | None = None,
) -> Deviation:
    """A new deviation reported through the active form: `form_data` by section and field key,
    `files_by_field` the uploads of its image and file fields by "<section>.<field>", `attachments`
    further files, `severity_suggestion` the suggestion the reporter was shown (kept beside their
    choice). Returns the deviation, reported and in the first state of its workflow.

    `legacy`: a deviation loaded from a legacy system (manage.py import_deviations) keeps its
    legacy number and starts in the state it had there; its due date counts from the day it was
    reported there. Needs deviations.edit as well (it may start past the reported state)."""
    require(actor, CREATE)
    if legacy is not None:
        require(actor, EDIT)
    version = selectors.active_form_template()
    if version is None:
        raise ReportingUnavailable()
    attachments = list(attachments or [])
    checked_attachments = _checked_uploads(attachments, field="attachments")
    suggestion = _checked_suggestion(severity_suggestion)
    cleaned = validate_answers(version=version, form_data=form_data, files=files_by_field, user=actor)
    values = reporting.record_values(cleaned)
    today = (legacy.reported_on if legacy and legacy.reported_on else None) or timezone.localdate()
    with files.removing_on_failure() as written, transaction.atomic():
        if legacy is not None and Deviation.objects.filter(legacy_number=legacy.number).exists():
            raise Conflict(f"A deviation with legacy number {legacy.number} exists already.", error_code="LEGACY_NUMBER_TAKEN")
        deviation = Deviation.objects.create(
            number=record_type("deviation").next_number(),
            legacy_number=legacy.number if legacy else "",
            **values,
            severity_suggestion=suggestion,
            reported_by=actor,
            due_date=due_date_for(values["severity"], reported_on=today),
            status="",
            form_version=version,
        )
        deviation.form_answers = cleaned.store_files(folder=f"deviations/{deviation.pk}", written=written)
        deviation.save(update_fields=["form_answers"])
        stored = _form_attachments(deviation, actor) + _store_attachments(
            deviation, checked_attachments, actor=actor, written=written
        )
        picked = _links_from_answers(deviation, actor)
        instance = records_services.start_record(
            actor=actor,
            record=deviation,
            author=actor,
            state=legacy.state if legacy else None,
            comment=legacy.comment if legacy else "",
        )
        if instance.current_state.kind == StateKind.CLOSED:
            closed = legacy.closed_on if legacy and legacy.closed_on else today
            deviation.closed_at = datetime.datetime.combine(closed, datetime.time(), tzinfo=datetime.UTC)
            deviation.save(update_fields=["closed_at"])
        _audit(
            Action.CREATE,
            deviation,
            actor,
            f"Deviation {deviation.number} {deviation.title!r} "
            + (f"imported from legacy {legacy.number}" if legacy else "reported")
            + f" ({deviation.severity})",
            new={
                **snapshot(deviation, REPORT_SNAPSHOT),
                **(legacy.as_audit() if legacy else {}),
                "form_version": str(version),
                "form_answers": deviation.form_answers,
                "attachments": [_attachment_values(a) for a in stored],
                "links": [_link_values(link) for link in picked],
                **({"severity_suggestion": suggestion} if suggestion else {}),
            },
        )
        emit(
            DeviationEvent.REPORTED,
            deviation,
            actor=actor,
            data={"number": deviation.number, "severity": deviation.severity, "status": deviation.status},
        )
    return deviation


def due_date_for(severity: str, *, reported_on: datetime.date) -> datetime.date:
    """The report day plus the severity's due days (admin: severity due-date rules; 30 without a rule)."""
    days = SeverityDueRule.objects.filter(severity=severity).values_list("due_days", flat=True).first()
    return reported_on + datetime.timedelta(days=days or 30)


def _checked_uploads(uploads: list, *, field: str) -> list[tuple]:
    """(upload, safe name, MIME type, SHA-256) for each file, after the document upload checks."""
    return files.checked_uploads(uploads, field=field, max_files=limits.MAX_ATTACHMENTS_PER_REQUEST)


def _store_attachments(deviation: Deviation, checked: list[tuple], *, actor, written: list, description: str = "") -> list:
    entries = []
    for upload, name, mime, sha256 in checked:
        storage_name = files.store(f"deviations/{deviation.pk}/attachments/{name}", upload)
        written.append(storage_name)
        entries.append({"name": name, "size": upload.size, "mime_type": mime, "sha256": sha256, "storage_name": storage_name})
    return _create_attachments(deviation, actor, entries, description=description)


def _form_attachments(deviation: Deviation, actor) -> list[Attachment]:
    """The files of the form's image and file fields, listed with the deviation's attachments."""
    entries = [
        {**entry, "field": f"{section_key}.{field_key}"}
        for section_key, answers in deviation.form_answers.items()
        for field_key, answer in answers.items()
        if answer["type"] in FILE_TYPES
        for entry in answer["value"]
    ]
    return _create_attachments(deviation, actor, entries)


def _create_attachments(deviation: Deviation, actor, entries: list[dict], *, description: str = "") -> list[Attachment]:
    fields = ("field", "name", "size", "mime_type", "sha256", "storage_name")
    return [
        Attachment.objects.create(
            deviation=deviation,
            description=description,
            uploaded_by=actor,
            **{name: entry[name] for name in fields if name in entry},
        )
        for entry in entries
    ]


def _links_from_answers(deviation: Deviation, actor) -> list[Link]:
    """Records picked on the report form become related items of the deviation (once each)."""
    labels = {spec["key"]: spec["label"] for _, spec in deviation.form_version.fields()}
    made: dict[tuple, Link] = {}
    for section in deviation.form_answers.values():
        for field_key, answer in section.items():
            if answer["type"] not in ("document_picker", "capa_picker"):
                continue
            for ref in answer["value"]:
                key = (ref["type"], ref["id"])
                if key in made:
                    continue
                made[key] = Link.objects.create(
                    deviation=deviation,
                    target_type=ref["type"],
                    target_id=ref["id"],
                    target_number=ref["number"],
                    target_title=ref["title"][: limits.TITLE],
                    target_version=ref.get("version") or "",
                    reason=f"Named on the report form ({labels.get(field_key, field_key)})",
                    source=LinkSource.REPORT_FORM,
                    created_by=actor,
                )
    return list(made.values())


def _checked_suggestion(suggestion: dict | None) -> dict | None:
    if not suggestion:
        return None
    problems = []
    if suggestion.get("severity") not in Severity.values:
        problems.append((["severity_suggestion", "severity"], f"One of {', '.join(Severity.values)}.", "value_error.choice"))
    confidence = suggestion.get("confidence")
    number = isinstance(confidence, (int, float)) and not isinstance(confidence, bool)
    if confidence is not None and not (number and 0 <= confidence <= 1):
        problems.append((["severity_suggestion", "confidence"], "A number from 0 to 1.", "value_error.number"))
    texts = {name: str(suggestion.get(name) or "") for name in ("rationale", "method")}
    problems += limits.too_long(
        texts, {"rationale": limits.REASON, "method": limits.SUGGESTION_METHOD}, loc=("severity_suggestion",)
    )
    if problems:
        raise InvalidInputs(problems)
    return {"severity": suggestion["severity"], "confidence": confidence, **texts}


# --- investigation and classification ---------------------------------------------------------------------


def update_deviation(*, actor: User, deviation: Deviation, changes: dict, reason: str, row_version: int | None) -> Deviation:
    """Changes fields of a deviation (only those in `changes`: see UPDATABLE; area and category as
    records, owner as a user), with a reason and the row_version the client read (stale: 409
    VERSION_CONFLICT). Every bad value is reported at once (422). A new severity moves the due date
    by its rule unless a due date is given. Closed and cancelled deviations are read-only; in QA
    review nothing changes until it is returned to investigation."""
    require(actor, EDIT)
    reason = _reason(reason, what="a change to a deviation")
    if row_version is None:
        raise RowVersionRequired()
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise InvalidInputs([([name], "This field cannot be changed here.", "value_error") for name in unknown])
    with transaction.atomic():
        deviation = _lock(deviation)
        check_row_version(deviation, row_version)
        _check_state(deviation, CONTENT_EDITABLE_KINDS, "changed")
        before = deviation.audit_snapshot()
        old_owner, old_severity = deviation.owner_id, deviation.severity
        problems = _apply_changes(deviation, changes)
        if problems:
            raise InvalidInputs(problems)
        if deviation.severity != old_severity and "due_date" not in changes:
            deviation.due_date = due_date_for(deviation.severity, reported_on=timezone.localtime(deviation.created_at).date())
        event = audit.record_change(
            obj=deviation, before=before, actor=actor, summary=f"Deviation {deviation.number} changed", reason=reason
        )
        if event is None:
            return deviation
        deviation.row_version += 1
        deviation.save()
        changed = sorted(event.new_values or {})
        emit(DeviationEvent.UPDATED, deviation, actor=actor, data={"fields": changed, "reason": reason})
        if deviation.owner_id != old_owner and deviation.owner_id is not None:
            emit(DeviationEvent.ASSIGNED, deviation, actor=actor, data={"owner_id": deviation.owner_id})
    return deviation


def _apply_changes(deviation: Deviation, changes: dict) -> list[tuple]:
    """Sets the changed fields on the deviation; returns every problem (loc, msg, type)."""
    problems: list[tuple] = []
    today = timezone.localdate()
    for name, value in changes.items():
        problem = _change_problem(deviation, name, value, today)
        if problem:
            problems.append(([name], problem, "value_error"))
        else:
            setattr(deviation, name, value.strip() if isinstance(value, str) else value)
    if not problems:
        if deviation.discovered_at and deviation.discovered_at < deviation.occurred_at:
            problems.append((["discovered_at"], "It cannot have been discovered before it occurred.", "value_error"))
        if deviation.root_cause.strip() and not deviation.root_cause_method:
            msg = "Say how the root cause was found (5 Whys, fishbone, other)."
            problems.append((["root_cause_method"], msg, "value_error.missing"))
        if deviation.capa_required is False and not deviation.capa_decision_rationale.strip():
            problems.append((["capa_decision_rationale"], "Give the rationale for raising no CAPA.", "value_error.missing"))
    return problems


def _change_problem(deviation: Deviation, name: str, value, today: datetime.date) -> str | None:
    if name in ("title", "description") and not (value or "").strip():
        return "This field cannot be empty."
    if name in limits.DEVIATION_TEXTS:
        if not isinstance(value, str):
            return "Enter text."
        if len(value.strip()) > limits.DEVIATION_TEXTS[name]:
            return f"At most {limits.DEVIATION_TEXTS[name]} characters (this has {len(value.strip())})."
    if name in ("occurred_at", "discovered_at") and value is not None and value > today:
        return "The date cannot be in the future."
    if name == "occurred_at" and value is None:
        return "This field cannot be empty."
    if name in ("area", "category"):
        if value is None:
            return "This field cannot be empty."
        if not value.is_active and getattr(deviation, f"{name}_id") != value.pk:
            return f"{value.name} is no longer in use."
    if name == "severity" and value not in Severity.values:
        return f"One of {', '.join(Severity.values)}."
    if name == "root_cause_method" and value not in ("", *RootCauseMethod.values):
        return f"One of {', '.join(RootCauseMethod.values)} (or empty)."
    if name == "owner" and value is not None and not (value.is_active and has(value, EDIT)):
        return f"{value.display_name} cannot investigate deviations (an active user with the {EDIT} permission)."
    if name == "due_date" and value is None:
        return "This field cannot be empty."
    return None


# --- attachments ------------------------------------------------------------------------------------------


def add_attachments(*, actor: User, deviation: Deviation, uploads: list, description: str = "") -> list[Attachment]:
    """Files added to a deviation during its investigation (the document upload checks: 413/415)."""
    require(actor, EDIT)
    if not uploads:
        raise InvalidInputs([(["files"], "Attach at least one file.", "value_error.missing")])
    description = (description or "").strip()
    if problems := limits.too_long({"description": description}, {"description": limits.DESCRIPTION}):
        raise InvalidInputs(problems)
    checked = _checked_uploads(uploads, field="files")
    with files.removing_on_failure() as written, transaction.atomic():
        deviation = _lock(deviation)
        _check_state(deviation, CONTENT_EDITABLE_KINDS, "given new attachments")
        rows = _store_attachments(deviation, checked, actor=actor, written=written, description=description)
        deviation.row_version += 1
        deviation.save(update_fields=["row_version", "updated_at"])
        _audit(
            Action.ATTACH,
            deviation,
            actor,
            f"{len(rows)} file(s) attached to {deviation.number}: {', '.join(a.name for a in rows)}",
            new={"attachments": [_attachment_values(a) for a in rows], "description": description or None},
        )
        emit(DeviationEvent.ATTACHMENT_ADDED, deviation, actor=actor, data={"attachments": [a.pk for a in rows]})
    return rows


def record_attachment_download(*, actor: User, deviation: Deviation, attachment: Attachment) -> None:
    """Audits the download of a deviation's file (the caller found the deviation visible to the actor)."""
    require_any(actor, VIEW, CREATE)
    with transaction.atomic():
        _audit(
            Action.DOWNLOAD,
            attachment,
            actor,
            f"{actor.display_name} downloaded {attachment.name} of {deviation.number}",
            new={"name": attachment.name, "sha256": attachment.sha256, "deviation": deviation.number},
        )


# --- related items ---------------------------------------------------------------------------------------------


def link_record(*, actor: User, deviation: Deviation, target_type: str, target, reason: str, version: str | None = None) -> Link:
    """Links the deviation to a record the actor may view: a document (at `version`, default the
    version the actor sees), another deviation or a CAPA (once the CAPA module is installed); `target`
    is its id or number. With a reason; once per record (409 ALREADY_LINKED); not on closed or
    cancelled deviations."""
    require(actor, EDIT)
    reason = _reason(reason, what="linking a record to a deviation")
    kind = link_registry.link_type(target_type)
    if kind is None:
        raise InvalidInputs([(["target_type"], f"One of {', '.join(link_registry.LINK_TYPES)}.", "value_error.choice")])
    if not kind.available:
        raise LinkTypeUnavailable(kind.picker.unavailable_reason)
    if problems := limits.too_long(
        {"target": str(target).strip(), "version": version or ""}, {"target": limits.LINK_TARGET, "version": limits.VERSION}
    ):
        raise InvalidInputs(problems)
    token = int(target) if isinstance(target, int) or str(target).strip().isdigit() else str(target).strip().upper()
    reference = kind.picker.resolve(actor, [token]).get(token)
    if reference is None:
        raise InvalidInputs([(["target"], f"No {kind.picker.record_label} {target} that you may view.", "value_error.reference")])
    if version:
        reference = kind.picker.resolve_version(actor, reference, version)
        if reference is None:
            raise InvalidInputs([(["version"], f"No version {version} of {target} that you may view.", "value_error.reference")])
    with transaction.atomic():
        deviation = _lock(deviation)
        _check_state(deviation, None, "linked to other records")
        if kind.name == "deviation" and reference["id"] == deviation.pk:
            raise InvalidInputs([(["target"], "A deviation cannot be linked to itself.", "value_error")])
        if Link.objects.filter(
            deviation=deviation, target_type=kind.name, target_id=reference["id"], removed_at__isnull=True
        ).exists():
            raise AlreadyLinked(f"{deviation.number} is already linked to {reference['number']}.")
        link = Link.objects.create(
            deviation=deviation,
            target_type=kind.name,
            target_id=reference["id"],
            target_number=reference["number"],
            target_title=(reference.get("title") or "")[: limits.TITLE],
            target_version=reference.get("version") or "",
            reason=reason,
            created_by=actor,
        )
        _record_link_change(deviation, link, actor=actor, reason=reason, removed=False)
    return link


def unlink_record(*, actor: User, deviation: Deviation, link: Link, reason: str) -> Link:
    """Removes a link, with a reason; the link stays on record as removed (who, when, why)."""
    require(actor, EDIT)
    reason = _reason(reason, what="removing a deviation's link")
    with transaction.atomic():
        deviation = _lock(deviation)
        try:
            link = Link.objects.select_for_update().get(pk=link.pk, deviation=deviation)
        except Link.DoesNotExist:
            raise NotFound("This deviation has no such link.")
        if link.removed_at is not None:
            raise LinkRemoved()
        _check_state(deviation, None, "unlinked from other records")
        link.removed_at, link.removed_by, link.removal_reason = timezone.now(), actor, reason
        link.deviation = deviation
        link.save(update_fields=["removed_at", "removed_by", "removal_reason"])
        _record_link_change(deviation, link, actor=actor, reason=reason, removed=True)
    return link


def _record_link_change(deviation: Deviation, link: Link, *, actor, reason: str, removed: bool) -> None:
    """The deviation's row_version moves on; the link or its removal is audited and emitted."""
    _touch(deviation)
    values = _link_values(link)
    if removed:
        old = {**values, "removed": False}
        new = {"removed": True, "removed_at": link.removed_at, "removed_by": actor.username if actor else None}
    else:
        old, new = None, {**values, "reason": link.reason, "source": link.source}
    _audit(
        Action.UNLINK if removed else Action.LINK,
        link,
        actor,
        f"{deviation.number} {'no longer linked' if removed else 'linked'} to {values['target']}",
        old=old,
        new=new,
        reason=reason,
    )
    emit(
        DeviationEvent.UNLINKED if removed else DeviationEvent.LINKED,
        deviation,
        actor=actor,
        data={"link": link.pk, "target_type": link.target_type, "target_id": link.target_id},
    )


# --- internals ------------------------------------------------------------------------------------------------


def _reason(reason: str | None, *, what: str, required: bool = True) -> str:
    """The stripped reason: required ones at least REASON_MIN_LENGTH characters
    (audit.services.require_reason), every one at most limits.REASON (422 at `reason`)."""
    reason = audit.require_reason(reason, what=what) if required else (reason or "").strip()
    if problems := limits.too_long({"reason": reason}, {"reason": limits.REASON}):
        raise InvalidInputs(problems)
    return reason


def _link_values(link: Link) -> dict:
    """A link as the audit trail shows it (its deviation is the event's subject)."""
    version = f" v{link.target_version}" if link.target_version else ""
    return {
        "link": link.pk,
        "deviation": link.deviation.number,
        "target_type": link.target_type,
        "target_id": link.target_id,
        "target": f"{link.target_type} {link.target_number}{version}",
    }


def _attachment_values(attachment: Attachment) -> dict:
    return {
        "attachment": attachment.pk,
        "field": attachment.field or None,
        "name": attachment.name,
        "size": attachment.size,
        "mime_type": attachment.mime_type,
        "sha256": attachment.sha256,
        "storage_name": attachment.storage_name,
    }


def _lock(deviation: Deviation) -> Deviation:
    from .records import LOCK_RELATED

    try:
        return Deviation.objects.select_for_update(of=("self",)).select_related(*LOCK_RELATED).get(pk=deviation.pk)
    except Deviation.DoesNotExist:
        raise NotFound("Deviation not found.")


def _check_state(deviation: Deviation, allowed_kinds, what: str) -> None:
    """409 NOT_EDITABLE unless the deviation's state allows the change (`allowed_kinds` None: any
    state but closed and cancelled)."""
    state = deviation.workflow_instance.current_state
    if allowed_kinds is None and state.kind not in READ_ONLY_KINDS or allowed_kinds is not None and state.kind in allowed_kinds:
        return
    if state.kind == StateKind.CLOSED:
        hint = "closed deviations are read-only (reopen it to change it)"
    elif state.kind == StateKind.CANCELLED:
        hint = "cancelled deviations are read-only"
    else:
        hint = "return it to investigation to change it"
    raise NotEditable(
        f"{deviation.number} is {state.label.lower()} and cannot be {what}: {hint}.", extra={"current_state": state.name}
    )


def _touch(deviation: Deviation) -> None:
    deviation.row_version += 1
    deviation.save(update_fields=["row_version", "updated_at"])


# --- configuration (admin): categories, areas, due-date rules ------------------------------------------------


def save_category(*, actor, category: Category | None, data: dict, reason: str = "") -> Category:
    return _save_setting(actor=actor, model=Category, obj=category, data=data, reason=reason, what="Deviation category")


def save_area(*, actor, area: Area | None, data: dict, reason: str = "") -> Area:
    return _save_setting(actor=actor, model=Area, obj=area, data=data, reason=reason, what="Deviation area")


def save_due_rule(*, actor, rule: SeverityDueRule | None, data: dict, reason: str = "") -> SeverityDueRule:
    """How many days deviations of a severity have (new reports and severity changes use it)."""
    return _save_setting(actor=actor, model=SeverityDueRule, obj=rule, data=data, reason=reason, what="Due-date rule")


def _save_setting(*, actor, model, obj, data: dict, reason: str, what: str):
    """Creates or changes a configuration row (validated, audited with old and new values; a change
    needs a reason, 422 at `reason` otherwise)."""
    require(actor, MANAGE_FORMS)
    fields = [f for f in model.audit_fields if f in data]
    if problems := limits.too_long({f: data[f] for f in fields}, {"description": limits.DESCRIPTION}):
        raise InvalidInputs(problems)
    with transaction.atomic():
        if obj is None or obj.pk is None:
            obj = model(**{f: data[f] for f in fields})
            _full_clean(obj)
            obj.save()
            reason = _reason(reason, what=f"creating a {what.lower()}", required=False)
            _audit(Action.CREATE, obj, actor, f"{what} {obj} created", new=obj.audit_snapshot(), reason=reason)
            return obj
        obj = model.objects.select_for_update().get(pk=obj.pk)
        before = obj.audit_snapshot()
        for field in fields:
            setattr(obj, field, data[field])
        _full_clean(obj)
        if changed_fields(obj, before):
            reason = _reason(reason, what=f"a change to a {what.lower()}")
        if audit.record_change(obj=obj, before=before, actor=actor, summary=f"{what} {obj} changed", reason=reason):
            obj.row_version += 1
            obj.save()
    return obj


def _full_clean(obj) -> None:
    """The model's own validation (ranges, unique names) as a located 422."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise InvalidInputs(
            [([field], msg, "value_error") for field, messages in exc.message_dict.items() for msg in messages]
        ) from exc


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
    reason = _reason(reason, what="a change to a deviation report form", required=False)
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
        if definition == normalise(definition_of(template)):
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
    reason = _reason(reason, what="publishing a deviation report form")
    with transaction.atomic():
        template = FormTemplate.objects.select_for_update().get(pk=template.pk)
        check_row_version(template, row_version)
        if template.status == FormStatus.ACTIVE:
            raise AlreadyActive()
        problems = definition_problems(normalise(definition_of(template)), for_publish=True)
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


def _audit(action: Action, obj, actor, summary: str, *, old=None, new=None, reason: str = "") -> None:
    """The audit record of a use case on a deviation, one of its parts (attachment, link: their
    subject is the deviation, see deviations/subjects.py), a form version or a configuration row."""
    audit.record(
        action=action,
        resource_type=obj.audit_resource_type,
        resource_id=obj.pk,
        actor=actor,
        summary=summary,
        old_values=old,
        new_values=new,
        reason=reason,
        instance=obj,
    )
