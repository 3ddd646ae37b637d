"""The AI assistant through the real `openai` client against a local OpenAI-compatible server:
grounded chat with citations, generation (and saving as a draft), analysis, and the failures a
provider can have (down, slow, rate limiting, invalid answers)."""

import json
import time

import pytest

from audit.models import AuditEvent
from documents.models import Document
from search.tests.helpers import make_document, make_effective

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(make_user):
    return make_user("Admin", username="author", full_name="Ann Author")


@pytest.fixture
def qa(make_user):
    return make_user("QA", username="qa", full_name="Quinn QA")


@pytest.fixture
def manager(make_user):
    return make_user("QA Manager", username="manager", full_name="Mia Manager")


@pytest.fixture
def reader(make_user):
    return make_user("User", username="reader", full_name="Rita Reader")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def sop(django_capture_on_commit_callbacks, author, qa, manager):
    document = make_document(
        django_capture_on_commit_callbacks,
        author=author,
        title="Cleaning of the filling line",
        pages=[["Purpose: no residue remains."], ["Rinse with purified water until the conductivity is below 5 uS/cm."]],
    )
    return make_effective(django_capture_on_commit_callbacks, document, author=author, qa=qa, manager=manager)


@pytest.fixture
def draft(django_capture_on_commit_callbacks, author):
    return make_document(
        django_capture_on_commit_callbacks, author=author, title="Recall plan", text="Recall of batch 42 (confidential draft)."
    )


def chat(client, **body):
    return client.post("/api/ai/chat", body, format="json")


def test_chat_answers_from_the_given_document_with_citations(fake_openai, client_for, reader, sop):
    response = chat(client_for(reader), message="What is the rinse conductivity limit?", context_documents=[sop.pk])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"]["content"] == fake_openai.default_text and body["suggestion"] is True
    cited = body["citations"][0]
    assert (cited["document_id"], cited["number"], cited["version"], cited["page"]) == (sop.pk, sop.number, "1.0", 2)
    assert "conductivity" in cited["excerpt"]
    sent = fake_openai.chat_requests()[-1]
    assert sent["model"] == "fake-model"
    assert "conductivity is below 5 uS/cm" in sent["messages"][0]["content"]  # the passage was the grounding
    assert sent["messages"][-1] == {"role": "user", "content": "What is the rinse conductivity limit?"}


def test_conversations_are_kept_per_user_and_continue(fake_openai, client_for, reader, qa, sop):
    client = client_for(reader)
    first = chat(client, message="What is the rinse conductivity limit?", context_documents=[sop.pk]).json()
    second = chat(client, message="And which water?", conversation_id=first["conversation_id"]).json()
    assert second["conversation_id"] == first["conversation_id"]
    sent = fake_openai.chat_requests()[-1]["messages"]
    assert [m["role"] for m in sent[1:]] == ["user", "assistant", "user"]  # history went along
    listed = client.get("/api/ai/conversations/").json()
    assert [c["id"] for c in listed["items"]] == [first["conversation_id"]]
    detail = client.get(f"/api/ai/conversations/{first['conversation_id']}").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant", "user", "assistant"]
    other = client_for(qa)
    assert other.get(f"/api/ai/conversations/{first['conversation_id']}").status_code == 404
    assert chat(other, message="x", conversation_id=first["conversation_id"]).status_code == 404


def test_chat_refuses_documents_the_caller_may_not_view(fake_openai, client_for, reader, draft):
    response = chat(client_for(reader), message="Summarise", context_documents=[draft.pk])
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
    assert fake_openai.chat_requests() == []  # nothing was sent to the provider


def test_without_context_documents_the_best_readable_hits_ground_the_answer(fake_openai, client_for, reader, sop, draft):
    body = chat(client_for(reader), message="recall of batch 42 and rinse conductivity").json()
    assert {c["document_id"] for c in body["citations"]} == {sop.pk}  # never the draft a reader may not see
    assert "Recall of batch 42" not in json.dumps(fake_openai.chat_requests()[-1])


