"""The assistant page: your conversations, a question about selected documents, answers with
citations linking to the document (and page). Hidden when the assistant is not configured.
The severity suggestion of the deviation report form (an htmx fragment; it works without AI)."""

import json

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from documents import selectors as document_selectors
from qms.errors import DomainError
from qms.pages import login_required, message_for, permission_required
from qms.permissions import has

from . import provider, services, severity
from .api import AIRateThrottle
from .forms import ChatForm
from .models import Conversation


@permission_required("ai.use")
def chat_page(request, pk=None):
    conversations = Conversation.objects.filter(user=request.user)[:50]
    conversation = get_object_or_404(Conversation, pk=pk, user=request.user) if pk else None
    documents = document_selectors.document_list(request.user).order_by("number")[:500]
    form = ChatForm(request.POST or None, documents=documents)
    if request.method == "POST" and provider.enabled() and form.is_valid():
        throttle = AIRateThrottle()
        if not throttle.allow_request(request, None):
            messages.error(request, f"Too many assistant requests; try again in {int(throttle.wait() or 1) + 1} s.")
        else:
            try:
                outcome = services.chat(
                    actor=request.user,
                    message=form.cleaned_data["message"],
                    context_documents=[int(i) for i in form.cleaned_data["context_documents"]],
                    conversation_id=conversation.pk if conversation else None,
                )
            except DomainError as exc:
                messages.error(request, message_for(exc))
            else:
                return redirect(reverse("ai:conversation", args=[outcome.conversation.pk]))
    return render(
        request,
        "ai/chat.html",
        {
            "enabled": provider.enabled(),
            "form": form,
            "conversations": conversations,
            "conversation": conversation,
            "chat_messages": conversation.messages.all() if conversation else [],
            "notice": services.NOTICE,
        },
    )


@require_POST
@login_required
def severity_suggestion(request):
    """The report form's severity suggestion (htmx): the description typed so far in, an HTML fragment
    out; with a suggestion, a hidden `severity_suggestion` input the report keeps beside the choice."""
    if not (has(request.user, "deviations.create") or has(request.user, "deviations.edit")):
        return render(request, "ai/severity_suggestion.html", {"error": "You may not report deviations."}, status=403)
    description = next((v for k, v in request.POST.items() if k == "description" or k.endswith(".description")), "")
    context = {"target": request.POST.get("target", "")}
    try:
        suggestion = severity.suggest_severity(actor=request.user, description=description)
    except DomainError as exc:
        context["error"] = "Describe the deviation first." if exc.status_code == 422 else message_for(exc)
    else:
        context.update(suggestion=suggestion, suggestion_json=json.dumps(suggestion.as_dict()))
    return render(request, "ai/severity_suggestion.html", context)
