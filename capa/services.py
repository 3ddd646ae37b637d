"""Every write about CAPAs: one function per use case, the permission check
(`qms.permissions.require`; actor None is the system), one transaction with the audit record (old
and new values, the reason) and the domain event inside it.

Creating: every check first (choices, owner, due date, the deviations and document versions the
actor may view, a free legacy number) → [transaction: number CAPA-YYYY-NNNN, the CAPA, its links,
workflow started in `draft`; with linked documents the system activates it at once (seed 000: only
CAPAs without linked documents need the QA Manager's draft approval), audit, `capa.created`].

The plan is approved with `approve_draft` (capa.approve_draft, electronic signature "CAPA plan
approval"); transitions and closure are the workflow kit's (workflows.records_services; see
capa/records.py for the guards). Actions are completed by their owner only; due-date extensions
need a reason and are audited with both dates. Effectiveness results are recorded once, with the
reviewer's electronic signature (meaning "effectiveness"); `not_effective` needs a new action in
the same request and sends the CAPA back to in progress. Closed and cancelled CAPAs are read-only.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from accounts.services import authenticate_signer
from audit import services as audit
from audit import signatures
from audit.changes import snapshot
from audit.models import SignatureType
from documents.models import DocumentVersion
from qms import files
from qms.errors import InvalidInputs, InvalidTransition, NotFound, check_row_version
from qms.events import emit
from qms.permissions import has, require
from workflows import records_services
from workflows.legacy import LegacyOrigin
from workflows.models import StateKind
from workflows.records import record_type
from workflows.services import SignatureRequired

from . import defaults, limits, selectors
from .audit_actions import CapaAuditAction as Action
from .errors import (
    ActionNotOpen,
    AlreadyLinked,
    LegacyNumberTaken,
    LinkRemoved,
    NotActionOwner,
    NotAwaitingEffectiveness,
    NotDraft,
    NotEditable,
    ReviewRecorded,
    RowVersionRequired,
)
from .events import CapaEvent
from .models import (
    ActionStatus,
    Attachment,
    Capa,
    CapaAction,
    CapaDeviation,
    CapaDocument,
    CapaSource,
    CapaType,
    EffectivenessReview,
    Priority,
    ReviewResult,
)

VIEW, CREATE, EDIT, WORK = "capa.view", "capa.create", "capa.edit", "capa.work"
APPROVE_DRAFT, EFFECTIVENESS = "capa.approve_draft", "capa.effectiveness"
# States in which a CAPA's content, action plan and links may change.
EDITABLE_KINDS = frozenset({StateKind.DRAFT, StateKind.OPEN, StateKind.IN_PROGRESS})
# States in which actions are carried out (the plan is approved).
WORKING_KINDS = frozenset({StateKind.OPEN, StateKind.IN_PROGRESS})
READ_ONLY_KINDS = frozenset({StateKind.CLOSED, StateKind.CANCELLED})
CREATE_SNAPSHOT = [
    "number",
    "legacy_number",
    "title",
    "description",
    "capa_type",
    "source",
    "source_reference",
    "priority",
    "root_cause",
    "owner.username",
    "due_date",
    "status",
]


# --- creating ------------------------------------------------------------------------------------------------


def create_capa(
    *,
    actor: User | None,
    title: str,
    description: str,
    source: str,
    owner: User,
    due_date: datetime.date,
    capa_type: str = CapaType.CORRECTIVE,
    priority: str = Priority.MEDIUM,
    root_cause: str = "",
    source_reference: str = "",
    deviation_ids: list[int] | tuple = (),
    document_version_ids: list[int] | tuple = (),
    legacy_number: str = "",
    reason: str = "",
    legacy: LegacyOrigin | None = None,
) -> Capa:
    """A new CAPA: `draft` without linked document versions (it waits for the CAPA plan approval),
    `open` with them. `deviation_ids` and `document_version_ids` must name records the actor may
    view (422 naming the position otherwise); `legacy_number` (imports) must be free (409).

    `legacy` (manage.py import_capas): a CAPA loaded from a legacy system keeps its legacy number
    and starts in the state it had there (no transition, approval or signature implied); needs
    capa.edit as well."""
    require(actor, CREATE)
    if legacy is not None:
        require(actor, EDIT)
        legacy_number = legacy_number or legacy.number
    values = {
        "title": (title or "").strip(),
        "description": (description or "").strip(),
        "capa_type": capa_type,
        "source": source,
        "source_reference": (source_reference or "").strip(),
        "priority": priority,
        "root_cause": (root_cause or "").strip(),
        "owner": owner,
        "due_date": due_date,
    }
    legacy_number = (legacy_number or "").strip()
    problems = _field_problems(values, today=timezone.localdate(), past_due_allowed=bool(legacy_number))
    if len(legacy_number) > limits.LEGACY_NUMBER:
        problems.append((["legacy_number"], f"At most {limits.LEGACY_NUMBER} characters.", "value_error.any_str.max_length"))
    deviations, more = _visible_deviations(actor, deviation_ids)
    versions, more_versions = _visible_versions(actor, document_version_ids)
    problems += more + more_versions
    if problems:
        raise InvalidInputs(problems)
    try:
        with transaction.atomic():
            if legacy_number and Capa.objects.filter(legacy_number=legacy_number).exists():
                raise LegacyNumberTaken(f"Another CAPA has the legacy number {legacy_number}.")
            capa = Capa.objects.create(
                number=record_type("capa").next_number(),
                legacy_number=legacy_number,
                created_by=actor,
                status="",
                **values,
            )
            for deviation in deviations:
                CapaDeviation.objects.create(
                    capa=capa, deviation=deviation, reason=reason or "Addressed by this CAPA", created_by=actor
                )
            for version in versions:
                CapaDocument.objects.create(capa=capa, version=version, created_by=actor)
            instance = records_services.start_record(
                actor=actor,
                record=capa,
                author=actor,
                state=legacy.state if legacy else None,
                comment=legacy.comment if legacy else "",
            )
            if instance.current_state.kind == StateKind.CLOSED:
                closed = legacy.closed_on if legacy and legacy.closed_on else timezone.localdate()
                capa.closed_at = datetime.datetime.combine(closed, datetime.time(), tzinfo=datetime.UTC)
                capa.save(update_fields=["closed_at"])
            if versions and not (legacy and legacy.state):
                records_services.system_transition_record(
                    actor=actor,
                    record=capa,
                    name=defaults.ACTIVATE,
                    comment="Created with linked documents: active at once, no draft approval needed.",
                )
            _audit(
                Action.CREATE,
                capa,
                actor,
                f"CAPA {capa.number} {capa.title!r} "
                + (f"imported from legacy {legacy.number}" if legacy else "created")
                + f" ({capa.status})",
                new={
                    **snapshot(capa, CREATE_SNAPSHOT),
                    **(legacy.as_audit() if legacy else {}),
                    "deviations": [d.number for d in deviations],
                    "documents": [f"{v.document.number} v{v.version}" for v in versions],
                },
                reason=reason,
            )
            emit(CapaEvent.CREATED, capa, actor=actor, data={**_data(capa), "status": capa.status, "source": capa.source})
    except IntegrityError as exc:
        if legacy_number and "legacy" in str(exc).lower():
            raise LegacyNumberTaken(f"Another CAPA has the legacy number {legacy_number}.") from exc
        raise
    return capa


def raise_from_deviation(*, actor: User, deviation, reason: str = "", **overrides) -> Capa:
    """A CAPA pre-filled from a deviation the actor may view (title, problem statement, root cause,
    priority from its severity, owner: the actor, due date from the priority) and linked to it; any
    field may be given instead (`overrides`: the create_capa arguments)."""
    require(actor, CREATE)
    from deviations.selectors import visible_deviations

    if not visible_deviations(actor).filter(pk=deviation.pk).exists():
        raise NotFound("Deviation not found.")
    priority = overrides.pop("priority", None) or defaults.PRIORITY_FOR_SEVERITY.get(deviation.severity, Priority.MEDIUM)
    description = (
        f"Raised from deviation {deviation.number}: {deviation.title}\n\n{deviation.description}".strip()
        if not overrides.get("description")
        else overrides.pop("description")
    )
    values = {
        "title": overrides.pop("title", None) or f"CAPA for {deviation.number}: {deviation.title}"[: limits.TITLE],
        "description": description[: limits.LONG_TEXT],
        "source": CapaSource.DEVIATION,
        "source_reference": deviation.number,
        "root_cause": overrides.pop("root_cause", None) or deviation.root_cause,
        "priority": priority,
        "owner": overrides.pop("owner", None) or actor,
        "due_date": overrides.pop("due_date", None)
        or timezone.localdate() + datetime.timedelta(days=defaults.DUE_DAYS.get(priority, 60)),
    }
    values.update(overrides)
    deviation_ids = list(dict.fromkeys([deviation.pk, *values.pop("deviation_ids", [])]))
    return create_capa(
        actor=actor,
        deviation_ids=deviation_ids,
        reason=reason or f"Raised from deviation {deviation.number}",
        **values,
    )


# --- updating ---------------------------------------------------------------------------------------------------


def update_capa(
    *,
    actor: User,
    capa: Capa,
    changes: dict,
    reason: str,
    row_version: int | None,
    document_version_ids: list[int] | None = None,
) -> Capa:
    """Changes the fields in `changes` (see Capa.UPDATABLE_FIELDS; owner as a user) and, when given,
    replaces the linked document versions; with a reason and the row_version read (stale: 409).
    Only while draft, open or in progress; the plan signed at its approval (title, problem
    statement, type, source) never changes afterwards (409 SIGNED_CONTENT_LOCKED)."""
    require(actor, EDIT)
    reason = audit.require_reason(reason, what="a change to a CAPA")
    if row_version is None:
        raise RowVersionRequired()
    unknown = sorted(set(changes) - set(Capa.UPDATABLE_FIELDS))
    if unknown:
        raise InvalidInputs([([name], "This field cannot be changed here.", "value_error") for name in unknown])
    versions, problems = _visible_versions(actor, document_version_ids or [])
    with transaction.atomic():
        capa = _lock(capa)
        check_row_version(capa, row_version)
        _check_state(capa, EDITABLE_KINDS, "changed")
        before = capa.audit_snapshot()
        with records_services.signed_content_kept(capa):
            values = {name: changes.get(name, getattr(capa, name)) for name in Capa.UPDATABLE_FIELDS}
            values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
            due_changed = "due_date" in changes and changes["due_date"] != capa.due_date
            problems += [
                p
                for p in _field_problems(values, today=timezone.localdate(), past_due_allowed=not due_changed)
                if p[0][0] in changes
            ]
            if problems:
                raise InvalidInputs(problems)
            for name, value in values.items():
                setattr(capa, name, value)
        documents_changed = None
        if document_version_ids is not None:
            current = {link.version_id: link for link in capa.document_links.select_related("version__document")}
            wanted = {v.pk: v for v in versions}
            if set(current) != set(wanted):
                CapaDocument.objects.filter(capa=capa, version_id__in=set(current) - set(wanted)).delete()
                for pk in set(wanted) - set(current):
                    CapaDocument.objects.create(capa=capa, version=wanted[pk], created_by=actor)
                documents_changed = (
                    sorted(f"{link.version.document.number} v{link.version.version}" for link in current.values()),
                    sorted(f"{v.document.number} v{v.version}" for v in versions),
                )
        event = audit.record_change(obj=capa, before=before, actor=actor, summary=f"CAPA {capa.number} changed", reason=reason)
        if documents_changed:
            _audit(
                Action.UPDATE,
                capa,
                actor,
                f"Documents of CAPA {capa.number} changed",
                old={"documents": documents_changed[0]},
                new={"documents": documents_changed[1]},
                reason=reason,
            )
        if event is None and not documents_changed:
            return capa
        capa.row_version += 1
        capa.save()
        fields = sorted(event.new_values or {}) if event else []
        emit(
            CapaEvent.UPDATED,
            capa,
            actor=actor,
            data={**_data(capa), "fields": fields + (["documents"] if documents_changed else []), "reason": reason},
        )
    return capa


def approve_draft(*, actor: User, capa: Capa, password: str, comment: str = "") -> Capa:
    """The CAPA plan approval: a draft CAPA becomes `open`, with the approver's electronic signature
    (meaning approval, intent "CAPA plan approval: ..."). 403 without capa.approve_draft, 409 NOT_DRAFT
    when the CAPA is not (or no longer) a draft; of two approvals at the same moment one wins."""
    require(actor, APPROVE_DRAFT, detail="Only a QA Manager or an administrator approves draft CAPAs (capa.approve_draft).")
    require(actor, VIEW)
    capa = _visible(actor, capa)
    if capa.status != "draft":
        raise _not_draft(capa)
    from .records import plan_approval_intent

    try:
        return records_services.transition_record(
            actor=actor,
            record=capa,
            name=defaults.APPROVE_DRAFT,
            comment=comment,
            password=password,
            intent=plan_approval_intent(capa),
        )
    except InvalidTransition:
        raise _not_draft(Capa.objects.get(pk=capa.pk)) from None


def _not_draft(capa: Capa) -> NotDraft:
    return NotDraft(
        f"{capa.number} is {selectors.state_label(capa.status).lower()}, not a draft: only drafts are approved.",
        extra={"current_state": capa.status},
    )


# --- deviation links -----------------------------------------------------------------------------------------


def link_deviation(*, actor: User, capa: Capa, deviation, reason: str) -> CapaDeviation:
    """Links a deviation the actor may view to the CAPA (shown on both), with a reason; once."""
    require(actor, EDIT)
    reason = audit.require_reason(reason, what="linking a deviation to a CAPA")
    found, problems = _visible_deviations(actor, [getattr(deviation, "pk", deviation)], field="deviation")
    if problems:
        raise InvalidInputs(problems)
    deviation = found[0]
    with transaction.atomic():
        capa = _lock(capa)
        _check_state(capa, None, "linked to deviations")
        if CapaDeviation.objects.filter(capa=capa, deviation=deviation, removed_at__isnull=True).exists():
            raise AlreadyLinked(f"{capa.number} is already linked to {deviation.number}.")
        link = CapaDeviation.objects.create(capa=capa, deviation=deviation, reason=reason, created_by=actor)
        _link_changed(capa, link, actor=actor, reason=reason, removed=False)
    return link


def unlink_deviation(*, actor: User, capa: Capa, link: CapaDeviation, reason: str) -> CapaDeviation:
    """Removes a deviation link with a reason; the link stays on record as removed (who, when, why)."""
    require(actor, EDIT)
    reason = audit.require_reason(reason, what="removing a CAPA's deviation link")
    with transaction.atomic():
        capa = _lock(capa)
        try:
            link = CapaDeviation.objects.select_for_update().select_related("deviation").get(pk=link.pk, capa=capa)
        except CapaDeviation.DoesNotExist:
            raise NotFound("This CAPA has no such link.")
        if link.removed_at is not None:
            raise LinkRemoved()
        _check_state(capa, None, "unlinked from deviations")
        link.removed_at, link.removed_by, link.removal_reason = timezone.now(), actor, reason
        link.save(update_fields=["removed_at", "removed_by", "removal_reason"])
        _link_changed(capa, link, actor=actor, reason=reason, removed=True)
    return link


def _link_changed(capa: Capa, link: CapaDeviation, *, actor, reason: str, removed: bool) -> None:
    _touch(capa)
    values = {"link": link.pk, "deviation": link.deviation.number, "deviation_id": link.deviation_id}
    _audit(
        Action.UNLINK if removed else Action.LINK,
        capa,
        actor,
        f"{capa.number} {'no longer linked' if removed else 'linked'} to deviation {link.deviation.number}",
        old=values if removed else None,
        new=None if removed else values,
        reason=reason,
    )
    emit(
        CapaEvent.UNLINKED if removed else CapaEvent.LINKED,
        capa,
        actor=actor,
        data={**_data(capa), "link": link.pk, "target_type": "deviation", "target_id": link.deviation_id},
    )


# --- actions -------------------------------------------------------------------------------------------------


def add_action(
    *, actor: User, capa: Capa, description: str, owner: User, due_date: datetime.date, reason: str = ""
) -> CapaAction:
    """A new open action of the CAPA's plan (while draft, open or in progress), owned by someone who
    can work on CAPAs; `capa.action_assigned` tells the owner."""
    require(actor, EDIT)
    problems = _action_problems(description, owner, due_date)
    if problems:
        raise InvalidInputs(problems)
    with transaction.atomic():
        capa = _lock(capa)
        _check_state(capa, EDITABLE_KINDS, "given new actions")
        action = _create_action(capa, actor=actor, description=description, owner=owner, due_date=due_date, reason=reason)
    return action


def _create_action(capa: Capa, *, actor, description: str, owner: User, due_date, reason: str = "") -> CapaAction:
    sequence = (capa.actions.aggregate(n=Max("sequence"))["n"] or 0) + 1
    action = CapaAction.objects.create(
        capa=capa,
        sequence=sequence,
        description=description.strip(),
        owner=owner,
        due_date=due_date,
        original_due_date=due_date,
        created_by=actor,
    )
    _touch(capa)
    _audit(
        Action.ADD_ACTION,
        action,
        actor,
        f"Action {sequence} of {capa.number} assigned to {owner.display_name}, due {due_date.isoformat()}",
        new=snapshot(action, action.audit_fields),
        reason=reason,
    )
    _emit_assigned(action, capa, actor)
    return action


def _emit_assigned(action: CapaAction, capa: Capa, actor) -> None:
    emit(
        CapaEvent.ACTION_ASSIGNED,
        capa,
        actor=actor,
        data={
            **_data(capa),
            "owner_id": action.owner_id,
            "capa_owner_id": capa.owner_id,
            "action_id": action.pk,
            "sequence": action.sequence,
            "description": action.description[:200],
            "due_date": action.due_date.isoformat(),
        },
    )


def update_action(*, actor: User, action: CapaAction, changes: dict, reason: str, row_version: int | None) -> CapaAction:
    """Changes an open action's description or owner, or cancels it (`status` "cancelled"); with a
    reason and the row_version read. The due date moves only by `extend_action_due_date`; an action
    is done only by `complete_action`."""
    require(actor, EDIT)
    reason = audit.require_reason(reason, what="a change to a CAPA action")
    if row_version is None:
        raise RowVersionRequired()
    problems = []
    for name in sorted(set(changes) - {"description", "owner", "status"}):
        hint = {
            "due_date": "Extend the due date with its own request (a reason is required).",
            "completion_evidence": "The owner completes the action with its evidence.",
        }.get(name, "This field cannot be changed here.")
        problems.append(([name], hint, "value_error"))
    if "status" in changes and changes["status"] != ActionStatus.CANCELLED:
        problems.append((["status"], "Only 'cancelled' can be set here; the owner completes the action.", "value_error"))
    if "description" in changes and not (changes["description"] or "").strip():
        problems.append((["description"], "This field cannot be empty.", "value_error"))
    if "owner" in changes:
        problems += [p for p in _action_problems("x", changes["owner"], None) if p[0] == ["owner"]]
    if problems:
        raise InvalidInputs(problems)
    with transaction.atomic():
        action = _lock_action(action)
        capa = _lock(action.capa)
        check_row_version(action, row_version)
        _check_state(capa, EDITABLE_KINDS, "given changed actions")
        if action.status != ActionStatus.OPEN:
            raise ActionNotOpen(f"Action {action.sequence} of {capa.number} is {action.status} and no longer changes.")
        before = action.audit_snapshot()
        old_owner = action.owner_id
        if "description" in changes:
            action.description = changes["description"].strip()
        if "owner" in changes:
            action.owner = changes["owner"]
        if changes.get("status") == ActionStatus.CANCELLED:
            action.status, action.cancellation_reason = ActionStatus.CANCELLED, reason
        event = audit.record_change(
            obj=action,
            before=before,
            actor=actor,
            action=Action.UPDATE_ACTION,
            summary=f"Action {action.sequence} of {capa.number} changed",
            reason=reason,
        )
        if event is None:
            return action
        action.row_version += 1
        action.save()
        _touch(capa)
        emit(
            CapaEvent.ACTION_UPDATED,
            capa,
            actor=actor,
            data={**_data(capa), "action_id": action.pk, "fields": sorted(event.new_values or {}), "status": action.status},
        )
        if action.owner_id != old_owner:
            _emit_assigned(action, capa, actor)
    return action


def complete_action(*, actor: User, action: CapaAction, evidence: str, uploads: list | None = None) -> CapaAction:
    """The owner completes their own open action with its evidence (text, and files), while the CAPA
    is open or in progress. Anyone else: 403 NOT_ACTION_OWNER."""
    require(actor, WORK)
    if action.owner_id != actor.pk:
        raise NotActionOwner("Only the owner of an action completes it.")
    evidence = (evidence or "").strip()
    if not evidence:
        raise InvalidInputs([(["evidence"], "Describe what was done (the completion evidence).", "value_error.missing")])
    if len(evidence) > limits.LONG_TEXT:
        raise InvalidInputs([(["evidence"], f"At most {limits.LONG_TEXT} characters.", "value_error.any_str.max_length")])
    checked = _checked_uploads(list(uploads or []), field="files")
    with files.removing_on_failure() as written, transaction.atomic():
        action = _lock_action(action)
        capa = _lock(action.capa)
        if action.owner_id != actor.pk:
            raise NotActionOwner("Only the owner of an action completes it.")
        if action.status != ActionStatus.OPEN:
            raise ActionNotOpen(f"Action {action.sequence} of {capa.number} is {action.status} already.")
        _check_state(capa, WORKING_KINDS, "worked on (its plan is approved first)")
        action.status, action.completion_evidence = ActionStatus.DONE, evidence
        action.completed_at, action.completed_by = timezone.now(), actor
        action.row_version += 1
        action.save()
        stored = _store_attachments(capa, checked, actor=actor, written=written, action=action)
        _touch(capa)
        _audit(
            Action.COMPLETE_ACTION,
            action,
            actor,
            f"Action {action.sequence} of {capa.number} completed by {actor.display_name}",
            old={"status": ActionStatus.OPEN.value},
            new={
                "status": ActionStatus.DONE.value,
                "completion_evidence": evidence,
                "completed_at": action.completed_at.isoformat(),
                "files": [{"name": a.name, "sha256": a.sha256, "storage_name": a.storage_name} for a in stored],
            },
        )
        emit(
            CapaEvent.ACTION_COMPLETED,
            capa,
            actor=actor,
            data={**_data(capa), "action_id": action.pk, "sequence": action.sequence, "completed_by": actor.pk},
        )
    return action


def extend_action_due_date(*, actor: User, action: CapaAction, due_date: datetime.date, reason: str) -> CapaAction:
    """Moves an open action's due date later, with a reason; audited with the old and new dates."""
    require(actor, EDIT)
    reason = audit.require_reason(reason, what="extending an action's due date")
    if not isinstance(due_date, datetime.date):
        raise InvalidInputs([(["due_date"], "A date is required.", "value_error.missing")])
    with transaction.atomic():
        action = _lock_action(action)
        capa = _lock(action.capa)
        _check_state(capa, EDITABLE_KINDS, "given new action due dates")
        if action.status != ActionStatus.OPEN:
            raise ActionNotOpen(f"Action {action.sequence} of {capa.number} is {action.status}: its due date no longer moves.")
        if due_date <= action.due_date:
            raise InvalidInputs(
                [(["due_date"], f"An extension moves the due date later than {action.due_date.isoformat()}.", "value_error")]
            )
        old = action.due_date
        action.due_date = due_date
        action.row_version += 1
        action.save(update_fields=["due_date", "row_version", "updated_at"])
        _touch(capa)
        _audit(
            Action.EXTEND_DUE_DATE,
            action,
            actor,
            f"Due date of action {action.sequence} of {capa.number} extended from {old.isoformat()} to {due_date.isoformat()}",
            old={"due_date": old.isoformat()},
            new={"due_date": due_date.isoformat()},
            reason=reason,
        )
        emit(
            CapaEvent.ACTION_DUE_EXTENDED,
            capa,
            actor=actor,
            data={
                **_data(capa),
                "owner_id": action.owner_id,
                "capa_owner_id": capa.owner_id,
                "action_id": action.pk,
                "old_due_date": old.isoformat(),
                "due_date": due_date.isoformat(),
                "reason": reason,
            },
        )
    return action