def test_every_call_is_audited_without_the_text(fake_openai, client_for, reader, sop):
    chat(client_for(reader), message="What is the rinse conductivity limit?", context_documents=[sop.pk])
    event = AuditEvent.objects.filter(action="ai_chat").get()
    assert event.actor_id == reader.pk and event.new_values["model"] == "fake-model"
    assert event.new_values["context_documents"] == [sop.pk] and event.new_values["usage"]["total_tokens"] == 49
    assert len(event.new_values["prompt_sha256"]) == 64
    stored = json.dumps(event.new_values) + event.summary
    assert "conductivity" not in stored and "rinse" not in stored.lower()


def test_generate_returns_markdown_and_can_save_a_draft(fake_openai, client_for, qa):
    fake_openai.queue({"text": "# Deviation trend report\n\n1. Collect the deviations."})
    body = client_for(qa).post("/api/ai/generate", {"prompt": "Create a quality report", "document_type": "report"}).json()
    assert body["content"].startswith("# Deviation trend report") and body["content_type"] == "text/markdown"
    assert body["document_id"] is None and body["suggestion"] is True

    fake_openai.queue({"text": "# Gowning SOP outline\n\n1. Hairnet."})
    response = client_for(qa).post(
        "/api/ai/generate", {"prompt": "SOP outline for gowning", "document_type": "SOP", "save_as_draft": True}
    )
    assert response.status_code == 200, response.content
    document = Document.objects.get(pk=response.json()["document_id"])
    assert document.status == "draft" and document.title == "Gowning SOP outline" and document.number.startswith("SOP-")
    assert document.created_by == qa and document.current_version.mime_type in ("text/markdown", "text/plain")
    assert AuditEvent.objects.filter(action="ai_generate", resource_type="document", resource_id=document.pk).exists()


def test_saving_a_draft_needs_document_create_and_a_known_type(fake_openai, client_for, reader, qa):
    response = client_for(reader).post("/api/ai/generate", {"prompt": "x", "document_type": "SOP", "save_as_draft": True})
    assert response.status_code == 403
    response = client_for(qa).post("/api/ai/generate", {"prompt": "x", "document_type": "memo", "save_as_draft": True})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "document_type"]
    assert fake_openai.chat_requests() == []


