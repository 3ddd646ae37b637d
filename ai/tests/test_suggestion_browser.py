"""The severity suggestion on the deviation report form in headless Chromium: the reporter types the
description, asks for a suggestion (offline: from the closed history), uses it, and the report keeps
the suggestion shown beside the severity chosen."""

import pytest

from ai.severity_history import HISTORY
from deviations.models import Deviation
from search.tests.records import close_deviation, report_deviation

from .test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.requirement("QMS-AI-SUGGESTIONS")
def test_the_reporter_asks_for_a_severity_and_uses_it(
    browser_page, make_user, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    reporter = make_user("User", username="floor.worker", full_name="Fred Floor")
    qa, manager = make_user("QA", username="quinn"), make_user("QA Manager", username="max")
    for title, description, category, _area, severity in [e for e in HISTORY if e[4] in ("Critical", "Low")][:4] + [
        e for e in HISTORY if e[4] == "Low"
    ][:2]:
        deviation = report_deviation(
            django_capture_on_commit_callbacks,
            reporter=qa,
            title=title,
            description=description,
            severity=severity,
            category=category,
        )
        close_deviation(django_capture_on_commit_callbacks, deviation, qa=qa, manager=manager)

    page = browser_page
    sign_in(page, reporter.username)
    page.goto("/deviations/report/")
    page.fill('[name="event.title"]', "Positive sterility test")
    page.fill('[name="event.description"]', "The sterility test of a released batch grew bacteria; vials are at hospitals.")
    page.click("[data-testid=suggest-severity]")
    page.wait_for_selector("[data-testid=suggested-severity]")
    assert page.inner_text("[data-testid=suggested-severity]") == "Critical"
    assert "a suggestion, you decide" in page.inner_text("[data-testid=severity-suggestion]")
    page.click("[data-testid=use-suggestion]")
    assert page.input_value('[name="classification.severity"]') == "Critical"

    page.fill('[name="event.occurred_at"]', "2025-03-03")
    page.select_option('[name="event.area"]', "Packaging")
    page.select_option('[name="classification.category"]', "Process")
    page.fill('[name="immediate_action.immediate_action"]', "Batch recalled.")
    page.click("[data-testid=report-submit]")
    page.wait_for_selector("[data-testid=deviation-number]")
    reported = Deviation.objects.get(title="Positive sterility test")
    assert reported.severity == "Critical"
    assert reported.severity_suggestion["severity"] == "Critical"
    assert reported.severity_suggestion["method"] == "similar_history"