# --- effectiveness reviews ---------------------------------------------------------------------------------------


def create_review(
    *, actor: User, capa: Capa, planned_date: datetime.date, method: str, reviewer: User | None = None
) -> EffectivenessReview:
    """Plans an effectiveness review of a CAPA that is not closed or cancelled."""
    require(actor, EDIT)
    problems = _review_problems({"planned_date": planned_date, "method": method, "reviewer": reviewer})
    if problems:
        raise InvalidInputs(problems)
    with transaction.atomic():
        capa = _lock(capa)
        _check_state(capa, None, "given effectiveness reviews")
        sequence = (capa.effectiveness_reviews.aggregate(n=Max("sequence"))["n"] or 0) + 1
        review = EffectivenessReview.objects.create(
            capa=capa, sequence=sequence, planned_date=planned_date, method=method.strip(), reviewer=reviewer, created_by=actor
        )
        _touch(capa)
        _audit(
            Action.PLAN_REVIEW,
            review,
            actor,
            f"Effectiveness review {sequence} of {capa.number} planned for {planned_date.isoformat()}",
            new=snapshot(review, review.audit_fields),
        )
        emit(
            CapaEvent.EFFECTIVENESS_PLANNED,
            capa,
            actor=actor,
            data={
                **_data(capa),
                "review_id": review.pk,
                "planned_date": planned_date.isoformat(),
                "reviewer_id": review.reviewer_id,
            },
        )
    return review


