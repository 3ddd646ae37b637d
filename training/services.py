"""Every write about training: one function per use case, one transaction, the permission check
(`require`) and the audit record inside it. The API, the pages, the admin, the Celery beat jobs and
the demo data all call these.

These serve document control and the other controlled records:
- `assign_read_and_understood(version=..., superseded_version=...)` when a document version becomes
  effective (training.handlers calls it for each `document.effective` event): the audience gets a
  read-and-understood assignment for that exact version, open ones for earlier versions are
  cancelled. Idempotent (safe to call again for the same version). `cancel_read_and_understood(
  document=...)` when a document is made obsolete (`document.obsolete`).
- `check_qualified_to_approve(actor=..., record=..., instance=..., state=...)`, registered with the
  workflow kit as an approval check: before someone approves or signs a controlled record, 403
  TRAINING_REQUIRED naming the programs they still lack.

Each change emits its event (training.events.TrainingEvent) beside its audit record.

Completing a program that needs an e-signature re-authenticates the trainee OUTSIDE the transaction
(a wrong password is counted toward lockout and stays recorded), then writes the completion, its
signature and the audit records in one transaction.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from accounts.models import Group, Role, User
from accounts.services import authenticate_signer
from audit import changes as audit_changes
from audit import services as audit
from audit import signatures
from audit import subjects as audit_subjects
from audit.models import SignatureType
from documents.models import Document, DocumentType, DocumentVersion
from qms.errors import Conflict, InvalidInput, InvalidInputs, NotFound, PermissionDenied, check_row_version
from qms.events import emit
from qms.permissions import has, require
from workflows.models import WorkflowState, WorkflowTemplate
from workflows.records import record_type_of_model

from . import selectors
from .audit_actions import TrainingAction
from .error_codes import ErrorCode
from .events import TrainingEvent
from .models import (
    OPEN_STATUSES,
    SIGNED_BY_DEFAULT,
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    Category,
    Completion,
    CompletionMethod,
    CompletionRevocation,
    Level,
    ProgramStatus,
    QualificationRequirement,
    Registration,
    RegistrationStatus,
    TrainingAudience,
    TrainingProgram,
)

PROGRAM_FIELDS = [
    "title",
    "description",
    "category",
    "level",
    "status",
    "duration_minutes",
    "credits",
    "instructor",
    "max_participants",
    "retraining_interval_days",
    "default_due_days",
    "requires_signature",
]
_PROGRAM_AUDIT = [f for f in PROGRAM_FIELDS if f != "instructor"] + ["instructor.username", "linked_documents"]


# --- errors ------------------------------------------------------------------------------------------


class TrainingRequired(PermissionDenied):
    error_code = ErrorCode.TRAINING_REQUIRED


class SignatureRequired(InvalidInput):
    def __init__(self, detail: str = "Completing this training applies your electronic signature: give your password."):
        super().__init__(detail, field="password", error_type="value_error.missing", error_code=ErrorCode.SIGNATURE_REQUIRED)


class NotAssignable(Conflict):
    error_code = ErrorCode.PROGRAM_NOT_ASSIGNABLE


class AssignmentClosed(Conflict):
    error_code = ErrorCode.ASSIGNMENT_CLOSED


class AlreadyCompleted(Conflict):
    error_code = ErrorCode.ALREADY_COMPLETED
    default_detail = "You have already completed this training."


class AlreadyRegistered(Conflict):
    error_code = ErrorCode.ALREADY_REGISTERED


class SessionFull(Conflict):
    error_code = ErrorCode.SESSION_FULL


# --- helpers -----------------------------------------------------------------------------------------


def _audit(
    action: TrainingAction,
    obj,
    *,
    actor,
    summary: str,
    old=None,
    new=None,
    reason: str = "",
    event: TrainingEvent | None = None,
    data: dict | None = None,
) -> None:
    """The audit record of `obj` (its subject from the rules in training.subjects) and, when the
    change is an `event`, the event beside it."""
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
    if event is not None:
        _emit(event, obj, actor=actor, data=data)


def _emit(event: TrainingEvent, obj, *, actor, data: dict | None = None) -> None:
    """The event about `obj`: what a subscriber needs to know about it (see the *_data functions), plus `data`."""
    emit(event, obj, data={**_EVENT_DATA[type(obj)](obj), **(data or {})}, actor=actor)


def _audit_update(
    obj,
    *,
    before: dict,
    fields: list[str],
    actor,
    summary: str,
    action: TrainingAction = TrainingAction.UPDATE,
    reason: str = "",
    reason_for: str = "",
    event: TrainingEvent | None = None,
) -> list[str]:
    """Audits what changed in `obj` since `before` (audit.services.record_change, the one way to
    audit an update) with its event, after saving it with the next row_version. Returns the changed
    fields (named after `summary` in the trail); nothing is saved or recorded when nothing changed.
    With `reason_for` (e.g. "changing a training audience"), a change needs a reason
    (audit.services.require_reason: 422 at body.reason when missing or too short)."""
    changed = sorted(audit_changes.diff(before, audit_changes.snapshot(obj, fields))[1])
    if not changed:
        return []
    if reason_for:
        reason = audit.require_reason(reason, what=reason_for)
    if hasattr(obj, "row_version"):
        obj.row_version += 1
    obj.save()
    summary = f"{summary} ({', '.join(changed)})"
    audit.record_change(obj=obj, before=before, fields=fields, actor=actor, summary=summary, action=action, reason=reason)
    if event is not None:
        _emit(event, obj, actor=actor, data={"fields": changed})
    return changed


def _audit_status(
    action: TrainingAction,
    obj,
    *,
    old_status: str,
    actor,
    summary: str,
    reason: str = "",
    event: TrainingEvent | None = None,
) -> None:
    """Audits a status change of `obj` (already saved) as an update of its `status`."""
    audit.record_change(
        obj=obj, before={"status": old_status}, fields=["status"], actor=actor, summary=summary, action=action, reason=reason
    )
    if event is not None:
        _emit(event, obj, actor=actor)


def _delete(obj, *, actor, summary: str, old: dict, reason: str = "", event: TrainingEvent | None = None) -> None:
    """Deletes a configuration row and records what it was (under the subject it had)."""
    pk, resource_type = obj.pk, obj.audit_resource_type
    subject = audit_subjects.resolve(resource_type, pk, record=obj)
    obj.delete()
    audit.record(
        action=TrainingAction.DELETE,
        resource_type=resource_type,
        resource_id=pk,
        actor=actor,
        summary=summary,
        old_values=old,
        reason=reason,
        subject=subject,
    )
    if event is not None:
        emit(event, (resource_type, pk), data=old, actor=actor)


def _program_data(program: TrainingProgram) -> dict:
    return {"title": program.title, "category": program.category, "status": program.status}


def _assignment_data(assignment: Assignment) -> dict:
    return {
        "program_id": assignment.program_id,
        "user_id": assignment.user_id,
        "document_version_id": assignment.document_version_id,
        "kind": assignment.kind,
        "status": assignment.status,
        "due_date": assignment.due_date,
    }


def _completion_data(completion: Completion) -> dict:
    return {
        "assignment_id": completion.assignment_id,
        "program_id": completion.program_id,
        "user_id": completion.user_id,
        "document_version_id": completion.document_version_id,
        "method": completion.method,
        "expires_at": completion.expires_at,
    }


def _registration_data(registration: Registration) -> dict:
    return {"program_id": registration.program_id, "user_id": registration.user_id, "status": registration.status}


_EVENT_DATA = {
    TrainingProgram: _program_data,
    Assignment: _assignment_data,
    Completion: _completion_data,
    Registration: _registration_data,
}


def _name(actor) -> str:
    return actor.display_name if actor is not None else "The system"


def _clean(obj, exclude: list[str] | None = None) -> None:
    """Model validation as a 422 naming every field."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise InvalidInputs([([name], msg, "value_error") for name, msgs in exc.message_dict.items() for msg in msgs])


