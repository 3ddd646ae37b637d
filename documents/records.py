"""Documents as a controlled record type of the workflow kit (workflows.records).

What is particular to documents is declared here; the kit does the rest (approve, transitions,
approval configuration, the workflow status, the pages):

- a signature applies to the current version (its content: number, version, title, metadata, the
  file's SHA-256), and the document's signatures are those on the document and on its versions,
  each shown under its version label;
- each workflow cycle (revision) is labelled with its version; the uploaders of a cycle's versions
  are its authors (they may not approve it unless the state allows);
- readers (without authoring, reviewing or audit permissions) see only effective documents, not
  their workflow history, and only the effective version's signatures;
- `documents.services.follow_workflow` keeps the versions and the document in line with the
  workflow (supersedes the previous effective version, hands a withdrawn revision back);
- the workflow events of a document name the cycle's version (`version_id`, `version`) and the
  version that was effective when the step began, if another (`previous_effective_version_id`: on
  `document.effective`, the version it supersedes).
"""

from __future__ import annotations

from workflows.records import SignatureTarget, register_record_type

from . import selectors, services, signables
from .models import Document, DocumentVersion


def register() -> None:
    register_record_type(
        Document,
        resource_type="document",
        label="Document",
        view_permission="documents.view",
        approve_permission="documents.approve",
        configure_permission="documents.configure_approval",
        lock_related=services.DOCUMENT_RELATED,
        display=lambda document: document.number,
        approval_intent=services.default_intent,
        transition_intent=_transition_intent,
        signed_object=lambda document: document.current_version,
        sync=services.follow_workflow,
        authors=_authors,
        visible=selectors.document_detail_queryset,
        details_visible=lambda user, document: selectors.sees_all_versions(user),
        cycle_labels=_cycle_labels,
        signature_targets=_signature_targets,
        signature_visible=_signature_visible,
        can_sign=signables.can_view_document,
        signatures_visible_filter=signables.visible_document_signatures,
        direct_meanings=signables.document_meanings,
        event_data=_event_data,
    )


def _transition_intent(document: Document, transition) -> str:
    return f"{transition.label}: {document.number} version {document.current_version.version}."


def _authors(document: Document, instance) -> set[int]:
    """Whoever started the cycle and whoever uploaded one of its versions."""
    uploaders = DocumentVersion.objects.filter(workflow_instance=instance).values_list("created_by_id", flat=True)
    return {instance.author_id, *uploaders} - {None}


def _cycle_labels(document: Document, instances) -> dict[int, str]:
    labels: dict[int, str] = {}
    for version in selectors.document_versions(document):  # the latest version of each cycle names it
        labels[version.workflow_instance_id] = version.version
    return labels


def _signature_targets(document: Document) -> list[SignatureTarget]:
    return [SignatureTarget("document", document)] + [
        SignatureTarget("document_version", version, version.version) for version in selectors.document_versions(document)
    ]


def _signature_visible(user, document: Document, label: str | None) -> bool:
    if selectors.sees_all_versions(user):
        return True
    return label is not None and label == (document.effective_version.version if document.effective_version_id else None)


def _event_data(document: Document, instance) -> dict:
    """Called as the engine emits, before follow_workflow: the document is as it was when the step
    began, so its effective version is the one a version becoming effective supersedes."""
    version = DocumentVersion.objects.filter(workflow_instance=instance).order_by("-major", "-minor").first()
    previous = document.effective_version_id
    return {
        "version_id": version.pk if version else None,
        "version": version.version if version else None,
        "previous_effective_version_id": previous if previous and (version is None or previous != version.pk) else None,
    }
