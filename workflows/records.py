"""The controlled-record kit's registry: an app declares its record type once, and the kit's
services (workflows.records_services), API mixin (workflows.api.ControlledRecordActionsMixin),
selector (workflows.selectors.record_workflow) and pages (workflows.views, workflows.urls) work for
it without further code.

    # deviations/apps.py
    class DeviationsConfig(AppConfig):
        def ready(self):
            from workflows.records import register_record_type
            from .models import Deviation

            register_record_type(
                Deviation,
                resource_type="deviation",
                view_permission="deviations.view",
                approve_permission="deviations.approve",      # a workflow template may name another
                configure_permission="deviations.edit",
                number_prefix="DEV",                           # DEV-2026-0001 (workflows.numbering)
                workflow_template="Deviation handling",        # started by records_services.start_record
                state_guards={"closed": [closing_problems]},
                visible=selectors.visible_deviations,
            )

Hooks are plain functions; every one has a default:

- guards (`transition_guards` by transition name, `state_guards` by the state entered, including
  the state an approval moves to) are called as `guard(actor=, record=, instance=, transition=)`
  and return located problems `[(["root_cause"], "A root cause is needed to close.")]`; any
  problem refuses the step with 422 TRANSITION_BLOCKED, loc ["body", ...].
- approval checks (`approval_checks`, and for every record type the global ones added with
  `register_approval_check`) are called as `check(actor=, record=, instance=, state=)` before an
  approval or a signed transition is signed, and raise a qms.errors.DomainError to refuse.
- `sync(record, outcome, actor)` brings the record in line with the engine's Outcome inside the
  transaction (default: `status` = the state's name, `row_version` + 1).
- `event_data(record, instance)` adds what the record knows to the events the engine emits about it
  (`<rt>.transitioned`, `<rt>.<state kind>`, `<rt>.approval_given`), e.g. a document's version. It is
  called when the engine emits, before the record's sync: the record is as it was when the step began.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import models
from django.db.models import QuerySet

from audit.models import SignatureType
from qms.permissions import has

from .models import EDITABLE_KINDS, WorkflowInstance, WorkflowTemplate, WorkflowTransition

Problem = tuple[list, str]
Guard = Callable[..., Iterable[Problem]]
ApprovalCheck = Callable[..., None]


@dataclass(frozen=True)
class SignatureTarget:
    """A signed object that belongs to a record (the record itself, or e.g. a document's version),
    with the label its signatures are shown under (e.g. the version "1.0")."""

    resource_type: str
    obj: models.Model
    label: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordType:
    """A registered controlled record type. Built by `register_record_type` (which fills every hook
    left out with its default), read by the kit."""

    model: type[models.Model]
    resource_type: str
    label: str
    view_permission: str
    approve_permission: str
    configure_permission: str
    number_prefix: str = ""
    yearly_numbering: bool = True
    signature_type: str = SignatureType.APPROVAL
    workflow_template: str = ""
    configurable_kinds: frozenset[str] | None = EDITABLE_KINDS
    transition_guards: Mapping[str, tuple[Guard, ...]] = field(default_factory=dict)
    state_guards: Mapping[str, tuple[Guard, ...]] = field(default_factory=dict)
    approval_checks: tuple[ApprovalCheck, ...] = ()
    lock_related: tuple[str, ...] = ()
    page_namespace: str = ""
    # Hooks (see register_record_type).
    display: Callable[[Any], str]
    approval_intent: Callable[[Any], str]
    transition_intent: Callable[[Any, WorkflowTransition], str]
    instance_of: Callable[[Any], WorkflowInstance | None]
    signed_object: Callable[[Any], models.Model]
    sync: Callable[..., None]
    authors: Callable[[Any, WorkflowInstance], set[int]]
    visible: Callable[[Any], QuerySet]
    details_visible: Callable[[Any, Any], bool]
    cycle_labels: Callable[[Any, list[WorkflowInstance]], dict[int, str]]
    signature_targets: Callable[[Any], list[SignatureTarget]]
    signature_visible: Callable[[Any, Any, str | None], bool]
    event_data: Callable[[Any, WorkflowInstance], dict] | None = None

    def approve_permission_for(self, instance: WorkflowInstance) -> str:
        """The codename an approver needs: the workflow template's own, else the record type's."""
        return instance.template.approve_permission or self.approve_permission

    def guards_for(self, transition: WorkflowTransition) -> list[Guard]:
        return [*self.transition_guards.get(transition.name, ()), *self.state_guards.get(transition.to_state.name, ())]

    def all_approval_checks(self) -> list[ApprovalCheck]:
        """This type's approval checks, then the global ones."""
        return [*self.approval_checks, *_APPROVAL_CHECKS]

    def next_number(self, *, year: int | None = None) -> str:
        """The next number of this type (`PREFIX-YYYY-NNNN`); inside the creating transaction."""
        from .numbering import next_number

        return next_number(self.number_prefix, yearly=self.yearly_numbering, year=year)

    def default_template(self) -> WorkflowTemplate:
        """The current version of the type's default workflow template (`workflow_template`)."""
        if not self.workflow_template:
            raise LookupError(f"Record type {self.resource_type!r} names no default workflow template.")
        return WorkflowTemplate.objects.get(name=self.workflow_template, is_current=True)

    def detail_url(self, record) -> str:
        return record.get_absolute_url()


_REGISTRY: dict[str, RecordType] = {}
_APPROVAL_CHECKS: list[ApprovalCheck] = []


def register_record_type(
    model: type[models.Model],
    *,
    resource_type: str,
    view_permission: str,
    approve_permission: str,
    configure_permission: str,
    label: str = "",
    number_prefix: str = "",
    yearly_numbering: bool = True,
    signature_type: str = SignatureType.APPROVAL,
    workflow_template: str = "",
    configurable_kinds: Iterable[str] | None = EDITABLE_KINDS,
    transition_guards: Mapping[str, Iterable[Guard]] | None = None,
    state_guards: Mapping[str, Iterable[Guard]] | None = None,
    approval_checks: Iterable[ApprovalCheck] = (),
    lock_related: Iterable[str] = (),
    page_namespace: str = "",
    signature_content: Callable[[Any], dict] | None = None,
    display: Callable[[Any], str] | None = None,
    approval_intent: Callable[[Any], str] | None = None,
    transition_intent: Callable[[Any, WorkflowTransition], str] | None = None,
    instance_of: Callable[[Any], WorkflowInstance | None] | None = None,
    signed_object: Callable[[Any], models.Model] | None = None,
    sync: Callable[..., None] | None = None,
    authors: Callable[[Any, WorkflowInstance], set[int]] | None = None,
    visible: Callable[[Any], QuerySet] | None = None,
    details_visible: Callable[[Any, Any], bool] | None = None,
    cycle_labels: Callable[[Any, list[WorkflowInstance]], dict[int, str]] | None = None,
    signature_targets: Callable[[Any], list[SignatureTarget]] | None = None,
    signature_visible: Callable[[Any, Any, str | None], bool] | None = None,
    can_sign: Callable[[Any, Any], bool] | None = None,
    signatures_visible_filter: Callable | None = None,
    direct_meanings: Callable | None = None,
    event_data: Callable[[Any, WorkflowInstance], dict] | None = None,
) -> RecordType:
    """Registers `model` as a controlled record type (call it from AppConfig.ready(); calling it
    again for the same model replaces the registration).

    The record model has a `workflow_instance` foreign key (or pass `instance_of`), a
    `get_absolute_url()` for the pages, and `signature_content()` (or pass `signature_content`):
    the record is registered as signable under `resource_type`. Defaults of the hooks:

    - display(record): its `number`, else str(record)
    - approval_intent(record) / transition_intent(record, transition): "I approve DEV-2026-0001." /
      "Close: DEV-2026-0001."
    - instance_of(record): record.workflow_instance; signed_object(record): the record itself
    - sync(record, outcome, actor): status = the new state's name, row_version + 1, saved
    - authors(record, instance): {instance.author_id} (they may not approve unless the state allows)
    - visible(user): every record for holders of `view_permission`, none otherwise
    - details_visible(user, record): True (history, approvals and progress shown to every viewer)
    - cycle_labels(record, instances): {} (documents label each workflow cycle with its version)
    - signature_targets(record): the record itself; signature_visible(user, record, label): True
    - can_sign(user, record): the record is among `visible(user)` (who may view a record may sign it);
      signatures_visible_filter(user): signatures of the records in `visible(user)` are listed;
      direct_meanings(record): audit.signatures' default (review, authorship, responsibility; never
      approval, which is given only through `approve_record`)
    - event_data(record, instance): none (the engine's events carry the workflow's data only)
    """
    from audit.signatures import register_signable

    existing = _REGISTRY.get(resource_type)
    if existing is not None and existing.model is not model:
        raise ValueError(f"Record type {resource_type!r} is already registered for {existing.model.__name__}.")
    label = label or str(model._meta.verbose_name).capitalize()
    display = display or _display
    record_type = RecordType(
        model=model,
        resource_type=resource_type,
        label=label,
        view_permission=view_permission,
        approve_permission=approve_permission,
        configure_permission=configure_permission,
        number_prefix=number_prefix,
        yearly_numbering=yearly_numbering,
        signature_type=signature_type,
        workflow_template=workflow_template,
        configurable_kinds=frozenset(configurable_kinds) if configurable_kinds is not None else None,
        transition_guards={name: tuple(guards) for name, guards in (transition_guards or {}).items()},
        state_guards={name: tuple(guards) for name, guards in (state_guards or {}).items()},
        approval_checks=tuple(approval_checks),
        lock_related=tuple(lock_related),
        page_namespace=page_namespace or model._meta.app_label,
        display=display,
        approval_intent=approval_intent or (lambda record: f"I approve {display(record)}."),
        transition_intent=transition_intent or (lambda record, transition: f"{transition.label}: {display(record)}."),
        instance_of=instance_of or _workflow_instance,
        signed_object=signed_object or _itself,
        sync=sync or default_sync,
        authors=authors or _instance_author,
        visible=visible or partial(_visible_with_permission, model, view_permission),
        details_visible=details_visible or _always,
        cycle_labels=cycle_labels or _no_labels,
        signature_targets=signature_targets or partial(_the_record, resource_type),
        signature_visible=signature_visible or _always,
        event_data=event_data,
    )
    register_signable(
        resource_type,
        model,
        content=signature_content,
        view_permission=view_permission,
        label=label,
        can_view=can_sign or partial(_among_visible, record_type.visible),
        visible_ids=None if signatures_visible_filter else partial(_visible_ids, record_type.visible),
        visible_filter=signatures_visible_filter,
        direct_meanings=direct_meanings,
    )
    _REGISTRY[resource_type] = record_type
    return record_type


def _among_visible(visible, user, record) -> bool:
    return visible(user).filter(pk=record.pk).exists()


def _visible_ids(visible, user):
    return visible(user).values("pk")


def register_approval_check(check: ApprovalCheck) -> None:
    """Adds a check every record type runs before an approval or a signed transition is signed:
    `check(actor=, record=, instance=, state=)` raising a qms.errors.DomainError to refuse (e.g. the
    training module's 403 TRAINING_REQUIRED). The kit never imports the app that registers it."""
    if check not in _APPROVAL_CHECKS:
        _APPROVAL_CHECKS.append(check)


def unregister_approval_check(check: ApprovalCheck) -> None:
    if check in _APPROVAL_CHECKS:
        _APPROVAL_CHECKS.remove(check)


def record_type(resource_type: str) -> RecordType:
    try:
        return _REGISTRY[resource_type]
    except KeyError:
        raise LookupError(f"No controlled record type {resource_type!r} is registered.") from None


def record_type_for(record_or_model) -> RecordType:
    """The registered type of a record (or model class)."""
    model = record_or_model if isinstance(record_or_model, type) else type(record_or_model)
    found = record_type_of_model(model)
    if found is None:
        raise LookupError(f"{model.__name__} is not a registered controlled record type.")
    return found


def record_type_of_model(model) -> RecordType | None:
    for registered in _REGISTRY.values():
        if issubclass(model, registered.model):
            return registered
    return None


def record_type_of_instance(instance: WorkflowInstance) -> RecordType | None:
    """The registered type of the record a workflow instance belongs to (None: not registered)."""
    model = instance.content_type.model_class()
    return record_type_of_model(model) if model is not None else None


def registered() -> dict[str, RecordType]:
    return dict(_REGISTRY)


# --- defaults ------------------------------------------------------------------------------------------


def default_sync(record, outcome, actor) -> None:
    """The record's `status` follows the workflow state; `row_version` moves on."""
    fields = []
    names = {f.name for f in record._meta.concrete_fields}
    if "status" in names:
        record.status = outcome.instance.current_state.name
        fields.append("status")
    if "row_version" in names:
        record.row_version += 1
        fields.append("row_version")
    if "updated_at" in names:
        fields.append("updated_at")
    if fields:
        record.save(update_fields=fields)


def _display(record) -> str:
    return str(getattr(record, "number", "") or record)


def _workflow_instance(record) -> WorkflowInstance | None:
    return record.workflow_instance


def _itself(record):
    return record


def _instance_author(record, instance) -> set[int]:
    return {instance.author_id} if instance.author_id else set()


def _visible_with_permission(model, codename: str, user) -> QuerySet:
    manager = model._default_manager
    return manager.all() if has(user, codename) else manager.none()


def _always(*args) -> bool:
    return True


def _no_labels(record, instances) -> dict[int, str]:
    return {}


def _the_record(resource_type: str, record) -> list[SignatureTarget]:
    return [SignatureTarget(resource_type, record)]