def test_analyze_returns_findings_in_json_mode_part_by_part(fake_openai, client_for, qa, sop, settings):
    settings.AI_CONTEXT_CHARS = 100  # force several parts (map), merged (reduce)
    finding = {
        "finding": "No hold time after cleaning",
        "severity": "high",
        "location": {"page": 2, "section": "3"},
        "excerpt": "Rinse",
    }
    fake_openai.queue({"kind": "json", "value": {"findings": [finding]}}, {"kind": "json", "value": {"findings": [finding]}})
    response = client_for(qa).post("/api/ai/analyze", {"document_id": sop.pk, "instructions": "Identify compliance issues"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["parts"] == 2 and body["findings"] == [finding]  # the same finding twice is reported once
    sent = fake_openai.chat_requests()
    assert all(r["response_format"] == {"type": "json_object"} for r in sent)
    assert "[page 2]" in sent[1]["messages"][1]["content"]


def test_an_invalid_json_answer_is_a_clear_503(fake_openai, client_for, qa, sop):
    fake_openai.queue({"kind": "raw", "text": "Here are my findings: none"})
    response = client_for(qa).post("/api/ai/analyze", {"document_id": sop.pk})
    assert response.status_code == 503 and response.json()["error_code"] == "AI_INVALID_ANSWER"


def test_without_a_key_the_assistant_is_off(client_for, qa, sop):
    for path, body in (("chat", {"message": "hi"}), ("generate", {"prompt": "x"}), ("analyze", {"document_id": sop.pk})):
        response = client_for(qa).post(f"/api/ai/{path}", body, format="json")
        assert response.status_code == 503 and response.json()["error_code"] == "AI_DISABLED"


def test_ai_enabled_false_turns_it_off_even_with_a_key(fake_openai, client_for, qa, settings):
    settings.AI_ENABLED = False
    assert chat(client_for(qa), message="hi").json()["error_code"] == "AI_DISABLED"


def test_a_failing_provider_is_retried_then_503(fake_openai, client_for, qa, sop):
    fake_openai.queue(*[{"kind": "error", "status": 500}] * 3)
    response = chat(client_for(qa), message="hi", context_documents=[sop.pk])
    assert response.status_code == 503 and response.json()["error_code"] == "AI_UNAVAILABLE"
    assert len(fake_openai.chat_requests()) == 3  # the first try and AI_MAX_RETRIES=2 retries
    failed = AuditEvent.objects.get(action="ai_chat", resource_type="ai_call")
    assert (
        failed.actor_id == qa.pk
        and failed.new_values["outcome"] == "failed"
        and failed.new_values["error_code"] == "AI_UNAVAILABLE"
    )
    assert "hi" not in json.dumps(failed.new_values)


def test_a_transient_429_is_retried_after_its_retry_after(fake_openai, client_for, qa, sop):
    fake_openai.queue({"kind": "error", "status": 429, "retry_after": 0.2})
    response = chat(client_for(qa), message="hi", context_documents=[sop.pk])
    assert response.status_code == 200 and len(fake_openai.chat_requests()) == 2


def test_a_client_error_is_not_retried(fake_openai, client_for, qa, sop):
    fake_openai.queue({"kind": "error", "status": 400})
    response = chat(client_for(qa), message="hi", context_documents=[sop.pk])
    assert response.status_code == 503 and len(fake_openai.chat_requests()) == 1


def test_a_slow_provider_is_a_504_within_the_time_budget(fake_openai, client_for, qa, sop, settings):
    settings.AI_TIMEOUT_SECONDS = 1.0
    fake_openai.queue(*[{"kind": "slow", "seconds": 3}] * 3)
    started = time.monotonic()
    response = chat(client_for(qa), message="hi", context_documents=[sop.pk])
    assert response.status_code == 504 and response.json()["error_code"] == "AI_UNAVAILABLE"
    assert time.monotonic() - started < 2.5


def test_an_unreachable_provider_is_a_fast_503(client_for, qa, sop, settings):
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = "sk-test", "http://127.0.0.1:9/v1"
    started = time.monotonic()
    response = chat(client_for(qa), message="hi", context_documents=[sop.pk])
    assert response.status_code == 503 and response.json()["error_code"] == "AI_UNAVAILABLE"
    assert time.monotonic() - started < 5


def test_ai_calls_are_rate_limited_per_user(fake_openai, client_for, qa, reader, sop, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "ai": "2/min"},
    }
    client = client_for(qa)
    assert [chat(client, message="hi", context_documents=[sop.pk]).status_code for _ in range(2)] == [200, 200]
    limited = chat(client, message="hi", context_documents=[sop.pk])
    assert limited.status_code == 429 and limited.json()["error_code"] == "RATE_LIMITED" and int(limited["Retry-After"]) > 0
    assert chat(client_for(reader), message="hi", context_documents=[sop.pk]).status_code == 200  # per user


def test_the_ai_endpoints_need_ai_use(fake_openai, client_for, auditor):
    assert chat(client_for(auditor), message="hi").status_code == 403


def test_the_openai_embedding_backend_uses_the_same_server(fake_openai, settings):
    from search.embedding import OpenAIBackend

    settings.OPENAI_EMBEDDING_MODEL = "fake-embedding"
    vectors = OpenAIBackend(model="fake-embedding").embed(["cleaning", "gowning"])
    assert vectors.shape == (2, 16)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-5
    sent = [r for r in fake_openai.requests if r["path"].endswith("/embeddings")][-1]
    assert sent["body"]["input"] == ["cleaning", "gowning"] and sent["body"]["model"] == "fake-embedding"


def test_a_non_numeric_conversation_id_is_404(client_for, qa):
    response = client_for(qa).get("/api/ai/conversations/abc")
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"