def _today(today: datetime.date | None = None) -> datetime.date:
    return today or timezone.now().date()


def _lock(model, pk, what: str):
    try:
        return model.objects.select_for_update().get(pk=pk)
    except model.DoesNotExist:
        raise NotFound(f"{what} not found.")


def resolve_ids(
    user_ids: list[int] | None = None, group_ids: list[int] | None = None, program_ids: list[int] | None = None
) -> tuple[list[User], list[Group], list[TrainingProgram]]:
    """The users, groups and programs an assignment or registration request names by id; every
    unknown (or deactivated) id is one 422 problem located at ["user_ids" | "group_ids" |
    "training_ids", index]."""
    problems = []

    def resolve(model, ids, name, label, **filters):
        ids = list(ids or [])
        found = {obj.pk: obj for obj in model.objects.filter(pk__in=ids, **filters)}
        for index, pk in enumerate(ids):
            if pk not in found:
                problems.append(([name, index], f"No {label} with id {pk}.", "value_error.not_found"))
        return [found[pk] for pk in dict.fromkeys(ids) if pk in found]

    users = resolve(User, user_ids, "user_ids", "active user", is_active=True)
    groups = resolve(Group, group_ids, "group_ids", "group")
    programs = resolve(TrainingProgram, program_ids, "training_ids", "training program")
    if problems:
        raise InvalidInputs(problems)
    return users, groups, programs


# --- programs ----------------------------------------------------------------------------------------


def create_program(*, actor: User, data: dict) -> TrainingProgram:
    """A catalogue entry (draft or published). Without `requires_signature`, GMP and SOP programs
    need the trainee's e-signature and others do not."""
    require(actor, "training.manage")
    data = dict(data)
    linked = data.pop("linked_documents", None) or []
    if data.get("status") == ProgramStatus.RETIRED:
        raise InvalidInput("A new program is a draft or published.", field="status")
    if data.get("requires_signature") is None:
        data["requires_signature"] = data.get("category") in SIGNED_BY_DEFAULT
    _check_instructor(data.get("instructor"))
    with transaction.atomic():
        program = TrainingProgram(**{k: v for k, v in data.items() if k in PROGRAM_FIELDS}, created_by=actor)
        program.title = (program.title or "").strip()
        _clean(program, exclude=["created_by"])
        _insert_program(
            program,
            linked=linked,
            actor=actor,
            summary=f"Training program {program.title!r} created ({program.get_status_display().lower()})",
        )
    return program


def _insert_program(program: TrainingProgram, *, linked, actor, summary: str) -> TrainingProgram:
    program.save()
    program.linked_documents.set(linked)
    _audit(
        TrainingAction.CREATE,
        program,
        actor=actor,
        summary=summary,
        new=audit_changes.snapshot(program, _PROGRAM_AUDIT),
        event=TrainingEvent.PROGRAM_CREATED,
    )
    return program


def _check_instructor(instructor) -> None:
    if instructor is not None and not instructor.is_active:
        raise InvalidInput("The instructor must be an active user.", field="instructor_id")


def update_program(
    *, actor: User, program: TrainingProgram, data: dict, reason: str = "", row_version: int | None = None
) -> TrainingProgram:
    """Changes the fields given. A reason is required (audit trail); a retired program is history
    and does not change; a program in use cannot go back to draft."""
    require(actor, "training.manage")
    reason = audit.require_reason(reason, what="changing a training program")
    data = dict(data)
    linked = data.pop("linked_documents", None)
    if data.get("status") == ProgramStatus.RETIRED:
        raise InvalidInput("Retire a program with the retire action (it needs a reason).", field="status")
    if "instructor" in data:
        _check_instructor(data["instructor"])
    with transaction.atomic():
        program = _lock(TrainingProgram, program.pk, "Training program")
        check_row_version(program, row_version)
        if program.status == ProgramStatus.RETIRED:
            raise Conflict(f"{program.title!r} is retired and no longer changes.", error_code=ErrorCode.PROGRAM_RETIRED)
        if (
            data.get("status") == ProgramStatus.DRAFT
            and program.status == ProgramStatus.PUBLISHED
            and (program.assignments.exists() or program.registrations.exists())
        ):
            raise Conflict(
                f"{program.title!r} has assignments or registrations; it cannot go back to draft.",
                error_code=ErrorCode.PROGRAM_IN_USE,
            )
        before = audit_changes.snapshot(program, _PROGRAM_AUDIT)
        for name, value in data.items():
            if name in PROGRAM_FIELDS:
                setattr(program, name, value.strip() if name == "title" and isinstance(value, str) else value)
        _clean(program, exclude=["created_by"])
        if linked is not None:
            program.linked_documents.set(linked)
        _audit_update(
            program,
            before=before,
            fields=_PROGRAM_AUDIT,
            actor=actor,
            summary=f"Training program {program.title!r} changed",
            reason=reason,
            event=TrainingEvent.PROGRAM_UPDATED,
        )
    return program