def update_review(
    *, actor: User, review: EffectivenessReview, changes: dict, reason: str, row_version: int | None
) -> EffectivenessReview:
    """Changes a pending review's plan (planned date, method, reviewer), with a reason."""
    require(actor, EDIT)
    reason = audit.require_reason(reason, what="a change to an effectiveness review")
    if row_version is None:
        raise RowVersionRequired()
    unknown = sorted(set(changes) - {"planned_date", "method", "reviewer"})
    problems = [
        ([name], "This field cannot be changed here (record a result with its signature).", "value_error") for name in unknown
    ]
    problems += _review_problems(changes, partial=True)
    if problems:
        raise InvalidInputs(problems)
    with transaction.atomic():
        review = _lock_review(review)
        capa = _lock(review.capa)
        check_row_version(review, row_version)
        _check_state(capa, None, "given changed effectiveness reviews")
        if review.result != ReviewResult.PENDING:
            raise ReviewRecorded()
        before = review.audit_snapshot()
        for name, value in changes.items():
            setattr(review, name, value.strip() if isinstance(value, str) else value)
        event = audit.record_change(
            obj=review,
            before=before,
            actor=actor,
            action=Action.UPDATE_REVIEW,
            summary=f"Effectiveness review {review.sequence} of {capa.number} changed",
            reason=reason,
        )
        if event is None:
            return review
        if "planned_date" in (event.new_values or {}):
            review.due_flagged_at = None  # a new date is flagged again when it comes
        review.row_version += 1
        review.save()
        _touch(capa)
        emit(
            CapaEvent.EFFECTIVENESS_UPDATED,
            capa,
            actor=actor,
            data={**_data(capa), "review_id": review.pk, "fields": sorted(event.new_values or {}), "reason": reason},
        )
    return review


