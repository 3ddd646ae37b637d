"""Pages: the audit trail (filters, paging, exports), a record's history and signatures, signing, chain check."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from qms.errors import DomainError
from qms.pages import login_required, message_for, permission_required

from . import actions, selectors, services, signatures
from .filters import AuditEventFilter
from .forms import SignatureForm

PAGE_SIZE = 50


def action_choices() -> list[tuple[str, str]]:
    """Every action of every module (the catalogue), plus any other value found in the trail."""
    known = dict(actions.choices())
    recorded = selectors.audit_events().order_by().values_list("action", flat=True).distinct()
    for value in recorded:
        known.setdefault(value, value.replace("_", " ").capitalize())
    return sorted(known.items())


@permission_required("audit.view")
def event_list(request):
    params = request.GET.copy()
    params.pop("page", None)
    filterset = AuditEventFilter(params, queryset=selectors.audit_events().order_by("-sequence"))
    events = filterset.qs if filterset.is_valid() else selectors.audit_events().none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/event_list.html",
        {
            "filter_form": filterset.form,
            "page": page,
            "query": params.urlencode(),
            "users": get_user_model().objects.order_by("username").values_list("pk", "username"),
            "actions": action_choices(),
            "can_export": request.user.has_qms_permission("audit.export"),
            "can_verify": request.user.has_qms_permission("audit.verify"),
        },
    )


@login_required
def record_detail(request, resource_type: str, resource_id: int):
    """A record's audit history and electronic signatures, with the signature dialog when it can be signed."""
    user = request.user
    can_view_history = user.has_qms_permission("audit.view")
    can_view_signatures = user.has_qms_permission("signatures.view")
    if not (can_view_history or can_view_signatures):
        raise PermissionDenied("You need the 'audit.view' or 'signatures.view' permission to open this page.")
    signable = signatures.registered_types().get(resource_type)
    if signable is not None and signable.view_permission and not user.has_qms_permission(signable.view_permission):
        can_view_signatures = False  # the record and its signed content are not this user's to see
        if not can_view_history:
            raise PermissionDenied(f"You need the '{signable.view_permission}' permission to open this record.")
    record = None
    if signable is not None and can_view_signatures:
        try:
            record = signatures.get_signable(resource_type, resource_id)
        except DomainError:
            record = None
        if record is not None and not signable.user_can_view(user, record):
            record = None
    meanings = signable.allowed_meanings(record) if record is not None else set()
    can_sign = bool(record is not None and meanings and user.has_qms_permission("signatures.sign"))
    signature_rows = []
    if can_view_signatures:
        visible = selectors.signatures_visible_to(user)
        signature_rows = [
            (sig, signatures.verify(sig)) for sig in selectors.signatures_of_record(resource_type, resource_id, queryset=visible)
        ]
    history = selectors.record_history(resource_type, resource_id) if can_view_history else []
    return render(
        request,
        "audit/record_detail.html",
        {
            "resource_type": resource_type,
            "resource_id": resource_id,
            "label": signable.label if signable else resource_type.replace("_", " ").capitalize(),
            "record": record,
            "history": history,
            "can_view_history": can_view_history,
            "can_view_signatures": can_view_signatures,
            "signature_rows": signature_rows,
            "can_sign": can_sign,
            "meanings": ",".join(m for m in signatures.SignatureType.values if m in meanings),
            "sign_url": reverse("audit:record-sign", args=[resource_type, resource_id]),
            "can_export": can_view_history and user.has_qms_permission("audit.export"),
            "export_query": urlencode({"resource_type": resource_type, "resource_id": resource_id}),
        },
    )


@require_POST
@permission_required("signatures.sign")
def record_sign(request, resource_type: str, resource_id: int):
    back = reverse("audit:record", args=[resource_type, resource_id])
    form = SignatureForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{form.fields[f].label if f in form.fields else f}: {' '.join(e)}" for f, e in form.errors.items())
        messages.error(request, f"Signature not applied. {problems}")
        return redirect(back)
    data = form.cleaned_data
    try:
        record = signatures.get_signable(resource_type, resource_id)
        signature = signatures.sign(
            signer=request.user,
            password=data["password"],
            record=record,
            signature_type=data["signature_type"],
            intent=data["intent"],
            reason=data["reason"],
            resource_type=resource_type,
        )
    except DomainError as exc:
        messages.error(request, message_for(exc))
        return redirect(back)
    messages.success(request, f"Signed: {signature.manifestation_text}")
    return redirect(f"{back}#signature-{signature.pk}")


@permission_required("audit.verify")
def verify_chain(request):
    return render(request, "audit/verify.html", {"result": services.verify_chain()})
