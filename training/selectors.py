"""Reads about training that the API, pages, admin, benchmarks and (later) the dashboard share, each
with a query count that does not grow with the page size.

Who sees what: everyone with training.view sees published programs and their own assignments and
registrations; seeing other people's training needs training.view and users.view (QA, QA Manager,
Admin, Auditor); instructors also see the registrations of their own programs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import BooleanField, Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Group, User
from audit.models import Signature
from workflows.models import WorkflowTemplate

from .models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    Completion,
    ProgramStatus,
    QualificationRequirement,
    Registration,
    TrainingAudience,
    TrainingProgram,
)

# --- scope ------------------------------------------------------------------------------------------


def sees_everyone(user) -> bool:
    """Whether `user` may see other people's assignments, completions and registrations."""
    return user.has_qms_permission("training.view") and user.has_qms_permission("users.view")


def sees_drafts(user) -> bool:
    return user.has_qms_permission("training.manage") or user.has_qms_permission("training.assign")


def due_soon_days() -> int:
    return settings.TRAINING_DUE_SOON_DAYS


def today() -> datetime.date:
    return timezone.now().date()


# --- programs -----------------------------------------------------------------------------------------


def program_list(user) -> QuerySet[TrainingProgram]:
    """Programs `user` may see (drafts only for those who manage or assign training)."""
    qs = TrainingProgram.objects.select_related(
        "instructor", "read_and_understood_document", "read_and_understood_document__effective_version"
    ).prefetch_related("linked_documents")
    if not sees_drafts(user):
        qs = qs.exclude(status=ProgramStatus.DRAFT)
    return qs


def program_has_history(program: TrainingProgram) -> bool:
    """Assignments, registrations, completions or qualification requirements refer to it."""
    return (
        program.assignments.exists()
        or program.registrations.exists()
        or program.completions.exists()
        or program.qualification_requirements.exists()
    )


def seats_taken(program: TrainingProgram) -> int:
    from .models import SEAT_STATUSES

    return program.registrations.filter(status__in=SEAT_STATUSES).count()


# --- qualification -----------------------------------------------------------------------------------


def valid_completion_q(now: datetime.datetime, prefix: str = "") -> Q:
    """Completions that qualify today: not revoked, not expired and, for a document's
    read-and-understood program, about the version effective now."""
    p = prefix
    return (
        Q(**{f"{p}revocation__isnull": True})
        & (Q(**{f"{p}expires_at__isnull": True}) | Q(**{f"{p}expires_at__gt": now}))
        & (
            Q(**{f"{p}program__read_and_understood_document__isnull": True})
            | Q(**{f"{p}document_version_id": F(f"{p}program__read_and_understood_document__effective_version_id")})
        )
    )