def record_effectiveness(
    *,
    actor: User,
    review: EffectivenessReview,
    result: str,
    evidence: str,
    password: str,
    new_action: dict | None = None,
    intent: str = "",
    comment: str = "",
) -> EffectivenessReview:
    """Records the result of a pending review of a CAPA pending effectiveness, with the reviewer's
    electronic signature (meaning "effectiveness"). `effective` lets the CAPA be closed;
    `not_effective` needs `new_action` ({description, owner, due_date}): the action is added and the
    CAPA goes back to in progress. A review assigned to a reviewer is recorded by them."""
    require(actor, EFFECTIVENESS)
    problems = []
    if result not in (ReviewResult.EFFECTIVE, ReviewResult.NOT_EFFECTIVE):
        problems.append((["result"], "Record 'effective' or 'not_effective'.", "value_error.choice"))
    evidence = (evidence or "").strip()
    if not evidence:
        problems.append((["evidence"], "Give the evidence the result is based on.", "value_error.missing"))
    elif len(evidence) > limits.LONG_TEXT:
        problems.append((["evidence"], f"At most {limits.LONG_TEXT} characters.", "value_error.any_str.max_length"))
    if result == ReviewResult.NOT_EFFECTIVE:
        if not new_action:
            problems.append(
                (
                    ["new_action"],
                    "A CAPA found not effective needs a new action: describe it, its owner and due date.",
                    "value_error.missing",
                )
            )
        else:
            problems += [
                (["new_action", *loc], msg, kind)
                for loc, msg, kind in _action_problems(
                    new_action.get("description"), new_action.get("owner"), new_action.get("due_date")
                )
            ]
    if problems:
        raise InvalidInputs(problems)
    _check_can_record(actor, review, selectors.capa_detail_queryset(actor))
    if not password:
        raise SignatureRequired("Recording an effectiveness result applies your electronic signature: give your password.")
    authenticate_signer(user=actor, password=password)
    with transaction.atomic():
        review = _lock_review(review)
        capa = _lock(review.capa)
        _check_can_record(actor, review, Capa.objects.filter(pk=capa.pk))
        review.result, review.evidence, review.reviewed_at, review.reviewer = result, evidence, timezone.now(), actor
        review.row_version += 1
        review.save()
        review.capa = capa
        signature = signatures.create_signature(
            signer=actor,
            record=review,
            signature_type=SignatureType.EFFECTIVENESS,
            intent=(intent or "").strip()
            or f"Effectiveness review {review.sequence} of {capa.number}: I confirm the CAPA was found "
            + ("effective." if result == ReviewResult.EFFECTIVE else "not effective."),
            reason=comment,
            resource_type="capa_effectiveness_review",
        )
        review.signature_id = signature.pk
        review.save(update_fields=["signature_id"])
        _touch(capa)
        _audit(
            Action.RECORD_EFFECTIVENESS,
            review,
            actor,
            f"Effectiveness of {capa.number} recorded as {result} (review {review.sequence})",
            old={"result": ReviewResult.PENDING.value},
            new={"result": result, "evidence": evidence, "signature_id": signature.pk},
            reason=comment,
        )
        emit(
            CapaEvent.EFFECTIVENESS_RECORDED,
            capa,
            actor=actor,
            data={**_data(capa), "review_id": review.pk, "result": result, "signature_id": signature.pk},
        )
        if result == ReviewResult.NOT_EFFECTIVE:
            _create_action(
                capa,
                actor=actor,
                description=new_action["description"],
                owner=new_action["owner"],
                due_date=new_action["due_date"],
                reason=f"Effectiveness review {review.sequence} found {capa.number} not effective",
            )
            records_services.system_transition_record(
                actor=actor,
                record=capa,
                name=defaults.REOPEN_NOT_EFFECTIVE,
                comment=f"Effectiveness review {review.sequence} found it not effective: {evidence}"[:2000],
            )
    return review


