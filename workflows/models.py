"""The workflow engine's data: templates (versioned), states, transitions, approval rules,
instances bound to any record through a generic relation, approvals and the history; and the
number sequences controlled records take their numbers from (workflows.numbering).

A template that has instances is never edited in place: a change makes a new version (a new row
in the same `family`), and running instances keep the version they started on.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from audit.models import SignatureType


class StateKind(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    EFFECTIVE = "effective", "Effective"
    SUPERSEDED = "superseded", "Superseded"
    OBSOLETE = "obsolete", "Obsolete"
    REJECTED = "rejected", "Rejected"
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# States in which the record's content may still be changed (new files, approval configuration).
EDITABLE_KINDS = frozenset({StateKind.DRAFT, StateKind.REJECTED, StateKind.OPEN})


class ApprovalMode(models.TextChoices):
    ALL = "all", "All rules must be met"
    ANY = "any", "Any one rule is enough"


class TransitionTrigger(models.TextChoices):
    MANUAL = "manual", "Manual (a user performs it)"
    APPROVAL = "approval", "Automatic when the state's approval rules are met"
    SYSTEM = "system", "System (performed by the application, e.g. supersede)"


class WorkflowTemplate(models.Model):
    """One version of a workflow definition. Versions of the same template share `family`."""

    family = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    approve_permission = models.CharField(
        max_length=100,
        blank=True,
        help_text="Permission codename an approver needs on records that use this workflow "
        "(blank: the record type's default, e.g. documents.approve).",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    is_current = models.BooleanField(
        default=True, editable=False, help_text="New records start on the current version of a template."
    )
    previous_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_versions", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    row_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="workflow_template_family_version"),
            models.UniqueConstraint(fields=["family"], condition=Q(is_current=True), name="workflow_template_one_current"),
            models.UniqueConstraint(fields=["name"], condition=Q(is_current=True), name="workflow_template_current_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def in_use(self) -> bool:
        return self.instances.exists()

    def initial_state(self) -> "WorkflowState | None":
        return self.states.filter(is_initial=True).first()


class WorkflowState(models.Model):
    template = models.ForeignKey(WorkflowTemplate, on_delete=models.CASCADE, related_name="states")
    name = models.SlugField(max_length=50, help_text="Machine name, e.g. in_review")
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=StateKind.choices)
    is_initial = models.BooleanField(default=False)
    is_terminal = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    approval_mode = models.CharField(
        max_length=3,
        choices=ApprovalMode.choices,
        default=ApprovalMode.ALL,
        help_text="How this state's approval rules combine (only for states with rules).",
    )
    author_may_approve = models.BooleanField(
        default=False, help_text="Whether the record's author may approve it in this state (default: no)."
    )

    class Meta:
        ordering = ["template_id", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["template", "name"], name="workflow_state_unique_name")]

    def __str__(self) -> str:
        return self.label or self.name


class WorkflowTransition(models.Model):
    template = models.ForeignKey(WorkflowTemplate, on_delete=models.CASCADE, related_name="transitions")
    name = models.SlugField(max_length=50, help_text="Machine name, e.g. submit")
    label = models.CharField(max_length=100)
    from_state = models.ForeignKey(WorkflowState, on_delete=models.CASCADE, related_name="outgoing")
    to_state = models.ForeignKey(WorkflowState, on_delete=models.CASCADE, related_name="incoming")
    trigger = models.CharField(max_length=10, choices=TransitionTrigger.choices, default=TransitionTrigger.MANUAL)
    required_permission = models.CharField(
        max_length=100, blank=True, help_text="Permission codename a user needs to perform it (blank: any user)."
    )
    requires_signature = models.BooleanField(default=False)
    signature_type = models.CharField(max_length=20, choices=SignatureType.choices, default=SignatureType.APPROVAL)
    requires_comment = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["template", "from_state", "name"], name="workflow_transition_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.from_state.name} → {self.to_state.name}"


class WorkflowInstance(models.Model):
    """A record moving through a template version. A record may have several instances over
    time (e.g. one per document revision cycle)."""

    template = models.ForeignKey(WorkflowTemplate, on_delete=models.PROTECT, related_name="instances")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    current_state = models.ForeignKey(WorkflowState, on_delete=models.PROTECT, related_name="+")
    state_entry = models.PositiveIntegerField(
        default=1, help_text="Counts state changes; approvals only count within the current entry into a state."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose record this is (may not approve it unless the state allows).",
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="workflow_instance_record_idx")]

    def __str__(self) -> str:
        return f"{self.content_type.model}:{self.object_id} in {self.current_state.name} ({self.template})"


class ApprovalOverride(models.Model):
    """Per-record approval requirements for one state, replacing the template's rules for it."""

    instance = models.ForeignKey(WorkflowInstance, on_delete=models.CASCADE, related_name="approval_overrides")
    state = models.ForeignKey(WorkflowState, on_delete=models.PROTECT, related_name="+")
    approval_mode = models.CharField(max_length=3, choices=ApprovalMode.choices, default=ApprovalMode.ALL)
    author_may_approve = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    configured_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    configured_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["instance", "state"], name="approval_override_unique_state")]

    def __str__(self) -> str:
        return f"Approval override for {self.instance} in {self.state.name}"