def retire_program(*, actor: User, program: TrainingProgram, reason: str = "") -> TrainingProgram:
    """Takes a program out of use: it stays with its history; its open assignments are cancelled."""
    require(actor, "training.manage")
    reason = audit.require_reason(reason, what="retiring a training program")
    with transaction.atomic():
        program = _lock(TrainingProgram, program.pk, "Training program")
        if program.status == ProgramStatus.RETIRED:
            raise Conflict(f"{program.title!r} is already retired.", error_code=ErrorCode.ALREADY_RETIRED)
        for assignment in program.assignments.filter(status__in=OPEN_STATUSES).select_related("user", "program"):
            _cancel(assignment, actor=actor, reason=f"Training program retired: {reason}")
        old_status = program.status
        program.status = ProgramStatus.RETIRED
        program.row_version += 1
        program.save()
        _audit_status(
            TrainingAction.RETIRE,
            program,
            old_status=old_status,
            actor=actor,
            summary=f"Training program {program.title!r} retired",
            reason=reason,
            event=TrainingEvent.PROGRAM_RETIRED,
        )
    return program


def delete_or_retire_program(*, actor: User, program: TrainingProgram, reason: str = "") -> str:
    """Deletes a program nobody was ever assigned, registered for or required (returns "deleted");
    a program with history is retired instead (returns "retired"), never deleted."""
    require(actor, "training.manage")
    with transaction.atomic():
        program = _lock(TrainingProgram, program.pk, "Training program")
        if selectors.program_has_history(program):
            retire_program(actor=actor, program=program, reason=reason)
            return "retired"
        before = audit_changes.snapshot(program, _PROGRAM_AUDIT)
        program.linked_documents.clear()
        _delete(
            program,
            actor=actor,
            summary=f"Training program {before['title']!r} deleted (it had no assignments, registrations or requirements)",
            old=before,
            reason=reason,
            event=TrainingEvent.PROGRAM_DELETED,
        )
    return "deleted"


# --- assignments -----------------------------------------------------------------------------------------


@dataclass
class AssignOutcome:
    program: TrainingProgram
    created: list[Assignment] = field(default_factory=list)
    skipped: list[tuple[User, Assignment]] = field(default_factory=list)


def assign_training(
    *,
    actor: User,
    program: TrainingProgram,
    users: list[User] = (),
    groups: list[Group] = (),
    due_date: datetime.date | None = None,
    reason: str = "",
    today: datetime.date | None = None,
) -> AssignOutcome:
    """Assigns a published program to the named users and to the active members of `groups` as they
    are now (later members do not receive it). People who already hold an open assignment of the
    program are skipped and reported. The due date defaults to the program's default due days; a
    date already past makes the assignment overdue at once. A document's read-and-understood
    program is assigned on its effective version."""
    require(actor, "training.assign")
    if not users and not groups:
        raise InvalidInput("Name at least one user or group.", field="user_ids", error_type="value_error.missing")
    day = _today(today)
    with transaction.atomic():
        program = (
            TrainingProgram.objects.select_for_update(of=("self",))
            .select_related("read_and_understood_document")
            .get(pk=program.pk)
        )
        if program.status != ProgramStatus.PUBLISHED:
            raise NotAssignable(
                f"{program.title!r} is {program.get_status_display().lower()}; only published programs are assigned."
            )
        version = None
        if program.is_read_and_understood:
            document = Document.objects.select_related("effective_version").get(pk=program.read_and_understood_document_id)
            version = document.effective_version
            if version is None:
                raise Conflict(f"{document.number} has no effective version to read.", error_code=ErrorCode.NO_EFFECTIVE_VERSION)
        due = due_date or day + datetime.timedelta(days=program.default_due_days)
        found = selectors.recipients(program, list(users), list(groups))
        outcome = AssignOutcome(program=program, skipped=[(u, found.skipped[u.pk]) for u in found.skipped_users])
        for user in found.users:
            outcome.created.append(
                _create_assignment(
                    program=program,
                    user=user,
                    version=version,
                    kind=AssignmentKind.READ_AND_UNDERSTOOD if version else AssignmentKind.MANUAL,
                    due=due,
                    day=day,
                    actor=actor,
                    reason=reason,
                    via_group=found.via_group.get(user.pk),
                )
            )
    return outcome


def _create_assignment(
    *, program, user, version, kind, due, day, actor, reason, via_group=None, retraining_of=None
) -> Assignment:
    assignment = Assignment.objects.create(
        program=program,
        user=user,
        document_version=version,
        kind=kind,
        status=AssignmentStatus.OVERDUE if due < day else AssignmentStatus.ASSIGNED,
        due_date=due,
        assigned_at=timezone.now(),
        assigned_by=actor,
        via_group=via_group,
        reason=reason or "",
        retraining_of=retraining_of,
    )
    what = f"{program.title!r}" + (f" ({version.document.number} version {version.version})" if version else "")
    _audit(
        TrainingAction.ASSIGN,
        assignment,
        actor=actor,
        summary=f"{_name(actor)} assigned {what} to {user.display_name}, due {due.isoformat()}"
        + (f" (member of {via_group.name})" if via_group else ""),
        new={
            "program": program.title,
            "program_id": program.pk,
            "user": user.username,
            "kind": kind,
            "status": assignment.status,
            "due_date": due,
            "document_version": f"{version.document.number} {version.version}" if version else None,
            "via_group": via_group.name if via_group else None,
            "retraining_of": retraining_of.pk if retraining_of else None,
        },
        reason=reason or "",
        event=TrainingEvent.ASSIGNED,
    )
    return assignment