def qualified_program_ids(user, program_ids: Iterable[int], now: datetime.datetime | None = None) -> set[int]:
    """The programs among `program_ids` on which `user` is qualified now (one query)."""
    ids = list(program_ids)
    if not ids:
        return set()
    now = now or timezone.now()
    return set(
        Completion.objects.filter(valid_completion_q(now), user=user, program_id__in=ids)
        .values_list("program_id", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class MissingTraining:
    """A program the approver lacks; `program_id` is None when the document's read-and-understood
    program does not exist yet (nobody was ever assigned the document)."""

    program_id: int | None
    title: str

    def as_dict(self) -> dict:
        return {"id": self.program_id, "title": self.title}


def requirements_for(*, document=None, instance=None, state: str) -> list[QualificationRequirement]:
    """The requirements that apply in `state` to a record following workflow `instance` (None: no
    workflow); those naming a document type apply only when `document` is of that type."""
    types = Q(document_type__isnull=True)
    if document is not None:
        types |= Q(document_type_id=document.document_type_id)
    workflows = Q(workflow_template__isnull=True)
    if instance is not None:  # any version of the instance's template
        workflows |= Q(workflow_template__family__in=WorkflowTemplate.objects.filter(pk=instance.template_id).values("family"))
    return list(
        QualificationRequirement.objects.filter(types, workflows, Q(workflow_state="") | Q(workflow_state=state)).select_related(
            "program"
        )
    )


def missing_training(user, *, document=None, instance=None, state: str) -> list[MissingTraining]:
    """What `user` must still be trained on to approve or sign a record in workflow `state`: the
    programs its requirements name, plus, for a `document`, its effective version when a requirement
    or its type ("approvers need training") says so."""
    requirements = requirements_for(document=document, instance=instance, state=state)
    needed: dict[int | None, MissingTraining] = {}
    for requirement in requirements:
        if requirement.program_id:
            needed[requirement.program_id] = MissingTraining(requirement.program_id, requirement.program.title)
    needs_document = document is not None and (
        document.document_type.approvers_need_training or any(r.requires_document_training for r in requirements)
    )
    if needs_document and document.effective_version_id:
        program = TrainingProgram.objects.filter(read_and_understood_document=document).first()
        title = f"Read and understood: {document.number} version {document.effective_version.version}"
        needed[program.pk if program else None] = MissingTraining(program.pk if program else None, title)
    qualified = qualified_program_ids(user, [pk for pk in needed if pk is not None])
    return [item for pk, item in needed.items() if pk is None or pk not in qualified]


def missing_training_for_records(user, records: list[tuple]) -> dict:
    """`missing_training` for many records at once, in three queries whatever their number (the
    dashboard's pending approvals): `records` are (key, document or None, instance, state name);
    the answer maps each key to what `user` still lacks (an empty list: qualified).

    `instance` needs its `template` loaded (its `family` decides which requirements apply)."""
    if not records:
        return {}
    requirements = list(QualificationRequirement.objects.select_related("program", "workflow_template"))
    documents = [document for _, document, _, _ in records if document is not None and document.effective_version_id]
    programs_by_document = {
        p.read_and_understood_document_id: p
        for p in TrainingProgram.objects.filter(read_and_understood_document__in=[d.pk for d in documents]).order_by("pk")
    }
    needed_by_key: dict = {}
    for key, document, instance, state in records:
        family = instance.template.family if instance is not None else None
        applying = [
            r
            for r in requirements
            if (r.document_type_id is None or (document is not None and r.document_type_id == document.document_type_id))
            and (r.workflow_template_id is None or r.workflow_template.family == family)
            and r.workflow_state in ("", state)
        ]
        needed: dict[int | None, MissingTraining] = {
            r.program_id: MissingTraining(r.program_id, r.program.title) for r in applying if r.program_id
        }
        needs_document = document is not None and (
            document.document_type.approvers_need_training or any(r.requires_document_training for r in applying)
        )
        if needs_document and document.effective_version_id:
            program = programs_by_document.get(document.pk)
            title = f"Read and understood: {document.number} version {document.effective_version.version}"
            needed[program.pk if program else None] = MissingTraining(program.pk if program else None, title)
        needed_by_key[key] = needed
    qualified = qualified_program_ids(user, {pk for needed in needed_by_key.values() for pk in needed if pk is not None})
    return {
        key: [item for pk, item in needed.items() if pk is None or pk not in qualified] for key, needed in needed_by_key.items()
    }


# --- assignments ----------------------------------------------------------------------------------------

_ASSIGNMENT_RELATED = (
    "program",
    "program__read_and_understood_document",
    "program__read_and_understood_document__effective_version",
    "user",
    "assigned_by",
    "document_version",
    "document_version__document",
)


def assignment_list(user) -> QuerySet[Assignment]:
    """Assignments visible to `user`: everyone's with the scope, otherwise their own."""
    qs = Assignment.objects.select_related(*_ASSIGNMENT_RELATED)
    if not sees_everyone(user):
        qs = qs.filter(user=user)
    return qs


def my_training(user) -> QuerySet[Assignment]:
    """The user's assignments: open ones first (soonest due first), then the history (newest first)."""
    return (
        Assignment.objects.filter(user=user)
        .select_related(*_ASSIGNMENT_RELATED)
        .annotate(
            open_rank=Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()),
            open_due=Case(When(status__in=OPEN_STATUSES, then=F("due_date")), default=None),
        )
        .order_by("open_rank", F("open_due").asc(nulls_last=True), "-assigned_at", "-pk")
    )


@dataclass
class AssignmentView:
    """An assignment with what its row shows: the latest completion, its signature, and whether the
    person is qualified on the program now."""

    assignment: Assignment
    completion: Completion | None = None
    signature: Signature | None = None
    qualified: bool = False
    revoked: bool = False


def with_completions(assignments: Iterable[Assignment], now: datetime.datetime | None = None) -> list[AssignmentView]:
    """Decorates a page of assignments in three queries, whatever its size."""
    assignments = list(assignments)
    now = now or timezone.now()
    completions: dict[int, Completion] = {}
    for completion in (
        Completion.objects.filter(assignment_id__in=[a.pk for a in assignments])
        .select_related("revocation")
        .order_by("completed_at", "pk")
    ):
        completions[completion.assignment_id] = completion  # the latest one wins
    signatures = {
        s.resource_id: s
        for s in Signature.objects.filter(
            resource_type="training_completion", resource_id__in=[c.pk for c in completions.values()]
        )
    }
    qualified: set[tuple[int, int]] = set(
        Completion.objects.filter(
            valid_completion_q(now),
            user_id__in={a.user_id for a in assignments},
            program_id__in={a.program_id for a in assignments},
        ).values_list("user_id", "program_id")
    )
    out = []
    for a in assignments:
        completion = completions.get(a.pk)
        out.append(
            AssignmentView(
                assignment=a,
                completion=completion,
                signature=signatures.get(completion.pk) if completion else None,
                qualified=(a.user_id, a.program_id) in qualified,
                revoked=bool(completion and _revocation(completion)),
            )
        )
    return out


def _revocation(completion: Completion):
    try:
        return completion.revocation
    except Completion.revocation.RelatedObjectDoesNotExist:
        return None


def completion_list(user) -> QuerySet[Completion]:
    qs = Completion.objects.select_related("program", "user", "recorded_by", "document_version", "revocation")
    if not sees_everyone(user):
        qs = qs.filter(user=user)
    return qs


# Dashboard reads (the dashboard module will show them): bounded, one query each.


def assigned_to(user) -> QuerySet[Assignment]:
    """Open assignments of `user`, soonest due first."""
    return (
        Assignment.objects.filter(user=user, status__in=OPEN_STATUSES)
        .select_related(*_ASSIGNMENT_RELATED)
        .order_by(F("due_date").asc(nulls_last=True), "pk")
    )


def overdue(user=None, *, on: datetime.date | None = None) -> QuerySet[Assignment]:
    """Open assignments past their due date (of `user`, or everyone's for None)."""
    qs = Assignment.objects.filter(status__in=OPEN_STATUSES, due_date__lt=on or today()).select_related(*_ASSIGNMENT_RELATED)
    return (qs.filter(user=user) if user is not None else qs).order_by("due_date", "pk")


def due_soon(user=None, *, on: datetime.date | None = None, days: int | None = None) -> QuerySet[Assignment]:
    """Open assignments due from `on` (today) to `days` (TRAINING_DUE_SOON_DAYS) later."""
    start = on or today()
    end = start + datetime.timedelta(days=due_soon_days() if days is None else days)
    qs = Assignment.objects.filter(status__in=OPEN_STATUSES, due_date__gte=start, due_date__lte=end).select_related(
        *_ASSIGNMENT_RELATED
    )
    return (qs.filter(user=user) if user is not None else qs).order_by("due_date", "pk")


# --- who receives an assignment ---------------------------------------------------------------------------


@dataclass
class Recipients:
    """Who an assignment of `program` reaches: `users` get it (with the group that brought each in,
    if any); `skipped` already hold an open assignment of the program (user → that assignment)."""

    users: list[User] = field(default_factory=list)
    via_group: dict[int, Group] = field(default_factory=dict)
    skipped: dict[int, Assignment] = field(default_factory=dict)
    skipped_users: list[User] = field(default_factory=list)


def recipients(program: TrainingProgram, users: list[User], groups: list[Group]) -> Recipients:
    """Named users plus the active members of `groups` as they are now, each once; holders of an
    open assignment of the program are skipped. Three queries."""
    wanted: dict[int, User] = {u.pk: u for u in users if u.is_active}
    via_group: dict[int, Group] = {}
    if groups:
        by_id = {g.pk: g for g in groups}
        for member in (
            User.objects.filter(groups__in=list(by_id), is_active=True)
            .annotate(via_group_id=F("groups__id"))
            .order_by("username", "via_group_id")
        ):
            if member.pk not in wanted:
                wanted[member.pk] = member
                via_group[member.pk] = by_id[member.via_group_id]
    open_by_user = {
        a.user_id: a for a in Assignment.objects.filter(program=program, user_id__in=list(wanted), status__in=OPEN_STATUSES)
    }
    result = Recipients()
    for user in sorted(wanted.values(), key=lambda u: u.username):
        if user.pk in open_by_user:
            result.skipped[user.pk] = open_by_user[user.pk]
            result.skipped_users.append(user)
        else:
            result.users.append(user)
            if user.pk in via_group:
                result.via_group[user.pk] = via_group[user.pk]
    return result


def audience_of(document) -> TrainingAudience | None:
    """The document's own training audience, or else its type's."""
    return (
        TrainingAudience.objects.filter(document=document).prefetch_related("groups", "roles").first()
        or TrainingAudience.objects.filter(document_type_id=document.document_type_id).prefetch_related("groups", "roles").first()
    )


def audience_members(audience: TrainingAudience) -> QuerySet[User]:
    """Active members of the audience's groups and active holders of its roles, now."""
    group_ids = [g.pk for g in audience.groups.all()]
    role_ids = [r.pk for r in audience.roles.all()]
    if not group_ids and not role_ids:
        return User.objects.none()
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__in=group_ids) | Q(role_id__in=role_ids))
        .distinct()
        .order_by("username")
    )


