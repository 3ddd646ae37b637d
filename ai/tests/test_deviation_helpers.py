"""POST /api/deviations/suggest-severity and GET /api/deviations/similar: the severity from the LLM
(JSON schema, validated, falling back when invalid or down) through the real `openai` client against
the local fake server, or offline from the closed deviations most like the description (weighted
vote over the real index and model); similar deviations with their scores, for those who may see them."""

import json

import pytest

from ai.severity_history import HISTORY
from audit.models import AuditEvent
from deviations.models import Deviation
from qms import searchables as registry
from search import vectorstore
from search.tests.records import close_deviation, report_deviation

pytestmark = pytest.mark.django_db

URL = "/api/deviations/suggest-severity"


@pytest.fixture(autouse=True)
def empty_vector_store(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    vectorstore.reset_client()
    for name in registry.names():
        vectorstore.drop(name)
    yield
    vectorstore.reset_client()


@pytest.fixture
def people(make_user):
    return {
        "reporter": make_user("User", username="reporter", full_name="Ray Reporter"),
        "other": make_user("User", username="other", full_name="Otto Other"),
        "qa": make_user("QA", username="qa", full_name="Quinn QA"),
        "manager": make_user("QA Manager", username="manager", full_name="Mia Manager"),
    }


# Two closed deviations per severity from the demo history, reported by "other".
PICKED = [entry for severity in ("Critical", "High", "Medium", "Low") for entry in [e for e in HISTORY if e[4] == severity][:2]]


@pytest.fixture
def history(django_capture_on_commit_callbacks, people):
    capture = django_capture_on_commit_callbacks
    closed = []
    for title, description, category, _area, severity in PICKED:
        deviation = report_deviation(
            capture, reporter=people["other"], title=title, description=description, severity=severity, category=category
        )
        closed.append(close_deviation(capture, deviation, qa=people["qa"], manager=people["manager"]))
    return closed


def suggest(client, description):
    return client.post(URL, {"description": description}, format="json")


@pytest.mark.requirement("QMS-AI-SUGGESTIONS")
def test_offline_the_closed_deviations_most_like_the_description_vote(client_for, people, history):
    response = suggest(client_for(people["qa"]), "The sterility test of a released batch was positive; vials are at hospitals.")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"severity", "confidence", "rationale", "method"}
    assert body["severity"] == "Critical" and body["method"] == "similar_history"
    assert 0.25 < body["confidence"] < 1.0
    sterility = next(d for d in history if d.title.startswith("Sterility test failure"))
    assert "most similar closed deviations were classified Critical" in body["rationale"]
    assert sterility.number in body["rationale"]

    minor = suggest(client_for(people["qa"]), "A signature is missing in the cleaning logbook; the cleaning was checked.").json()
    assert minor["severity"] == "Low" and minor["method"] == "similar_history"


def test_a_reporter_gets_the_suggestion_without_numbers_of_deviations_they_may_not_see(client_for, people, history):
    body = suggest(client_for(people["reporter"]), "Sterility test positive for a released batch of vials.").json()
    assert body["severity"] == "Critical"
    assert not any(d.number in body["rationale"] for d in history)


def test_open_deviations_do_not_vote_and_without_history_there_is_no_suggestion(
    django_capture_on_commit_callbacks, client_for, people
):
    report_deviation(
        django_capture_on_commit_callbacks,
        reporter=people["reporter"],
        title="Sterility test failure",
        description="Sterility test positive.",
        severity="Critical",
    )
    body = suggest(client_for(people["reporter"]), "Sterility test positive for a released batch.").json()
    assert body == {
        "severity": None,
        "confidence": 0.0,
        "rationale": "No closed deviation is similar enough to suggest a severity from.",
        "method": "similar_history",
    }


@pytest.mark.requirement("QMS-AI-SUGGESTIONS")
def test_with_the_ai_configured_the_model_answers_in_the_json_schema(client_for, people, fake_openai):
    fake_openai.queue(
        {
            "kind": "json",
            "value": {
                "severity": "High",
                "confidence": 0.87,
                "rationale": "Contamination in production indicates potential quality impact",
            },
        }
    )
    response = suggest(client_for(people["qa"]), "Batch contamination detected in production line")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "severity": "High",
        "confidence": 0.87,
        "rationale": "Contamination in production indicates potential quality impact",
        "method": "llm",
    }
    (sent,) = fake_openai.chat_requests()
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["severity"]["enum"] == [
        "Low",
        "Medium",
        "High",
        "Critical",
    ]
    assert "Batch contamination detected in production line" in sent["messages"][-1]["content"]
    event = AuditEvent.objects.get(action="ai_suggest_severity")
    assert event.new_values["model"] == "fake-model" and event.new_values["severity"] == "High"
    assert event.new_values["usage"]["total_tokens"] == 49
    assert "contamination" not in json.dumps(event.new_values).lower()  # the text is never audited


@pytest.mark.parametrize(
    "reply",
    [
        {"kind": "json", "value": {"severity": "Severe", "confidence": 0.9, "rationale": "Bad label"}},
        {"kind": "json", "value": {"severity": "High", "confidence": 7, "rationale": "Out of range"}},
        {"kind": "raw", "text": "High, I think."},
    ],
    ids=["unknown-severity", "confidence-out-of-range", "not-json"],
)
@pytest.mark.requirement("QMS-AI-SUGGESTIONS")
def test_an_invalid_answer_falls_back_to_similar_history(client_for, people, history, fake_openai, reply):
    fake_openai.queue(reply)
    body = suggest(client_for(people["qa"]), "Sterility test positive for a released batch of vials.").json()
    assert body["method"] == "similar_history" and body["severity"] == "Critical"
    event = AuditEvent.objects.get(action="ai_suggest_severity")
    assert event.new_values["outcome"] == "invalid_answer"