def _check_can_record(actor, review: EffectivenessReview, capas) -> None:
    capa = capas.filter(pk=review.capa_id).select_related("workflow_instance__current_state").first()
    if capa is None:
        raise NotFound("CAPA not found.")
    if review.result != ReviewResult.PENDING:
        raise ReviewRecorded()
    if review.reviewer_id and review.reviewer_id != actor.pk:
        raise NotActionOwner(
            f"This review is assigned to {review.reviewer.display_name}: they record its result.",
            error_code="NOT_THE_REVIEWER",
        )
    if capa.status != "pending_effectiveness":
        raise NotAwaitingEffectiveness(
            f"{capa.number} is {selectors.state_label(capa.status).lower()}: results are recorded once its actions are "
            "done and it was submitted for the effectiveness check.",
            extra={"current_state": capa.status},
        )


def flag_due_reviews(*, today: datetime.date | None = None) -> int:
    """Flags each pending review whose planned date has come (once per review: `capa.effectiveness_due`
    is emitted and audited the first time only). The daily beat job; returns how many were flagged."""
    flagged = 0
    for review_id in selectors.effectiveness_due(today).filter(due_flagged_at__isnull=True).values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            review = EffectivenessReview.objects.select_for_update().select_related("capa").get(pk=review_id)
            if review.due_flagged_at is not None or review.result != ReviewResult.PENDING:
                continue
            review.due_flagged_at = timezone.now()
            review.save(update_fields=["due_flagged_at"])
            capa = review.capa
            _audit(
                Action.FLAG_REVIEW_DUE,
                review,
                None,
                f"Effectiveness review {review.sequence} of {capa.number} is due (planned {review.planned_date.isoformat()})",
                new={"due_flagged_at": review.due_flagged_at.isoformat()},
            )
            emit(
                CapaEvent.EFFECTIVENESS_DUE,
                capa,
                data={
                    **_data(capa),
                    "review_id": review.pk,
                    "planned_date": review.planned_date.isoformat(),
                    "reviewer_id": review.reviewer_id,
                },
            )
            flagged += 1
    return flagged