# --- registrations -----------------------------------------------------------------------------------------


def registration_list(user) -> QuerySet[Registration]:
    """Everyone's with the scope; otherwise one's own and those of the programs one instructs."""
    qs = Registration.objects.select_related("program", "program__instructor", "user")
    if not sees_everyone(user):
        qs = qs.filter(Q(user=user) | Q(program__instructor=user))
    return qs


# --- the training matrix --------------------------------------------------------------------------------------


class CellStatus:
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    QUALIFIED = "qualified"
    ASSIGNED = "assigned"
    EXPIRED = "expired"
    NOT_ASSIGNED = "not_assigned"

    ALL = (OVERDUE, DUE_SOON, QUALIFIED, ASSIGNED, EXPIRED, NOT_ASSIGNED)
    LABELS = {
        OVERDUE: "Overdue",
        DUE_SOON: "Due soon",
        QUALIFIED: "Qualified",
        ASSIGNED: "Assigned",
        EXPIRED: "Expired or outdated",
        NOT_ASSIGNED: "Not assigned",
    }


@dataclass
class Cell:
    """One person × one program. `status` in order of precedence: overdue, due soon (an open
    assignment due within TRAINING_DUE_SOON_DAYS), qualified, assigned, expired (a completion that no
    longer counts: expired, or about an earlier document version), not assigned."""

    program_id: int
    status: str = CellStatus.NOT_ASSIGNED
    qualified: bool = False
    assignment_id: int | None = None
    due_date: datetime.date | None = None
    completed_at: datetime.datetime | None = None
    expires_at: datetime.datetime | None = None