def bulk_assign(
    *,
    actor: User,
    programs: list[TrainingProgram],
    users: list[User] = (),
    groups: list[Group] = (),
    due_date: datetime.date | None = None,
    reason: str = "",
) -> list[AssignOutcome]:
    """Every program to every named user and group member, in one transaction: one program that
    cannot be assigned leaves nothing assigned."""
    require(actor, "training.assign")
    if not programs:
        raise InvalidInput("Name at least one training program.", field="training_ids", error_type="value_error.missing")
    with transaction.atomic():
        return [
            assign_training(actor=actor, program=program, users=users, groups=groups, due_date=due_date, reason=reason)
            for program in programs
        ]


def cancel_assignment(*, actor: User, assignment: Assignment, reason: str = "") -> Assignment:
    require(actor, "training.assign")
    reason = audit.require_reason(reason, what="cancelling a training assignment")
    with transaction.atomic():
        assignment = _lock_assignment(assignment.pk)
        if not assignment.is_open:
            raise AssignmentClosed(f"The assignment is {assignment.get_status_display().lower()}; only open ones are cancelled.")
        _cancel(assignment, actor=actor, reason=reason)
    return assignment


def _lock_assignment(pk) -> Assignment:
    try:
        return Assignment.objects.select_for_update(of=("self",)).select_related("program", "user", "document_version").get(pk=pk)
    except Assignment.DoesNotExist:
        raise NotFound("Assignment not found.")


def _cancel(assignment: Assignment, *, actor, reason: str) -> None:
    old_status = assignment.status
    assignment.status = AssignmentStatus.CANCELLED
    assignment.cancelled_at = timezone.now()
    assignment.cancel_reason = reason
    assignment.row_version += 1
    assignment.save()
    _audit_status(
        TrainingAction.CANCEL,
        assignment,
        old_status=old_status,
        actor=actor,
        summary=f"Assignment of {assignment.program.title!r} to {assignment.user.display_name} cancelled",
        reason=reason,
        event=TrainingEvent.CANCELLED,
    )


# --- completion ------------------------------------------------------------------------------------------


def default_intent(assignment: Assignment) -> str:
    version = assignment.document_version
    if version is not None:
        return f"I have read and understood {version.document.number} version {version.version} ({version.document.title})."
    return f"I have completed the training {assignment.program.title!r}."


def assignment_to_complete(*, actor: User, program: TrainingProgram, assignment_id: int | None = None) -> Assignment:
    """The caller's open assignment of `program` (or the one named): 404 when there is none of
    theirs, 409 when it is already completed or was cancelled."""
    mine = Assignment.objects.filter(user=actor, program=program).select_related(
        "program", "document_version", "document_version__document"
    )
    if assignment_id is not None:
        assignment = mine.filter(pk=assignment_id).first()
        if assignment is None:
            raise NotFound("You have no such assignment of this training.")
    else:
        assignment = mine.filter(status__in=OPEN_STATUSES).first() or mine.order_by("-assigned_at", "-pk").first()
        if assignment is None:
            raise NotFound("This training is not assigned to you.", error_code=ErrorCode.NOT_ASSIGNED)
    _check_open(assignment)
    return assignment


def _check_open(assignment: Assignment) -> None:
    if assignment.status == AssignmentStatus.COMPLETED:
        raise AlreadyCompleted()
    if assignment.status == AssignmentStatus.CANCELLED:
        raise AssignmentClosed("This assignment was cancelled.")


def complete_training(
    *,
    actor: User,
    program: TrainingProgram,
    assignment_id: int | None = None,
    password: str = "",
    meaning: str = "",
    intent: str = "",
    comment: str = "",
) -> Assignment:
    """Completes the caller's open assignment of `program`. When the program needs an e-signature,
    the password re-authenticates the trainee (401 SIGNATURE_AUTH_FAILED counts toward lockout) and
    the signature, meaning "training completion", covers the program and the document version."""
    require(actor, "training.complete")
    assignment = assignment_to_complete(actor=actor, program=program, assignment_id=assignment_id)
    if program.requires_signature:
        if meaning and meaning != SignatureType.TRAINING_COMPLETION:
            raise InvalidInput("A training completion is signed with the meaning 'training_completion'.", field="meaning")
        if not password:
            raise SignatureRequired()
        authenticate_signer(user=actor, password=password)
    with transaction.atomic():
        assignment = _lock_assignment(assignment.pk)
        _check_open(assignment)
        completion = _record_completion(assignment, recorded_by=actor, method=CompletionMethod.SELF, comment=comment)
        if assignment.program.requires_signature:
            signatures.create_signature(
                signer=actor,
                record=completion,
                signature_type=SignatureType.TRAINING_COMPLETION,
                intent=(intent or "").strip() or default_intent(assignment),
                reason=comment,
                resource_type="training_completion",
            )
    return assignment


def _record_completion(assignment: Assignment, *, recorded_by: User, method: str, comment: str = "") -> Completion:
    now = timezone.now()
    program = assignment.program
    version = assignment.document_version
    completion = _new_completion(assignment, completed_at=now, method=method, recorded_by=recorded_by, comment=comment)
    old_status = assignment.status
    assignment.status = AssignmentStatus.COMPLETED
    assignment.completed_at = now
    assignment.row_version += 1
    assignment.save()
    what = f"{program.title!r}" + (
        f" on {completion.document_number} version {completion.document_version_label}" if version else ""
    )
    by = "" if recorded_by.pk == assignment.user_id else f" (attendance recorded by {recorded_by.display_name})"
    _audit(
        TrainingAction.COMPLETE,
        completion,
        actor=recorded_by,
        summary=f"{assignment.user.display_name} completed {what}{by}",
        old={"assignment_status": old_status},
        new={
            "assignment_id": assignment.pk,
            "assignment_status": assignment.status,
            "program": program.title,
            "user": assignment.user.username,
            "method": method,
            "document_version": f"{completion.document_number} {completion.document_version_label}" if version else None,
            "expires_at": completion.expires_at,
        },
        reason=comment or "",
        event=TrainingEvent.COMPLETED,
    )
    return completion


def _new_completion(assignment: Assignment, *, completed_at, method: str, recorded_by: User, comment: str) -> Completion:
    """The completion row of `assignment`, with the program title and document version copied as they are now."""
    program, version = assignment.program, assignment.document_version
    interval = program.retraining_interval_days
    return Completion.objects.create(
        assignment=assignment,
        program=program,
        user=assignment.user,
        document_version=version,
        completed_at=completed_at,
        expires_at=completed_at + datetime.timedelta(days=interval) if interval else None,
        method=method,
        recorded_by=recorded_by,
        program_title=program.title,
        document_number=version.document.number if version else "",
        document_version_label=version.version if version else "",
        document_sha256=version.sha256 if version else "",
        comment=comment or "",
    )


