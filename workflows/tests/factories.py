"""factory_boy factories for the workflow engine, made through its services (validated, audited).

template = WorkflowTemplateFactory()                       # "Approval n": review → approved
template = WorkflowTemplateFactory(role="QA", required_approvals=2, approve_permission="capa.edit")
template = WorkflowTemplateFactory(definition={...})       # any definition
"""

import factory

from workflows import services
from workflows.models import WorkflowTemplate


def approval_definition(
    name: str,
    *,
    role: str = "QA Manager",
    required_approvals: int = 1,
    approve_permission: str = "",
    author_may_approve: bool = False,
) -> dict:
    """The smallest approval workflow: two states, `review` (initial, where `required_approvals`
    holders of `role` approve) and `approved` (terminal), joined by the automatic approval step."""
    return {
        "name": name,
        "description": "Two-state approval",
        "approve_permission": approve_permission,
        "states": [
            {
                "name": "review",
                "label": "Review",
                "kind": "in_review",
                "is_initial": True,
                "author_may_approve": author_may_approve,
                "approval_rules": [{"kind": "role", "role": role, "required_approvals": required_approvals}],
            },
            {"name": "approved", "label": "Approved", "kind": "approved", "is_terminal": True},
        ],
        "transitions": [{"name": "approve", "from_state": "review", "to_state": "approved", "trigger": "approval"}],
    }


class WorkflowTemplateFactory(factory.Factory):
    """A current workflow template version, created by `actor` (default: the system)."""

    class Meta:
        model = WorkflowTemplate

    class Params:
        role = "QA Manager"
        required_approvals = 1
        approve_permission = ""
        author_may_approve = False

    name = factory.Sequence(lambda n: f"Approval {n}")
    actor = None
    definition = factory.LazyAttribute(
        lambda o: approval_definition(
            o.name,
            role=o.role,
            required_approvals=o.required_approvals,
            approve_permission=o.approve_permission,
            author_may_approve=o.author_may_approve,
        )
    )

    @classmethod
    def _create(cls, model_class, *, name, actor, definition):
        return services.create_template(actor=actor, definition={**definition, "name": definition.get("name") or name})

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("Workflow templates are made through workflows.services (use create()).")