@dataclass
class MatrixRow:
    user: User
    cells: list[Cell]


def matrix_programs(*, program_id: int | None = None) -> list[TrainingProgram]:
    qs = TrainingProgram.objects.filter(status=ProgramStatus.PUBLISHED).select_related(
        "read_and_understood_document", "read_and_understood_document__effective_version"
    )
    if program_id is not None:
        qs = qs.filter(pk=program_id)
    return list(qs.order_by("category", "title", "pk"))


def matrix_users(*, programs: list[TrainingProgram], group_id: int | None = None, status: str | None = None) -> QuerySet[User]:
    """Active users (members of `group_id`), keeping those with at least one cell in `status`."""
    qs = User.objects.filter(is_active=True)
    if group_id is not None:
        qs = qs.filter(groups__id=group_id)
    if status:
        qs = qs.filter(_has_cell_in(status, [p.pk for p in programs]))
    return qs.order_by("full_name", "username", "pk")


def _has_cell_in(status: str, program_ids: list[int]) -> Q:
    """A condition on users: at least one of the programs has a cell in `status` (same precedence as Cell)."""
    now = timezone.now()
    start = now.date()
    soon = start + datetime.timedelta(days=due_soon_days())
    user = OuterRef(OuterRef("pk"))
    open_ = Assignment.objects.filter(user=user, program=OuterRef("pk"), status__in=OPEN_STATUSES)
    completions = Completion.objects.filter(user=user, program=OuterRef("pk"), revocation__isnull=True)
    has_open = Exists(open_)
    urgent = Exists(open_.filter(due_date__lte=soon))
    valid = Exists(completions.filter(valid_completion_q(now)))
    any_completion = Exists(completions)
    condition = {
        CellStatus.OVERDUE: Exists(open_.filter(due_date__lt=start)),
        CellStatus.DUE_SOON: Exists(open_.filter(due_date__gte=start, due_date__lte=soon)),
        CellStatus.QUALIFIED: ~urgent & valid,
        CellStatus.ASSIGNED: Exists(open_.filter(Q(due_date__isnull=True) | Q(due_date__gt=soon))) & ~valid,
        CellStatus.EXPIRED: ~has_open & ~valid & any_completion,
        CellStatus.NOT_ASSIGNED: ~has_open & ~any_completion,
    }[status]
    return Q(Exists(TrainingProgram.objects.filter(pk__in=program_ids).filter(condition)))


