"""The assistant page: your conversations, a question about selected documents, answers with
citations linking to the document (and page). Hidden when the assistant is not configured."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from documents import selectors as document_selectors
from qms.errors import DomainError
from qms.pages import message_for, permission_required

from . import provider, services
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