def test_a_provider_that_is_down_falls_back_quickly(client_for, people, history, fake_openai, settings):
    settings.AI_MAX_RETRIES = 0
    fake_openai.queue({"kind": "error", "status": 500})
    body = suggest(client_for(people["qa"]), "Sterility test positive for a released batch of vials.").json()
    assert body["method"] == "similar_history" and body["severity"] == "Critical"
    assert AuditEvent.objects.get(action="ai_suggest_severity").new_values["outcome"] == "failed"


def test_without_ai_and_without_the_vector_store_the_suggestion_is_503(client_for, people, settings):
    settings.CHROMA_URL = "http://127.0.0.1:9"
    response = suggest(client_for(people["qa"]), "Anything at all")
    assert response.status_code == 503 and response.json()["error_code"] == "SUGGESTION_UNAVAILABLE"


def test_who_may_ask_and_what_they_must_send(client_for, api_client, people, make_user):
    assert suggest(api_client, "x").status_code == 401
    auditor = make_user("Auditor", username="auditor")  # views deviations, neither reports nor investigates
    assert suggest(client_for(auditor), "x").status_code == 403
    empty = client_for(people["qa"]).post(URL, {"description": "  "}, format="json")
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "description"]


# --- similar deviations ---------------------------------------------------------------------------------


def similar(client, **params):
    return client.get("/api/deviations/similar", params)


def test_similar_deviations_to_a_description_with_their_scores(client_for, people, history):
    body = similar(client_for(people["qa"]), description="ibuprofen was swapped for paracetamol at weighing", limit=3).json()
    assert body["total"] == 3 and len(body["items"]) == 3
    top = body["items"][0]
    mixup = next(d for d in history if d.title == "Wrong active ingredient dispensed")
    assert (top["id"], top["number"], top["severity"], top["status"]) == (mixup.pk, mixup.number, "Critical", "closed")
    assert top["url"] == f"/deviations/{mixup.pk}/" and 0 < top["similarity"] <= 1
    scores = [item["similarity"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_similar_to_a_deviation_leaves_it_out_and_needs_to_see_it(client_for, people, history):
    glass = next(d for d in history if d.title == "Torn seals on filled vials")
    body = similar(client_for(people["qa"]), deviation_id=glass.pk, limit=5).json()
    assert glass.pk not in [item["id"] for item in body["items"]] and body["total"] == 5
    # The reporter sees only what they reported: another's deviation is a 404, and never a hit.
    assert similar(client_for(people["reporter"]), deviation_id=glass.pk).status_code == 404
    assert similar(client_for(people["reporter"]), description="glass in vials").json() == {"items": [], "total": 0}
    assert {i["id"] for i in similar(client_for(people["other"]), description="glass in vials", limit=50).json()["items"]} <= {
        d.pk for d in Deviation.objects.filter(reported_by=people["other"])
    }


def test_similar_needs_one_of_description_or_deviation_id(client_for, people):
    client = client_for(people["qa"])
    assert similar(client).status_code == 422
    assert similar(client, description="x", deviation_id=1).status_code == 422
    assert similar(client, deviation_id="abc").status_code == 422
    assert similar(client, description="x", limit=500).status_code == 422


# --- the report form's severity field -------------------------------------------------------------------


@pytest.mark.requirement("QMS-AI-SUGGESTIONS")
def test_the_report_form_asks_for_the_severity_suggestion_and_keeps_the_one_shown(
    django_capture_on_commit_callbacks, client, people, history
):
    client.force_login(people["reporter"])
    form = client.get("/deviations/report/").content.decode()
    assert 'data-testid="suggest-severity"' in form and 'hx-post="/assistant/deviations/suggest-severity/"' in form

    fragment = client.post(
        "/assistant/deviations/suggest-severity/",
        {"event.description": "Sterility test positive for a released batch of vials.", "target": "classification.severity"},
    )
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert 'data-testid="suggested-severity">Critical<' in html and "a suggestion, you decide" in html
    assert 'data-suggestion-apply="Critical" data-target="classification.severity"' in html
    assert 'name="severity_suggestion"' in html

    empty = client.post("/assistant/deviations/suggest-severity/", {"event.description": " "}).content.decode()
    assert "Describe the deviation first." in empty

    shown = {"severity": "Critical", "confidence": 0.5, "rationale": "Similar history", "method": "similar_history"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/deviations/report/",
            {
                "event.title": "Positive sterility test",
                "event.description": "Sterility test positive for a released batch of vials.",
                "event.occurred_at": "2025-03-01",
                "event.area": "Packaging",
                "classification.category": "Process",
                "classification.severity": "High",
                "immediate_action.immediate_action": "Batch recalled",
                "severity_suggestion": json.dumps(shown),
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    reported = Deviation.objects.get(title="Positive sterility test")
    assert reported.severity == "High" and reported.severity_suggestion == shown


def test_the_suggestion_page_is_for_those_who_report_or_investigate(client, make_user):
    auditor = make_user("Auditor", username="auditor")
    client.force_login(auditor)
    assert client.post("/assistant/deviations/suggest-severity/", {"event.description": "x"}).status_code == 403