def matrix_rows(users: list[User], programs: list[TrainingProgram], now: datetime.datetime | None = None) -> list[MatrixRow]:
    """The cells of `users` × `programs` in two queries, whatever the number of users and programs."""
    now = now or timezone.now()
    start = now.date()
    soon = start + datetime.timedelta(days=due_soon_days())
    user_ids = [u.pk for u in users]
    program_ids = [p.pk for p in programs]
    effective_version = {
        p.pk: (p.read_and_understood_document.effective_version_id if p.read_and_understood_document_id else None)
        for p in programs
    }
    is_read_and_understood = {p.pk: p.read_and_understood_document_id is not None for p in programs}
    open_by_cell = {
        (a["user_id"], a["program_id"]): a
        for a in Assignment.objects.filter(user_id__in=user_ids, program_id__in=program_ids, status__in=OPEN_STATUSES).values(
            "id", "user_id", "program_id", "due_date"
        )
    }
    latest: dict[tuple[int, int], dict] = {}
    valid: set[tuple[int, int]] = set()
    for c in (
        Completion.objects.filter(user_id__in=user_ids, program_id__in=program_ids, revocation__isnull=True)
        .order_by("completed_at", "pk")
        .values("user_id", "program_id", "completed_at", "expires_at", "document_version_id")
    ):
        key = (c["user_id"], c["program_id"])
        latest[key] = c
        current_version = not is_read_and_understood[c["program_id"]] or (
            c["document_version_id"] == effective_version[c["program_id"]]
        )
        if current_version and (c["expires_at"] is None or c["expires_at"] > now):
            valid.add(key)
    rows = []
    for user in users:
        cells = []
        for program_id in program_ids:
            key = (user.pk, program_id)
            cell = Cell(program_id=program_id, qualified=key in valid)
            if key in latest:
                cell.completed_at, cell.expires_at = latest[key]["completed_at"], latest[key]["expires_at"]
            assignment = open_by_cell.get(key)
            if assignment is not None:
                cell.assignment_id, cell.due_date = assignment["id"], assignment["due_date"]
            cell.status = _cell_status(cell, assignment is not None, key in latest, start, soon)
            cells.append(cell)
        rows.append(MatrixRow(user=user, cells=cells))
    return rows


def _cell_status(cell: Cell, has_open: bool, has_completion: bool, start, soon) -> str:
    if has_open and cell.due_date is not None and cell.due_date < start:
        return CellStatus.OVERDUE
    if has_open and cell.due_date is not None and cell.due_date <= soon:
        return CellStatus.DUE_SOON
    if cell.qualified:
        return CellStatus.QUALIFIED
    if has_open:
        return CellStatus.ASSIGNED
    if has_completion:
        return CellStatus.EXPIRED
    return CellStatus.NOT_ASSIGNED