# --- attachments ---------------------------------------------------------------------------------------------------


def add_attachments(*, actor: User, capa: Capa, uploads: list, description: str = "") -> list[Attachment]:
    """Files added to a CAPA that is not closed or cancelled (the document upload checks: 413/415)."""
    require(actor, EDIT)
    if not uploads:
        raise InvalidInputs([(["files"], "Attach at least one file.", "value_error.missing")])
    checked = _checked_uploads(uploads, field="files")
    with files.removing_on_failure() as written, transaction.atomic():
        capa = _lock(capa)
        _check_state(capa, None, "given new attachments")
        rows = _store_attachments(capa, checked, actor=actor, written=written, description=description.strip())
        _touch(capa)
        _audit(
            Action.ATTACH,
            capa,
            actor,
            f"{len(rows)} file(s) attached to {capa.number}: {', '.join(a.name for a in rows)}",
            new={
                "attachments": [
                    {"name": a.name, "size": a.size, "sha256": a.sha256, "storage_name": a.storage_name} for a in rows
                ]
            },
        )
        emit(CapaEvent.ATTACHMENT_ADDED, capa, actor=actor, data={**_data(capa), "attachments": [a.pk for a in rows]})
    return rows


def record_attachment_download(*, actor: User, capa: Capa, attachment: Attachment) -> None:
    """Audits the download of a CAPA's file (the caller found the CAPA visible to the actor)."""
    if not (has(actor, VIEW) or has(actor, WORK)):
        require(actor, VIEW)
    with transaction.atomic():
        _audit(
            Action.DOWNLOAD,
            capa,
            actor,
            f"{actor.display_name} downloaded {attachment.name} of {capa.number}",
            new={"attachment": attachment.pk, "name": attachment.name, "sha256": attachment.sha256},
        )