class RuleKind(models.TextChoices):
    ROLE = "role", "N approvers holding a role"
    USERS = "users", "These users must all approve"


class ApprovalRule(models.Model):
    """One requirement of a state: `required_approvals` approvers holding `role`, or every one of `users`.

    Belongs to a template state, or (when `override` is set) to a per-record override.
    """

    state = models.ForeignKey(WorkflowState, on_delete=models.CASCADE, related_name="approval_rules")
    override = models.ForeignKey(ApprovalOverride, null=True, blank=True, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=10, choices=RuleKind.choices, default=RuleKind.ROLE)
    role = models.ForeignKey("accounts.Role", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    required_approvals = models.PositiveSmallIntegerField(default=1)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="users") | Q(role__isnull=False), name="approval_rule_role_needs_role"),
        ]

    def __str__(self) -> str:
        if self.kind == RuleKind.ROLE:
            return f"{self.required_approvals} × {self.role}"
        return "Named approvers"


class Approval(models.Model):
    """One approver's approval in one entry into an approval state (never changed or deleted)."""

    instance = models.ForeignKey(WorkflowInstance, on_delete=models.PROTECT, related_name="approvals")
    state = models.ForeignKey(WorkflowState, on_delete=models.PROTECT, related_name="+")
    state_entry = models.PositiveIntegerField()
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approver_name = models.CharField(max_length=200)
    approver_role = models.CharField(max_length=100, blank=True)
    rule = models.ForeignKey(ApprovalRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_description = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)
    signature_id = models.BigIntegerField(null=True, blank=True, help_text="The electronic signature (audit app).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "state_entry", "approver"], name="approval_once_per_user_per_state_entry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.approver_name} approved {self.instance_id} in {self.state.name}"


class HistoryAction(models.TextChoices):
    START = "start", "Started"
    TRANSITION = "transition", "Transition"
    APPROVE = "approve", "Approval"
    CONFIGURE = "configure", "Approval configured"
    LEGACY = "legacy", "Legacy history (imported; not an electronic signature of this system)"


class WorkflowHistory(models.Model):
    """Append-only log of an instance: who, when, from, to, comment, signature."""

    instance = models.ForeignKey(WorkflowInstance, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=20, choices=HistoryAction.choices)
    transition_name = models.CharField(max_length=50, blank=True)
    from_state = models.CharField(max_length=50, blank=True)
    to_state = models.CharField(max_length=50, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=200, blank=True, help_text="Printed name at the time (blank: system).")
    comment = models.TextField(blank=True)
    signature_id = models.BigIntegerField(null=True, blank=True)
    is_automatic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "workflow history"

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}→{self.to_state} by {self.actor_name or 'system'}"


class NumberSequence(models.Model):
    """The last number handed out for a prefix, per year for yearly numbering (`PREFIX-YYYY-NNNN`)
    or once (`year` 0) for running numbering (`PREFIX-NNNN`). Changed only by
    workflows.numbering.next_number, inside the transaction that creates the numbered record."""

    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField(default=0, help_text="0 for a running (not yearly) sequence")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["prefix", "year"]
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="number_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}" if self.year else f"{self.prefix}: {self.last}"
