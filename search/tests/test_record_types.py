"""Deviations and training programs in search: indexed on their own events (report, update; program
created, changed, retired, deleted), found by meaning and by words, filtered, and only by those
who may see them (reporters their own deviations; draft programs only for training managers)."""

import io

import pytest
from django.core.management import call_command

from deviations import services as deviation_services
from search import vectorstore
from search.models import IndexedRecord, SearchChunk
from training import services as training_services

from .helpers import run_on_commit
from .records import close_deviation, create_program, report_deviation

pytestmark = pytest.mark.django_db


@pytest.fixture
def reporter(make_user):
    return make_user("User", username="reporter", full_name="Ray Reporter")


@pytest.fixture
def other_user(make_user):
    return make_user("User", username="other", full_name="Otto Other")


@pytest.fixture
def deviations(django_capture_on_commit_callbacks, reporter, other_user):
    capture = django_capture_on_commit_callbacks
    return {
        "glass": report_deviation(
            capture,
            reporter=reporter,
            title="Glass fragments in filled vials",
            description="Glass splinters were found in three vials after filling on line 2.",
            category="Equipment",
        ),
        "label": report_deviation(
            capture,
            reporter=other_user,
            title="Wrong expiry date on cartons",
            description="Cartons were printed with an expiry date one year too late.",
            severity="Medium",
            category="Process",
        ),
    }


def hits(client, **params):
    response = client.get("/api/search/", params)
    assert response.status_code == 200, response.content
    return response.json()


def ids_of(body, resource_type):
    return {item["id"] for item in body["items"] if item["resource_type"] == resource_type}


def test_a_reported_deviation_is_indexed_and_found_by_meaning_and_words(client_for, qa, deviations):
    glass = deviations["glass"]
    state = IndexedRecord.objects.get(resource_type="deviation", resource_id=glass.pk)
    assert state.status == "indexed" and state.chunk_count == 2
    assert vectorstore.count("deviation") == SearchChunk.objects.filter(resource_type="deviation").count()

    body = hits(client_for(qa), q="broken glass shards in a vial", type="deviation")
    top = body["items"][0]
    assert (top["resource_type"], top["id"], top["number"]) == ("deviation", glass.pk, glass.number)
    assert top["status"] == "reported" and top["category"] == "Equipment" and top["version"] is None
    assert top["url"] == f"/deviations/{glass.pk}/" and "semantic" in top["matched"]
    by_words = hits(client_for(qa), q="expiry cartons", type="deviation")
    assert by_words["items"][0]["id"] == deviations["label"].pk
    assert "<mark>expiry</mark>" in by_words["items"][0]["snippet"]


@pytest.mark.requirement("QMS-SEARCH")
def test_reporters_find_only_their_own_deviations(client_for, reporter, qa, make_user, deviations):
    both = {deviations["glass"].pk, deviations["label"].pk}
    assert ids_of(hits(client_for(qa), q="vials cartons expiry glass", type="deviation"), "deviation") == both

    mine = hits(client_for(reporter), q="vials cartons expiry glass", type="deviation")
    assert ids_of(mine, "deviation") == {deviations["glass"].pk} and mine["total"] == 1
    assert "Cartons" not in str(mine["items"])

    auditor = make_user("Auditor", username="auditor2")  # deviations.view: every deviation
    assert ids_of(hits(client_for(auditor), q="vials cartons expiry glass", type="deviation"), "deviation") == both


def test_someone_who_neither_reports_nor_views_deviations_gets_no_deviation_hits(client_for, make_user, deviations):
    from accounts.models import Permission, Role

    role = Role.objects.create(name="Search only")
    role.permissions.set(Permission.objects.filter(codename__in=["search.use", "documents.view"]))
    user = make_user(None, username="searcher")
    user.role = role
    user.save()
    body = hits(client_for(user), q="glass vials")
    assert ids_of(body, "deviation") == set() and body["total"] == 0


@pytest.mark.requirement("QMS-SEARCH")
def test_an_update_reindexes_the_deviation(django_capture_on_commit_callbacks, client_for, qa, deviations):
    glass = deviations["glass"]
    run_on_commit(
        django_capture_on_commit_callbacks,
        deviation_services.update_deviation,
        actor=qa,
        deviation=glass,
        changes={"root_cause": "A worn star wheel chipped the vial shoulders.", "root_cause_method": "five_whys"},
        reason="Root cause found",
        row_version=glass.row_version,
    )
    body = hits(client_for(qa), q="worn star wheel", type="deviation")
    assert body["items"][0]["id"] == glass.pk and "<mark>wheel</mark>" in body["items"][0]["snippet"]
    assert vectorstore.count("deviation") == SearchChunk.objects.filter(resource_type="deviation").count()


def test_deviation_filters_status_category_and_dates(django_capture_on_commit_callbacks, client_for, qa, manager, deviations):
    close_deviation(django_capture_on_commit_callbacks, deviations["label"], qa=qa, manager=manager)
    client = client_for(qa)
    assert ids_of(hits(client, q="cartons vials glass", type="deviation", status="closed"), "deviation") == {
        deviations["label"].pk
    }
    assert ids_of(hits(client, q="cartons vials glass", type="deviation", category="equipment"), "deviation") == {
        deviations["glass"].pk
    }
    assert hits(client, q="cartons vials glass", type="deviation", date_to="2000-01-01")["total"] == 0
    # Documents' own filter (document_type) leaves deviations out.
    assert ids_of(hits(client, q="cartons vials glass", document_type="SOP"), "deviation") == set()


