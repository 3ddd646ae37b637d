"""What "the audit trail of DEV-2026-0001" includes (audit.subjects: the subject, the root record an
audit event or signature belongs to).

An inspector asks for the trail of a deviation and expects everything that happened to it: its
report (with the answers as given on the form and the files' checksums), every change with its
reason, its workflow steps and signatures, and what happened to its parts:

- an attachment (a file of the report form's image and file fields, or one added during the
  investigation) belongs to its deviation: each download is audited as an event of the attachment,
  under the deviation;
- a related item (a link to a document version, another deviation or a CAPA) belongs to the
  deviation holding it: linking and removing it (with the reason) are events of the link, under
  the deviation.

Report forms, categories, areas and due-date rules are configuration: their own subjects.
"""

from audit.subjects import register_subject

from .models import Attachment, Link


def register() -> None:
    """Called from DeviationsConfig.ready()."""
    register_subject(Attachment.audit_resource_type, Attachment, parent="deviation")
    register_subject(Link.audit_resource_type, Link, parent="deviation")
