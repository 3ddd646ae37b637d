"""CAPAs as a controlled record type of the workflow kit (workflows.records).

The kit gives the transitions (approve draft with the QA Manager's electronic signature, start
work, submit for the effectiveness check, return, cancel with a reason and a signature), closing by
approval (a QA Manager's electronic signature in "pending effectiveness"), the workflow status,
history and signatures, the pages and the numbers (CAPA-2026-0001). What is particular to CAPAs is
declared here:

- a CAPA leaves "in progress" only when none of its actions is open and at least one is done;
- closing needs every action done (or cancelled), and the latest recorded effectiveness review
  `effective` with no review still pending: a guard on entering `closed`, which refuses with
  422 TRANSITION_BLOCKED naming what is missing;
- the CAPA plan approval signs with the intent "CAPA plan approval: ...", and approving the draft
  emits `capa.draft_approved` whichever way it was given (API, page, service);
- holders of capa.view see every CAPA; holders of capa.work the CAPAs they own or hold an action in;
- the signatures of a CAPA include those of its effectiveness reviews;
- `closed_at` follows the workflow.
"""

from __future__ import annotations

from django.utils import timezone

from audit.models import SignatureType
from qms.events import emit
from workflows.models import StateKind
from workflows.records import SignatureTarget, register_record_type

from . import defaults, selectors
from .events import CapaEvent
from .models import ActionStatus, Capa, EffectivenessReview, ReviewResult

RESOURCE_TYPE = "capa"
REVIEW_RESOURCE_TYPE = "capa_effectiveness_review"
WORKFLOW_TEMPLATE = defaults.CAPA_HANDLING["name"]
CONFIGURABLE_KINDS = (StateKind.DRAFT, StateKind.OPEN, StateKind.IN_PROGRESS)
LOCK_RELATED = ("owner", "created_by", "workflow_instance__current_state")


def actions_problems(*, actor, record: Capa, instance, transition):
    """A CAPA leaves "in progress" (or is closed) only with its action plan done."""
    statuses = list(record.actions.values_list("sequence", "status"))
    open_ones = [sequence for sequence, status in statuses if status == ActionStatus.OPEN]
    if open_ones:
        listed = ", ".join(str(n) for n in open_ones)
        yield (["actions"], f"{record.number} still has open actions ({listed}): complete or cancel them first.")
    elif not any(status == ActionStatus.DONE for _, status in statuses):
        yield (["actions"], f"{record.number} has no completed action: its action plan must be carried out first.")


def effectiveness_problems(*, actor, record: Capa, instance, transition):
    """Closing needs the latest recorded review effective, no review still pending, and no action
    completed after that review (it judged the CAPA as it was then)."""
    reviews = list(record.effectiveness_reviews.order_by("sequence").values_list("sequence", "result", "reviewed_at"))
    pending = [sequence for sequence, result, _ in reviews if result == ReviewResult.PENDING]
    recorded = [(reviewed_at, sequence, result) for sequence, result, reviewed_at in reviews if result != ReviewResult.PENDING]
    latest = max(recorded)[2] if recorded else None
    if latest != ReviewResult.EFFECTIVE:
        yield (
            ["effectiveness"],
            f"{record.number} cannot be closed without an effectiveness review with the result 'effective'"
            + (" (the latest one found it not effective)." if latest == ReviewResult.NOT_EFFECTIVE else "."),
        )
    elif pending:
        yield (["effectiveness"], f"{record.number} still has a pending effectiveness review ({pending[0]}).")
    else:
        reviewed_at = max(recorded)[0]
        later = record.actions.filter(status=ActionStatus.DONE, completed_at__gt=reviewed_at).order_by("sequence").first()
        if later is not None:
            yield (
                ["effectiveness"],
                f"Action {later.sequence} of {record.number} was completed after the last effectiveness review: "
                "record a new review of the CAPA as it is now.",
            )