def matrix_stream(users: QuerySet[User], programs: list[TrainingProgram], *, chunk_size: int = 500) -> Iterator[MatrixRow]:
    """Every row of the matrix, `chunk_size` users at a time (keyset paging: memory stays constant)."""
    last_key: tuple | None = None
    ordered = users.order_by("full_name", "username", "pk")
    while True:
        qs = ordered
        if last_key is not None:
            name, username, pk = last_key
            qs = qs.filter(
                Q(full_name__gt=name) | Q(full_name=name, username__gt=username) | Q(full_name=name, username=username, pk__gt=pk)
            )
        chunk = list(qs[:chunk_size])
        if not chunk:
            return
        yield from matrix_rows(chunk, programs)
        last = chunk[-1]
        last_key = (last.full_name, last.username, last.pk)


# --- compliance (dashboard KPIs) ------------------------------------------------------------------------------


@dataclass
class ComplianceFigure:
    """`qualified` of `required` person × program pairs; `percent` None when nothing is required."""

    id: int | None
    name: str
    required: int
    qualified: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.qualified / self.required, 1) if self.required else None


@dataclass
class Compliance:
    overall: ComplianceFigure
    per_program: list[ComplianceFigure]
    per_group: list[ComplianceFigure]
    overdue_assignments: int


def compliance(user, *, group_id: int | None = None, now: datetime.datetime | None = None) -> Compliance:
    """Training compliance as `user` may see it (everyone's with the scope, otherwise their own):
    a person is required to hold a program when they have an assignment of it that was not cancelled
    (open or completed; active people, programs not retired), and compliant when they are qualified
    on it now (a valid completion: not revoked, not expired, about the document version effective
    now). Overall, per program and per group (members as they are now; `group_id`: that group and
    its members only), plus the open assignments past due.

    Three plain queries whatever the number of people, programs or assignments (the pairs required
    with their program's title and whether their open assignment is overdue, the pairs qualified,
    group membership); the pairs are matched here. (One aggregate with a correlated qualification
    test per assignment reads the same, but its plan is costed high enough for PostgreSQL to
    JIT-compile it, which alone takes seconds.)"""
    now = now or timezone.now()
    qs = assignment_list(user).filter(user__is_active=True).exclude(status=AssignmentStatus.CANCELLED)
    qs = qs.exclude(program__status=ProgramStatus.RETIRED).order_by()
    if group_id is not None:
        qs = qs.filter(user__groups__id=group_id)
    # Each pair once per overdue flag: a pair has at most one open assignment (training_one_open_assignment),
    # so the pairs flagged overdue are the overdue assignments.
    late = Case(
        When(status__in=OPEN_STATUSES, due_date__lt=now.date(), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    rows = set(qs.annotate(late=late).values_list("user_id", "program_id", "program__title", "late").distinct())
    required = {(member_id, program_id) for member_id, program_id, _, _ in rows}
    program_names = {program_id: title for _, program_id, title, _ in rows}
    overdue_count = sum(1 for *_, is_late in rows if is_late)
    people = qs.values("user_id")
    qualified = required & set(
        Completion.objects.filter(valid_completion_q(now), user_id__in=people)
        .order_by()
        .values_list("user_id", "program_id")
        .distinct()
    )
    memberships = Group.members.through.objects.filter(user_id__in=people)
    if group_id is not None:
        memberships = memberships.filter(group_id=group_id)
    groups_of: dict[int, list[int]] = {}
    group_names: dict[int, str] = {}
    for member_id, member_group_id, name in memberships.values_list("user_id", "group_id", "group__name").distinct():
        groups_of.setdefault(member_id, []).append(member_group_id)
        group_names[member_group_id] = name
    per_program = {pk: ComplianceFigure(pk, name, 0, 0) for pk, name in program_names.items()}
    per_group = {pk: ComplianceFigure(pk, name, 0, 0) for pk, name in group_names.items()}
    for pair in required:
        member_id, program_id = pair
        ok = pair in qualified
        figures = [per_program[program_id]] + [per_group[g] for g in groups_of.get(member_id, ())]
        for figure in figures:
            figure.required += 1
            figure.qualified += ok
    return Compliance(
        overall=ComplianceFigure(None, "Overall", len(required), len(qualified)),
        per_program=sorted(per_program.values(), key=lambda f: (f.name.lower(), f.id)),
        per_group=sorted(per_group.values(), key=lambda f: (f.name.lower(), f.id)),
        overdue_assignments=overdue_count,
    )