def _checked_uploads(uploads: list, *, field: str) -> list[tuple]:
    return files.checked_uploads(uploads, field=field, max_files=limits.MAX_ATTACHMENTS_PER_REQUEST)


def _store_attachments(capa: Capa, checked: list, *, actor, written: list, action=None, description: str = "") -> list:
    rows = []
    for upload, name, mime, sha256 in checked:
        storage_name = files.store(f"capa/{capa.pk}/attachments/{name}", upload)
        written.append(storage_name)
        rows.append(
            Attachment.objects.create(
                capa=capa,
                action=action,
                name=name,
                description=description,
                size=upload.size,
                mime_type=mime,
                sha256=sha256,
                storage_name=storage_name,
                uploaded_by=actor,
            )
        )
    return rows


# --- checks ----------------------------------------------------------------------------------------------------------


def _field_problems(values: dict, *, today: datetime.date, past_due_allowed: bool) -> list[tuple]:
    problems = []
    for name in ("title", "description"):
        if name in values and not values[name]:
            problems.append(([name], "This field cannot be empty.", "value_error.missing"))
    if len(values.get("title") or "") > limits.TITLE:
        problems.append((["title"], f"At most {limits.TITLE} characters.", "value_error.any_str.max_length"))
    for name in ("description", "root_cause"):
        if len(values.get(name) or "") > limits.LONG_TEXT:
            problems.append(([name], f"At most {limits.LONG_TEXT} characters.", "value_error.any_str.max_length"))
    for name, choices in (("capa_type", CapaType), ("source", CapaSource), ("priority", Priority)):
        if name in values and values[name] not in choices.values:
            problems.append(([name], f"One of {', '.join(choices.values)}.", "value_error.choice"))
    if "owner" in values:
        owner = values["owner"]
        if owner is None:
            problems.append((["owner"], "A CAPA needs an owner.", "value_error.missing"))
        elif not (owner.is_active and has(owner, WORK)):
            problems.append((["owner"], f"{owner.display_name} cannot own CAPAs (an active user with capa.work).", "value_error"))
    if "due_date" in values:
        due = values["due_date"]
        if not isinstance(due, datetime.date):
            problems.append((["due_date"], "A due date is required.", "value_error.missing"))
        elif due < today and not past_due_allowed:
            problems.append((["due_date"], "The due date cannot be in the past.", "value_error"))
    return problems


def _action_problems(description, owner, due_date) -> list[tuple]:
    problems = []
    if not (description or "").strip():
        problems.append((["description"], "Describe the action.", "value_error.missing"))
    elif len(description) > limits.LONG_TEXT:
        problems.append((["description"], f"At most {limits.LONG_TEXT} characters.", "value_error.any_str.max_length"))
    if owner is None:
        problems.append((["owner"], "An action needs an owner.", "value_error.missing"))
    elif not (owner.is_active and has(owner, WORK)):
        problems.append(
            (["owner"], f"{owner.display_name} cannot own CAPA actions (an active user with capa.work).", "value_error")
        )
    if due_date is not None or owner is None or description is None:
        if not isinstance(due_date, datetime.date):
            problems.append((["due_date"], "A due date is required.", "value_error.missing"))
        elif due_date < timezone.localdate():
            problems.append((["due_date"], "The due date cannot be in the past.", "value_error"))
    return problems