def closing_problems(*, actor, record: Capa, instance, transition):
    yield from actions_problems(actor=actor, record=record, instance=instance, transition=transition)
    yield from effectiveness_problems(actor=actor, record=record, instance=instance, transition=transition)


def follow_workflow(record: Capa, outcome, actor) -> None:
    """The CAPA's status is its workflow state; closing stamps `closed_at`. Approving the draft
    (the plan) is announced as `capa.draft_approved`."""
    state = outcome.instance.current_state
    record.status = state.name
    record.closed_at = timezone.now() if state.kind == StateKind.CLOSED else None
    record.row_version += 1
    record.save(update_fields=["status", "closed_at", "row_version", "updated_at"])
    for entry in outcome.transitions:
        if entry.transition_name == defaults.APPROVE_DRAFT:
            emit(
                CapaEvent.DRAFT_APPROVED,
                record,
                actor=actor,
                data={**event_data(record), "signature_id": entry.signature_id, "approved_by": getattr(actor, "pk", None)},
            )


def event_data(record: Capa, instance=None) -> dict:
    """What every CAPA event carries."""
    return {"number": record.number, "title": record.title, "owner_id": record.owner_id}


def _transition_intent(capa: Capa, transition) -> str:
    if transition.name == defaults.APPROVE_DRAFT:
        return plan_approval_intent(capa)
    return f"{transition.label}: {capa.number} ({capa.title})."


def plan_approval_intent(capa: Capa) -> str:
    return f"CAPA plan approval: I approve the plan of {capa.number} ({capa.title}) and release it for execution."


def signature_targets(capa: Capa) -> list[SignatureTarget]:
    """The CAPA itself (plan approval, closure, cancellation) and its effectiveness reviews."""
    reviews = EffectivenessReview.objects.filter(capa=capa).select_related("capa").order_by("sequence")
    return [
        SignatureTarget(RESOURCE_TYPE, capa),
        *(SignatureTarget(REVIEW_RESOURCE_TYPE, review, f"Effectiveness review {review.sequence}") for review in reviews),
    ]


def register() -> None:
    register_record_type(
        Capa,
        resource_type=RESOURCE_TYPE,
        label="CAPA",
        view_permission="capa.view",
        approve_permission="capa.approve",
        configure_permission="capa.edit",
        number_prefix="CAPA",
        workflow_template=WORKFLOW_TEMPLATE,
        configurable_kinds=CONFIGURABLE_KINDS,
        transition_guards={defaults.SUBMIT_FOR_EFFECTIVENESS: [actions_problems]},
        state_guards={"closed": [closing_problems]},
        lock_related=LOCK_RELATED,
        approval_intent=lambda capa: (
            f"I approve the closure of {capa.number} ({capa.title}): its actions are done and found effective."
        ),
        transition_intent=_transition_intent,
        sync=follow_workflow,
        visible=selectors.visible_capas,
        signature_targets=signature_targets,
        can_sign=lambda user, capa: selectors.visible_capas(user).filter(pk=capa.pk).exists(),
        event_data=event_data,
    )


def _visible_review_ids(user):
    reviews = EffectivenessReview.objects.all()
    if not selectors.sees_all(user):
        reviews = reviews.filter(capa__in=selectors.visible_capas(user).values("pk"))
    return reviews.values("pk")


def register_review_signatures() -> None:
    """Effectiveness reviews are signed by their reviewer (meaning: effectiveness), in the CAPA's trail."""
    from audit.signatures import register_signable

    register_signable(
        REVIEW_RESOURCE_TYPE,
        EffectivenessReview,
        view_permission=None,
        label="CAPA effectiveness review",
        can_view=lambda user, review: selectors.visible_capas(user).filter(pk=review.capa_id).exists(),
        visible_ids=_visible_review_ids,
        direct_meanings={SignatureType.EFFECTIVENESS},
        subject="capa",
    )