@pytest.fixture
def programs(django_capture_on_commit_callbacks, manager):
    capture = django_capture_on_commit_callbacks
    return {
        "aseptic": create_program(
            capture,
            manager=manager,
            title="Aseptic technique for operators",
            description="Working in the laminar airflow without interrupting first air; glove disinfection.",
        ),
        "draft": create_program(
            capture,
            manager=manager,
            title="Data integrity refresher",
            description="ALCOA+ principles for electronic batch records and audit trail review.",
            status="DRAFT",
            category="COMPLIANCE",
        ),
    }


@pytest.mark.requirement("QMS-SEARCH")
def test_training_programs_are_found_drafts_only_by_training_managers(client_for, manager, reader, programs):
    body = hits(client_for(reader), q="first air laminar flow glove disinfection", type="training")
    top = body["items"][0]
    assert (top["resource_type"], top["id"], top["status"]) == ("training", programs["aseptic"].pk, "PUBLISHED")
    assert top["url"] == f"/training/programs/{programs['aseptic'].pk}/" and top["number"] == "GMP training"

    hidden = hits(client_for(reader), q="ALCOA data integrity audit trail", type="training")
    assert programs["draft"].pk not in ids_of(hidden, "training") and "ALCOA" not in str(hidden["items"])
    seen = hits(client_for(manager), q="ALCOA data integrity audit trail", type="training")
    assert ids_of(seen, "training") >= {programs["draft"].pk}
    assert ids_of(hits(client_for(manager), q="ALCOA integrity", type="training", status="draft"), "training") == {
        programs["draft"].pk
    }
    assert ids_of(hits(client_for(manager), q="ALCOA integrity aseptic", type="training", category="gmp"), "training") == {
        programs["aseptic"].pk
    }


@pytest.mark.requirement("QMS-SEARCH")
def test_program_changes_retirement_and_deletion_update_the_index(
    django_capture_on_commit_callbacks, client_for, manager, programs
):
    capture = django_capture_on_commit_callbacks
    aseptic = programs["aseptic"]
    run_on_commit(
        capture,
        training_services.update_program,
        actor=manager,
        program=aseptic,
        data={"description": "Smoke studies show how turbulence reaches the open vials."},
        reason="New content",
    )
    assert ids_of(hits(client_for(manager), q="smoke studies turbulence", type="training"), "training") == {aseptic.pk}
    assert "first air" not in " ".join(SearchChunk.objects.filter(resource_type="training").values_list("text", flat=True))

    run_on_commit(
        capture, training_services.retire_program, actor=manager, program=aseptic, reason="Replaced by the new aseptic course"
    )
    retired = hits(client_for(manager), q="smoke studies turbulence", type="training", status="retired")
    assert ids_of(retired, "training") == {aseptic.pk}

    draft = programs["draft"]
    outcome = run_on_commit(
        capture,
        training_services.delete_or_retire_program,
        actor=manager,
        program=draft,
        reason="Never used, not needed any more",
    )
    assert outcome == "deleted"
    assert not SearchChunk.objects.filter(resource_type="training", resource_id=draft.pk).exists()
    assert not IndexedRecord.objects.filter(resource_type="training", resource_id=draft.pk).exists()
    assert vectorstore.count("training") == SearchChunk.objects.filter(resource_type="training").count()


def test_reindex_by_type_and_search_status_list_the_new_types(deviations, programs):
    SearchChunk.objects.filter(resource_type__in=["deviation", "training"]).delete()
    IndexedRecord.objects.filter(resource_type__in=["deviation", "training"]).delete()
    out = io.StringIO()
    call_command("reindex", "--type", "deviation", "--type", "training", "--no-progress", stdout=out, stderr=io.StringIO())
    assert "deviation: 2 records: 2 indexed" in out.getvalue()
    assert "training: 2 records: 2 indexed" in out.getvalue()
    status = io.StringIO()
    call_command("search_status", stdout=status)
    lines = {line.split()[0]: line.split() for line in status.getvalue().splitlines()[2:]}
    assert lines["deviation"][1:4] == ["2", "2", "0"] and lines["training"][1:4] == ["2", "2", "0"]


def test_the_search_page_filters_deviations_by_status(client, qa, deviations):
    client.force_login(qa)
    page = client.get("/search/", {"q": "glass vials", "type": "deviation", "status": "reported"})
    assert page.status_code == 200
    html = page.content.decode()
    assert deviations["glass"].number in html and 'value="under_investigation"' in html
    assert 'value="retired"' in html  # training statuses are offered too


def test_the_index_status_page_shows_counts_and_lag_per_type_to_administrators(client, author, qa, deviations, programs):
    client.force_login(author)  # an Admin
    page = client.get("/search/status/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("document", "deviation", "training"):
        assert f'data-type="{name}"' in html
    assert "reachable" in html and "Lag" in html
    client.force_login(qa)
    assert client.get("/search/status/").status_code == 403