@dataclass
class HistoricalCompletion:
    completion: Completion
    created: bool  # False: the same completion was recorded before (nothing changed)


def record_historical_completion(
    *,
    actor: User,
    program: TrainingProgram,
    user: User,
    completed_on: datetime.date,
    document_version: DocumentVersion | None = None,
    trainer: str = "",
    source: str = "",
) -> HistoricalCompletion:
    """A completion taken over from a legacy training record (manage.py import_training_records):
    history only. No signature is made or implied (method "imported"), whatever the program asks of
    completions here; the record says who loaded it, the trainer as the legacy system named them and
    where it came from. A completed assignment of kind "historical" holds it, so the person's
    training matrix and qualification see it, and retraining follows from the completion date.

    Needs training.manage. Idempotent: the same person, program, day (and document version) again
    changes nothing."""
    require(actor, "training.manage")
    if completed_on > timezone.localdate():
        raise InvalidInput("A historical completion cannot be in the future.", field="completed_on")
    if program.status == ProgramStatus.DRAFT:
        raise InvalidInput(
            f"{program.title!r} is a draft; publish it (or retire it) before loading its history.", field="program"
        )
    completed_at = datetime.datetime.combine(completed_on, datetime.time(12), tzinfo=datetime.UTC)
    with transaction.atomic():
        existing = Completion.objects.filter(
            user=user,
            program=program,
            completed_at=completed_at,
            method=CompletionMethod.IMPORTED,
            document_version=document_version,
        ).first()
        if existing is not None:
            return HistoricalCompletion(existing, created=False)
        note = "Historical training record imported from the legacy system (no electronic signature)"
        assignment = Assignment.objects.create(
            program=program,
            user=user,
            document_version=document_version,
            kind=AssignmentKind.HISTORICAL,
            status=AssignmentStatus.COMPLETED,
            due_date=completed_on,
            assigned_at=completed_at,
            assigned_by=actor,
            reason=note,
            completed_at=completed_at,
        )
        comment = "; ".join(part for part in (f"Trainer: {trainer}" if trainer else "", source, note) if part)
        completion = _new_completion(
            assignment, completed_at=completed_at, method=CompletionMethod.IMPORTED, recorded_by=actor, comment=comment
        )
        _audit(
            TrainingAction.IMPORT_COMPLETION,
            completion,
            actor=actor,
            summary=f"Historical completion of {program.title!r} by {user.display_name} on {completed_on.isoformat()} imported"
            + (f" ({completion.document_number} version {completion.document_version_label})" if document_version else ""),
            new={
                "assignment_id": assignment.pk,
                "program": program.title,
                "user": user.username,
                "completed_on": completed_on,
                "method": CompletionMethod.IMPORTED,
                "trainer": trainer or None,
                "document_version": f"{completion.document_number} {completion.document_version_label}"
                if document_version
                else None,
                "expires_at": completion.expires_at,
                "signature": None,
                "source": source or None,
            },
            reason=note,
            event=TrainingEvent.COMPLETED,
        )
    return HistoricalCompletion(completion, created=True)


def revoke_completion(*, actor: User, completion: Completion, reason: str = "") -> CompletionRevocation:
    """Withdraws a completion recorded by mistake (it stays, marked revoked). The person is no longer
    qualified by it; their assignment opens again when it still can (program in use, no other open
    assignment, for read-and-understood still the effective version)."""
    require(actor, "training.manage")
    reason = audit.require_reason(reason, what="revoking a training completion")
    with transaction.atomic():
        assignment = _lock_assignment(completion.assignment_id)
        completion = Completion.objects.select_related("user", "program").get(pk=completion.pk)
        if CompletionRevocation.objects.filter(completion=completion).exists():
            raise Conflict("This completion is already revoked.", error_code=ErrorCode.ALREADY_REVOKED)
        revocation = CompletionRevocation.objects.create(
            completion=completion, revoked_by=actor, revoked_at=timezone.now(), reason=reason
        )
        reopened = _reopen_after_revocation(assignment, completion)
        _audit(
            TrainingAction.REVOKE,
            completion,
            actor=actor,
            summary=f"Completion of {completion.program_title!r} by {completion.user.display_name} revoked"
            + ("; the assignment is open again" if reopened else ""),
            old={"revoked": False, "assignment_status": AssignmentStatus.COMPLETED if reopened else assignment.status},
            new={"revoked": True, "assignment_status": assignment.status},
            reason=reason,
            event=TrainingEvent.REVOKED,
            data={"assignment_status": assignment.status},
        )
    return revocation


def _reopen_after_revocation(assignment: Assignment, completion: Completion) -> bool:
    program = assignment.program
    if assignment.status != AssignmentStatus.COMPLETED or program.status != ProgramStatus.PUBLISHED:
        return False
    if assignment.completions.filter(completed_at__gt=completion.completed_at).exists():
        return False
    if Assignment.objects.filter(user_id=assignment.user_id, program=program, status__in=OPEN_STATUSES).exists():
        return False
    if program.is_read_and_understood:
        effective = Document.objects.filter(pk=program.read_and_understood_document_id).values_list(
            "effective_version_id", flat=True
        )
        if assignment.document_version_id != effective.first():
            return False
    overdue = assignment.due_date is not None and assignment.due_date < _today()
    assignment.status = AssignmentStatus.OVERDUE if overdue else AssignmentStatus.ASSIGNED
    assignment.completed_at = None
    assignment.row_version += 1
    assignment.save()
    return True


# --- registrations -----------------------------------------------------------------------------------------


_REGISTRATION_AUDIT = ["status", "attended_at", "completion_date", "feedback_score"]


