"""Electronic signatures on deviations: which meanings apply in which state, and who may give them.

Through the workflow (workflows.records_services), with the password:

- closing: the QA Manager's approval in QA review, meaning "approval", intent "I approve the
  closure of DEV-2026-0001 (title)." (never the reporter; the root cause, its method and the CAPA
  decision must be filled first);
- cancelling and reopening: signed transitions with the meaning "responsibility" and the reason
  given (the transition's comment).

Directly (POST /api/signatures/, the record's audit page), never "approval":

    state kind          meanings                    who
    open (reported)     authorship                  its reporter: the report as given
    in progress         authorship, responsibility  its owner: the investigation they lead
    in review           review                      a holder of deviations.edit or deviations.approve
                                                    who is neither its reporter nor its owner
    closed, cancelled   none: the record is read-only

A meaning the state does not allow is 409 SIGNATURE_MEANING_NOT_ALLOWED (audit.signatures); a
signer the table does not name is 403 SIGNER_NOT_ELIGIBLE (the check below, registered with
audit.signatures.register_signature_check). Direct signatures also pass the kit's approval checks
(e.g. the training gate) through workflows.records_services.check_direct_signature.
"""

from __future__ import annotations

from qms.errors import PermissionDenied
from qms.permissions import has
from workflows.models import StateKind

from .error_codes import DeviationErrorCode
from .models import Deviation
from .permissions import APPROVE, EDIT

AUTHORSHIP, RESPONSIBILITY, REVIEW = "authorship", "responsibility", "review"
MEANINGS_BY_KIND = {
    StateKind.OPEN: {AUTHORSHIP},
    StateKind.IN_PROGRESS: {AUTHORSHIP, RESPONSIBILITY},
    StateKind.IN_REVIEW: {REVIEW},
}


class SignerNotEligible(PermissionDenied):
    error_code = DeviationErrorCode.SIGNER_NOT_ELIGIBLE


def _state_kind(deviation: Deviation) -> str | None:
    instance = deviation.workflow_instance
    return instance.current_state.kind if instance is not None else None


def direct_meanings(deviation: Deviation) -> set[str]:
    """The meanings a deviation may be signed with directly in its current state."""
    return set(MEANINGS_BY_KIND.get(_state_kind(deviation), set()))


def signer_problem(signer, deviation: Deviation, signature_type: str) -> str | None:
    """Why `signer` may not give this direct signature on the deviation (None: they may)."""
    number = deviation.number
    kind = _state_kind(deviation)
    if signature_type == AUTHORSHIP:
        author_id = deviation.reported_by_id if kind == StateKind.OPEN else deviation.owner_id
        if signer.pk != author_id:
            who = "its reporter" if kind == StateKind.OPEN else "its owner (who investigates it)"
            return f"Only {who} signs {number} as its author."
    elif signature_type == RESPONSIBILITY:
        if signer.pk != deviation.owner_id:
            return f"Only the owner of {number} (who investigates it) signs for the responsibility of its investigation."
    elif signature_type == REVIEW:
        if not (has(signer, EDIT) or has(signer, APPROVE)):
            return f"Reviewing {number} needs the {EDIT} or {APPROVE} permission."
        if signer.pk in (deviation.reported_by_id, deviation.owner_id):
            return f"A review of {number} is given by someone other than its reporter and its owner."
    return None


def check_direct_signature(*, signer, record, resource_type: str, signature_type: str) -> None:
    """Refuses (403 SIGNER_NOT_ELIGIBLE) a direct signature on a deviation by someone the table in
    this module's docstring does not name. Registered from DeviationsConfig.ready()."""
    if not isinstance(record, Deviation):
        return
    problem = signer_problem(signer, record, signature_type)
    if problem:
        raise SignerNotEligible(problem, extra={"signature_type": signature_type})
