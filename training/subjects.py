"""What "the audit trail of X" includes for training (audit.subjects: the subject, the root record an
audit event or signature belongs to).

An inspector asks for the trail of a procedure ("SOP-0001") or of a course ("GMP basics"), and
expects to see who was trained on it and when:

- a document's read-and-understood program belongs to the document, and so do its assignments,
  completions (with the trainee's electronic signature and any revocation) and cancellations: the
  trail of SOP-0001 shows who was assigned which version, who read and signed it when, and whose
  open item was cancelled when a new version superseded it;
- any other program is the subject of its assignments, completions and registrations;
- a training audience belongs to its document, or to its document type.

Qualification requirements are their own subject (configuration of the approval gate).
"""

from audit.subjects import register_subject

from .models import Assignment, Registration, TrainingAudience, TrainingProgram


def program_parent(program: TrainingProgram):
    """A read-and-understood program belongs to its document; other programs are roots."""
    if program.read_and_understood_document_id is None:
        return None
    return ("document", program.read_and_understood_document_id)


def program_of(record):
    """The program of an assignment, completion or registration (its parent in the trail)."""
    return record.program


def audience_parent(audience: TrainingAudience):
    if audience.document_id is not None:
        return ("document", audience.document_id)
    return ("document_type", audience.document_type_id)


def register() -> None:
    """Called from TrainingConfig.ready(). Completions are registered with their signatures
    (audit.signatures.register_signable(..., subject=program_of)); a revocation is recorded as an
    event of its completion (action "revoke"), so it has the completion's subject."""
    register_subject("training_program", TrainingProgram, parent=program_parent)
    register_subject("training_assignment", Assignment, parent=program_of)
    register_subject("training_registration", Registration, parent=program_of)
    register_subject("training_audience", TrainingAudience, parent=audience_parent)