def register_for_training(*, actor: User, program: TrainingProgram, user: User | None = None) -> Registration:
    """Takes a seat in a published program's session (for oneself, or for someone else with
    training.assign). 409 ALREADY_REGISTERED, or SESSION_FULL when max_participants are registered."""
    user = user or actor
    require(actor, "training.complete" if user.pk == actor.pk else "training.assign")
    if not user.is_active:
        raise InvalidInput("Only active users register.", field="user_id")
    with transaction.atomic():
        program = _lock(TrainingProgram, program.pk, "Training program")
        if program.status != ProgramStatus.PUBLISHED:
            raise NotAssignable(f"{program.title!r} is not open for registration ({program.get_status_display().lower()}).")
        if program.registrations.filter(user=user).exclude(status=RegistrationStatus.CANCELLED).exists():
            who = "You are" if user.pk == actor.pk else f"{user.display_name} is"
            raise AlreadyRegistered(f"{who} already registered for {program.title!r}.")
        if program.max_participants is not None and selectors.seats_taken(program) >= program.max_participants:
            raise SessionFull(f"{program.title!r} is full ({program.max_participants} participants).")
        registration = Registration.objects.create(program=program, user=user, registered_at=timezone.now())
        _audit(
            TrainingAction.REGISTER,
            registration,
            actor=actor,
            summary=f"{user.display_name} registered for {program.title!r}",
            new={"program": program.title, "user": user.username, "status": registration.status},
            event=TrainingEvent.REGISTERED,
        )
    return registration


@dataclass
class RegistrationOutcome:
    registration: Registration
    completion: Completion | None = None


def update_registration(
    *,
    actor: User,
    registration: Registration,
    status: str | None = None,
    feedback_score: int | None = None,
    complete_assignment: bool = True,
    reason: str = "",
) -> RegistrationOutcome:
    """Attendance and completion are marked by the program's instructor or a training manager (and
    complete the person's open assignment of the program unless it needs the trainee's own
    e-signature); the registrant may cancel and, once they attended, give feedback (1–5)."""
    require(actor, "training.view")
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(of=("self",)).select_related("program", "user").get(pk=registration.pk)
        )
        program = registration.program
        runs_it = program.instructor_id == actor.pk or has(actor, "training.manage")
        is_registrant = registration.user_id == actor.pk
        if not (runs_it or is_registrant):
            raise PermissionDenied("Only the participant, the instructor or a training manager changes a registration.")
        before = audit_changes.snapshot(registration, _REGISTRATION_AUDIT)
        completion = None
        if status is not None and status != registration.status:
            if registration.status == RegistrationStatus.CANCELLED:
                raise Conflict(
                    "This registration was cancelled; register again instead.", error_code=ErrorCode.REGISTRATION_CANCELLED
                )
            if status != RegistrationStatus.CANCELLED and not runs_it:
                raise PermissionDenied("Attendance and completion are recorded by the instructor or a training manager.")
            _set_registration_status(registration, status)
            if status in (RegistrationStatus.ATTENDED, RegistrationStatus.COMPLETED) and complete_assignment:
                completion = _complete_by_attendance(registration, actor)
        if feedback_score is not None:
            if not is_registrant:
                raise PermissionDenied("Only the participant gives feedback.")
            if registration.status not in (RegistrationStatus.ATTENDED, RegistrationStatus.COMPLETED):
                raise Conflict("Feedback is given after attending.", error_code=ErrorCode.NOT_ATTENDED)
            if not 1 <= feedback_score <= 5:
                raise InvalidInput("feedback_score is from 1 to 5.", field="feedback_score")
            registration.feedback_score = feedback_score
        cancelled = registration.status == RegistrationStatus.CANCELLED and before["status"] != RegistrationStatus.CANCELLED
        _audit_update(
            registration,
            before=before,
            fields=_REGISTRATION_AUDIT,
            actor=actor,
            summary=f"Registration of {registration.user.display_name} for {program.title!r} changed",
            action=TrainingAction.CANCEL if cancelled else TrainingAction.UPDATE,
            reason=reason,
            event=TrainingEvent.REGISTRATION_CANCELLED if cancelled else TrainingEvent.REGISTRATION_UPDATED,
        )
    return RegistrationOutcome(registration=registration, completion=completion)


def cancel_registration(*, actor: User, registration: Registration, reason: str = "") -> Registration:
    if registration.status == RegistrationStatus.CANCELLED:
        raise Conflict("This registration is already cancelled.", error_code=ErrorCode.REGISTRATION_CANCELLED)
    return update_registration(
        actor=actor, registration=registration, status=RegistrationStatus.CANCELLED, reason=reason
    ).registration


def _set_registration_status(registration: Registration, status: str) -> None:
    now = timezone.now()
    registration.status = status
    if status in (RegistrationStatus.ATTENDED, RegistrationStatus.COMPLETED) and registration.attended_at is None:
        registration.attended_at = now
    if status == RegistrationStatus.COMPLETED and registration.completion_date is None:
        registration.completion_date = now
    if status == RegistrationStatus.CANCELLED:
        registration.cancelled_at = now


def _complete_by_attendance(registration: Registration, actor: User) -> Completion | None:
    if registration.program.requires_signature:
        return None  # the trainee completes it with their own e-signature
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .filter(user_id=registration.user_id, program_id=registration.program_id, status__in=OPEN_STATUSES)
        .select_related("program", "user", "document_version__document")
        .first()
    )
    if assignment is None:
        return None
    return _record_completion(
        assignment, recorded_by=actor, method=CompletionMethod.ATTENDANCE, comment=f"Attendance recorded ({registration.status})"
    )


# --- read-and-understood on document revisions ----------------------------------------------------------------


@dataclass
class ReadAndUnderstoodOutcome:
    version: DocumentVersion
    program: TrainingProgram | None = None
    created: list[Assignment] = field(default_factory=list)
    cancelled: list[Assignment] = field(default_factory=list)
    already_assigned: int = 0
    skipped_reason: str = ""