def _review_problems(values: dict, *, partial: bool = False) -> list[tuple]:
    problems = []
    if "planned_date" in values or not partial:
        if not isinstance(values.get("planned_date"), datetime.date):
            problems.append((["planned_date"], "A planned date is required.", "value_error.missing"))
    if "method" in values or not partial:
        method = (values.get("method") or "").strip()
        if not method:
            problems.append((["method"], "Say how effectiveness will be judged (method and criteria).", "value_error.missing"))
        elif len(method) > limits.LONG_TEXT:
            problems.append((["method"], f"At most {limits.LONG_TEXT} characters.", "value_error.any_str.max_length"))
    reviewer = values.get("reviewer")
    if reviewer is not None and not (reviewer.is_active and has(reviewer, EFFECTIVENESS) and has(reviewer, VIEW)):
        problems.append(
            (["reviewer"], f"{reviewer.display_name} cannot record effectiveness results (capa.effectiveness).", "value_error")
        )
    return problems


def _visible_deviations(actor, ids, *, field: str = "deviation_ids") -> tuple[list, list]:
    """The deviations named by `ids` that `actor` may view, and a problem per one they may not."""
    from deviations.selectors import visible_deviations

    ids = list(ids or [])
    if len(ids) > limits.MAX_LINKS_PER_REQUEST:
        return [], [([field], f"At most {limits.MAX_LINKS_PER_REQUEST} deviations at once.", "value_error")]
    found = visible_deviations(actor).in_bulk([i for i in ids if isinstance(i, int)]) if ids else {}
    problems, out, seen = [], [], set()
    for index, pk in enumerate(ids):
        deviation = found.get(pk)
        loc = [field, index] if field.endswith("_ids") else [field]
        if deviation is None:
            problems.append((loc, f"No deviation {pk} that you may view.", "value_error.reference"))
        elif pk not in seen:
            seen.add(pk)
            out.append(deviation)
    return out, problems


def _visible_versions(actor, ids) -> tuple[list, list]:
    """The document versions named by `ids` that `actor` may read, and a problem per other one."""
    from documents.selectors import documents_visible_to, sees_all_versions

    ids = list(ids or [])
    if not ids:
        return [], []
    if len(ids) > limits.MAX_LINKS_PER_REQUEST:
        return [], [(["document_version_ids"], f"At most {limits.MAX_LINKS_PER_REQUEST} versions at once.", "value_error")]
    qs = DocumentVersion.objects.select_related("document")
    if actor is not None:
        if not has(actor, "documents.view"):
            qs = qs.none()
        elif sees_all_versions(actor):
            qs = qs.filter(document__in=documents_visible_to(actor).values("pk"))
        else:
            qs = qs.filter(pk__in=documents_visible_to(actor).values("effective_version_id"))
    found = qs.in_bulk([i for i in ids if isinstance(i, int)])
    problems, out, seen = [], [], set()
    for index, pk in enumerate(ids):
        version = found.get(pk)
        if version is None:
            problems.append(
                (["document_version_ids", index], f"No document version {pk} that you may read.", "value_error.reference")
            )
        elif pk not in seen:
            seen.add(pk)
            out.append(version)
    return out, problems


def _visible(actor, capa: Capa) -> Capa:
    try:
        return selectors.capa_detail_queryset(actor).get(pk=capa.pk)
    except Capa.DoesNotExist:
        raise NotFound("CAPA not found.")


def _lock(capa: Capa) -> Capa:
    from .records import LOCK_RELATED

    try:
        return Capa.objects.select_for_update(of=("self",)).select_related(*LOCK_RELATED).get(pk=capa.pk)
    except Capa.DoesNotExist:
        raise NotFound("CAPA not found.")


def _lock_action(action: CapaAction) -> CapaAction:
    try:
        return CapaAction.objects.select_for_update(of=("self",)).select_related("owner").get(pk=action.pk)
    except CapaAction.DoesNotExist:
        raise NotFound("Action not found.")


def _lock_review(review: EffectivenessReview) -> EffectivenessReview:
    try:
        return EffectivenessReview.objects.select_for_update(of=("self",)).select_related("reviewer").get(pk=review.pk)
    except EffectivenessReview.DoesNotExist:
        raise NotFound("Effectiveness review not found.")


def _check_state(capa: Capa, allowed_kinds, what: str) -> None:
    """409 NOT_EDITABLE unless the CAPA's state allows the change (`allowed_kinds` None: any state but
    closed and cancelled)."""
    state = capa.workflow_instance.current_state
    if (allowed_kinds is None and state.kind not in READ_ONLY_KINDS) or (
        allowed_kinds is not None and state.kind in allowed_kinds
    ):
        return
    if state.kind in READ_ONLY_KINDS:
        hint = f"{state.label.lower()} CAPAs are read-only"
    elif state.kind == StateKind.DRAFT:
        hint = "its plan is approved first (approve the draft)"
    else:
        hint = "return it to in progress to change it"
    raise NotEditable(
        f"{capa.number} is {state.label.lower()} and cannot be {what}: {hint}.", extra={"current_state": state.name}
    )


def _touch(capa: Capa) -> None:
    capa.row_version += 1
    capa.save(update_fields=["row_version", "updated_at"])


def _data(capa: Capa) -> dict:
    return {"number": capa.number, "title": capa.title, "owner_id": capa.owner_id}


def _audit(action: Action, obj, actor, summary: str, *, old=None, new=None, reason: str = "") -> None:
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