def assign_read_and_understood(
    *, version: DocumentVersion, superseded_version: DocumentVersion | None = None, actor: User | None = None
) -> ReadAndUnderstoodOutcome:
    """Called when `version` became effective: every active member of the document's training
    audience (its own, or its type's) gets a read-and-understood assignment for that version, due in
    the audience's due days; open assignments for the superseded (or any earlier) version are
    cancelled with a reason. Idempotent: people who already hold an assignment for this version are
    left alone, so calling it again (a redelivered event) changes nothing. A version that is no
    longer the effective one (a late call) changes nothing either."""
    if actor is not None:
        require(actor, "training.assign")
    with transaction.atomic():
        # The document row lock serialises two calls for the same document (e.g. a redelivery).
        document = (
            Document.objects.select_for_update(of=("self",)).select_related("effective_version").get(pk=version.document_id)
        )
        outcome = ReadAndUnderstoodOutcome(version=version)
        if document.effective_version_id != version.pk:
            outcome.skipped_reason = f"{document.number} version {version.version} is not the effective version."
            return outcome
        audience = selectors.audience_of(document)
        program = TrainingProgram.objects.filter(read_and_understood_document=document).first()
        if program is None and audience is None:
            outcome.skipped_reason = f"{document.number} has no training audience."
            return outcome
        program = program or _create_read_and_understood_program(document, audience, actor)
        outcome.program = program
        superseded = f"{document.number} version {version.version} became effective"
        if superseded_version is not None:
            superseded = f"{document.number} version {superseded_version.version} was superseded by version {version.version}"
        for assignment in (
            Assignment.objects.filter(program=program, status__in=OPEN_STATUSES)
            .exclude(document_version=version)
            .select_related("program", "user")
        ):
            _cancel(assignment, actor=actor, reason=superseded)
            outcome.cancelled.append(assignment)
        if audience is None:
            return outcome
        members = list(selectors.audience_members(audience))
        have = set(
            Assignment.objects.filter(program=program, document_version=version, user__in=members).values_list(
                "user_id", flat=True
            )
        )
        outcome.already_assigned = len(have)
        day = _today()
        due = day + datetime.timedelta(days=audience.due_days)
        version = DocumentVersion.objects.select_related("document").get(pk=version.pk)
        for user in members:
            if user.pk in have:
                continue
            outcome.created.append(
                _create_assignment(
                    program=program,
                    user=user,
                    version=version,
                    kind=AssignmentKind.READ_AND_UNDERSTOOD,
                    due=due,
                    day=day,
                    actor=actor,
                    reason=f"{document.number} version {version.version} became effective",
                )
            )
    return outcome


def cancel_read_and_understood(*, document: Document, actor: User | None = None) -> list[Assignment]:
    """Called when a document was made obsolete: with no version in force there is nothing to read,
    so the open read-and-understood assignments of the document are cancelled with a reason (the
    completed ones stay as history). Idempotent; while a version is still effective (a withdrawn
    revision) nothing changes."""
    if actor is not None:
        require(actor, "training.assign")
    with transaction.atomic():
        document = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
        if document.effective_version_id is not None:
            return []
        cancelled = list(
            Assignment.objects.filter(program__read_and_understood_document=document, status__in=OPEN_STATUSES)
            .select_related("program", "user")
            .order_by("pk")
        )
        for assignment in cancelled:
            _cancel(assignment, actor=actor, reason=f"{document.number} was made obsolete")
    return cancelled


def _create_read_and_understood_program(document: Document, audience: TrainingAudience | None, actor) -> TrainingProgram:
    program = TrainingProgram(
        title=f"Read and understood: {document.number} {document.title}"[:255],
        description=f"Read and understand the effective version of {document.number} {document.title}.",
        category=Category.SOP,
        level=Level.BEGINNER,
        status=ProgramStatus.PUBLISHED,
        requires_signature=True,
        default_due_days=audience.due_days if audience else 14,
        read_and_understood_document=document,
        created_by=actor,
    )
    return _insert_program(
        program, linked=[document], actor=actor, summary=f"Read-and-understood program for {document.number} created"
    )


# --- qualification gate ---------------------------------------------------------------------------------------


def check_qualified_to_approve(*, actor: User, record, instance=None, state=None) -> None:
    """Raises 403 TRAINING_REQUIRED (naming the missing programs in `missing_programs`) when `actor`
    lacks training that approving or signing `record` requires in workflow `state` (a WorkflowState
    or a state name; default: the record's current state).

    `record` is any controlled record (a document version counts as its document); `instance` its
    workflow instance (default: the record type's). Registered with the workflow kit as an approval
    check (workflows.records.register_approval_check), so it runs before every approval and signed
    transition is signed, and in the pages' check whether to offer the Approve button."""
    if isinstance(record, DocumentVersion):
        record = record.document
    record_type = record_type_of_model(type(record))
    if record_type is None:
        return  # not a controlled record: nothing is approved in a workflow state
    document = None
    if isinstance(record, Document):
        document = Document.objects.select_related("document_type", "effective_version").get(pk=record.pk)
    instance = instance or record_type.instance_of(record)
    if state is None and instance is not None:
        state = instance.current_state
    state_name = getattr(state, "name", state) or ""
    missing = selectors.missing_training(actor, document=document, instance=instance, state=state_name)
    if missing:
        titles = "; ".join(m.title for m in missing)
        raise TrainingRequired(
            f"You are not qualified to approve or sign {record_type.display(record)}: complete this training first: {titles}.",
            extra={"missing_programs": [m.as_dict() for m in missing]},
        )


# --- configuration (admin) --------------------------------------------------------------------------------------


def set_training_audience(
    *,
    actor: User,
    document_type: DocumentType | None = None,
    document: Document | None = None,
    groups: list[Group] = (),
    roles: list[Role] = (),
    due_days: int = 14,
    reason: str = "",
) -> TrainingAudience:
    """Who reads and understands each new effective version of a type's documents (or of one
    document, replacing its type's audience)."""
    require(actor, "training.manage")
    if (document_type is None) == (document is None):
        raise InvalidInput("Name a document type or a document.", field="document_type")
    with transaction.atomic():
        audience, created = TrainingAudience.objects.select_for_update().get_or_create(
            document_type=document_type, document=document, defaults={"due_days": due_days}
        )
        before = audit_changes.snapshot(audience, _AUDIENCE_AUDIT)
        audience.due_days = due_days
        _clean(audience, exclude=["document_type", "document"])
        audience.groups.set(groups)
        audience.roles.set(roles)
        name = document.number if document else document_type.code
        if created:
            _audit(
                TrainingAction.CREATE,
                audience,
                actor=actor,
                summary=f"Training audience of {name} set",
                new=audit_changes.snapshot(audience, _AUDIENCE_AUDIT),
                reason=reason,
            )
        else:
            _audit_update(
                audience,
                before=before,
                fields=_AUDIENCE_AUDIT,
                actor=actor,
                summary=f"Training audience of {name} changed",
                reason=reason,
                reason_for="changing a training audience",
            )
    return audience


_AUDIENCE_AUDIT = ["groups", "roles", "due_days"]


def delete_training_audience(*, actor: User, audience: TrainingAudience, reason: str = "") -> None:
    require(actor, "training.manage")
    with transaction.atomic():
        before = audit_changes.snapshot(audience, ["document_type", "document", "groups", "roles", "due_days"])
        summary = f"Training audience of {before['document'] or before['document_type']} removed"
        _delete(audience, actor=actor, summary=summary, old=before, reason=reason)


_REQUIREMENT_AUDIT = ["document_type", "workflow_template", "workflow_state", "program", "requires_document_training"]


def add_qualification_requirement(
    *,
    actor: User,
    document_type: DocumentType | None = None,
    workflow_template: WorkflowTemplate | None = None,
    workflow_state: str = "",
    program: TrainingProgram | None = None,
    requires_document_training: bool = False,
) -> QualificationRequirement:
    """Approvers of records of `document_type` and/or following `workflow_template` (any version;
    neither: every controlled record) in `workflow_state` (blank: every state) need `program`, or
    for documents their effective version's read-and-understood training."""
    require(actor, "training.manage")
    requirement = QualificationRequirement(
        document_type=document_type,
        workflow_template=workflow_template,
        workflow_state=(workflow_state or "").strip(),
        program=program,
        requires_document_training=requires_document_training,
    )
    if program is None and not requires_document_training:
        raise InvalidInput("Name a program or require training on the document's effective version.", field="program")
    if program is not None and program.status == ProgramStatus.RETIRED:
        raise InvalidInput("A retired program cannot be required.", field="program")
    if (
        workflow_template is not None
        and requirement.workflow_state
        and not WorkflowState.objects.filter(template__family=workflow_template.family, name=requirement.workflow_state).exists()
    ):
        raise InvalidInput(
            f"The workflow {workflow_template.name!r} has no state {requirement.workflow_state!r}.", field="workflow_state"
        )
    _clean(requirement)
    with transaction.atomic():
        requirement.save()
        _audit(
            TrainingAction.CREATE,
            requirement,
            actor=actor,
            summary=f"Qualification requirement added: {requirement}",
            new=audit_changes.snapshot(requirement, _REQUIREMENT_AUDIT),
        )
    return requirement


def remove_qualification_requirement(*, actor: User, requirement: QualificationRequirement, reason: str = "") -> None:
    require(actor, "training.manage")
    with transaction.atomic():
        before = audit_changes.snapshot(requirement, _REQUIREMENT_AUDIT)
        summary = f"Qualification requirement removed: {requirement}"
        _delete(requirement, actor=actor, summary=summary, old=before, reason=reason)


# --- periodic jobs (Celery beat) ---------------------------------------------------------------------------------


def mark_overdue_assignments(*, today: datetime.date | None = None, batch_size: int = 500) -> int:
    """Open assignments past their due date become overdue (audited, by the system). Idempotent:
    an assignment is marked once, however often and however concurrently the job runs."""
    day = _today(today)
    marked = 0
    while True:
        batch = list(
            Assignment.objects.filter(status=AssignmentStatus.ASSIGNED, due_date__lt=day)
            .select_related("program", "user")
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return marked
        with transaction.atomic():
            for assignment in batch:
                if not Assignment.objects.filter(pk=assignment.pk, status=AssignmentStatus.ASSIGNED).update(
                    status=AssignmentStatus.OVERDUE, row_version=F("row_version") + 1, updated_at=timezone.now()
                ):
                    continue  # another run got there first
                marked += 1
                assignment.status = AssignmentStatus.OVERDUE
                _audit_status(
                    TrainingAction.OVERDUE,
                    assignment,
                    old_status=AssignmentStatus.ASSIGNED,
                    actor=None,
                    summary=f"Assignment of {assignment.program.title!r} to {assignment.user.display_name} is overdue "
                    f"(due {assignment.due_date.isoformat()})",
                    event=TrainingEvent.OVERDUE,
                )


def create_retraining_assignments(*, today: datetime.date | None = None, lead_days: int | None = None) -> int:
    """For each latest, unrevoked completion that expires within `lead_days`
    (TRAINING_RETRAINING_LEAD_DAYS), a retraining assignment due on the expiry date, unless the person
    already has an open assignment of the program. Idempotent: one retraining per completion."""
    from django.conf import settings

    day = _today(today)
    lead = settings.TRAINING_RETRAINING_LEAD_DAYS if lead_days is None else lead_days
    horizon = datetime.datetime.combine(day + datetime.timedelta(days=lead + 1), datetime.time.min, tzinfo=datetime.UTC)
    later = Completion.objects.filter(
        user=OuterRef("user"), program=OuterRef("program"), completed_at__gt=OuterRef("completed_at"), revocation__isnull=True
    )
    open_ = Assignment.objects.filter(user=OuterRef("user"), program=OuterRef("program"), status__in=OPEN_STATUSES)
    due_completions = (
        Completion.objects.filter(
            revocation__isnull=True,
            expires_at__isnull=False,
            expires_at__lt=horizon,
            retraining_assignment__isnull=True,
            user__is_active=True,
            program__status=ProgramStatus.PUBLISHED,
        )
        .exclude(Exists(later))
        .exclude(Exists(open_))
        .select_related("program", "user", "program__read_and_understood_document__effective_version__document")
        .order_by("pk")
    )
    created = 0
    for completion in due_completions.iterator(chunk_size=500):
        program = completion.program
        version = program.read_and_understood_document.effective_version if program.is_read_and_understood else None
        if program.is_read_and_understood and version is None:
            continue
        try:
            with transaction.atomic():
                _create_assignment(
                    program=program,
                    user=completion.user,
                    version=version,
                    kind=AssignmentKind.RETRAINING,
                    due=max(completion.expires_at.date(), day),
                    day=day,
                    actor=None,
                    reason=f"Retraining: the completion of {completion.completed_at.date().isoformat()} expires "
                    f"on {completion.expires_at.date().isoformat()}",
                    retraining_of=completion,
                )
        except IntegrityError:
            continue  # a concurrent run created it (one retraining per completion, one open per person)
        created += 1
    return created
