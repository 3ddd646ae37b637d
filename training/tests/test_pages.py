"""The training pages (server-rendered): My training and completion through the signature
dialog's fields, programs (list, detail, create, edit, retire, register), assignment with its
preview, registrations, the matrix grid, the navigation entry."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import GroupFactory
from audit.models import AuditEvent, Signature
from conftest import PASSWORD
from training.models import Assignment, Completion, Registration, TrainingProgram

from .factories import AssignmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_navigation_leads_to_my_training(basic_user):
    home = text(browser(basic_user).get("/"))

    assert f'href="{reverse("training:my")}"' in home


def test_my_training_shows_open_items_first_with_the_signature_dialog(basic_user, program, unsigned_program):
    AssignmentFactory(user=basic_user, program=program)
    done = AssignmentFactory(user=basic_user, program=unsigned_program)
    done.status, done.completed_at = "completed", timezone.now()
    done.save()

    page = text(browser(basic_user).get(reverse("training:my")))

    todo, history = page.split('data-testid="training-history"')
    assert "GMP basics" in todo and 'data-testid="signature-dialog"' in todo
    assert 'value="training_completion"' in todo
    assert "Leadership essentials" in history


def test_completing_on_the_page_signs_with_the_password(basic_user, program):
    assignment = AssignmentFactory(user=basic_user, program=program)
    client = browser(basic_user)
    url = reverse("training:complete", args=[assignment.pk])
    form = {"signature_type": "training_completion", "intent": "I have completed GMP basics.", "reason": ""}

    wrong = client.post(url, {**form, "password": "nope"}, follow=True)
    right = client.post(url, {**form, "password": PASSWORD}, follow=True)

    assert "Training not completed" in text(wrong) and "password is incorrect" in text(wrong)
    assert "GMP basics completed with your electronic signature" in text(right)
    signature = Signature.objects.get(resource_type="training_completion")
    assert signature.intent == "I have completed GMP basics."
    assert Assignment.objects.get(pk=assignment.pk).status == "completed"


def test_a_program_without_signature_is_marked_completed_with_a_button(basic_user, unsigned_program):
    assignment = AssignmentFactory(user=basic_user, program=unsigned_program)

    page = text(browser(basic_user).post(reverse("training:complete", args=[assignment.pk]), follow=True))

    assert "Leadership essentials completed." in page
    assert Completion.objects.filter(assignment=assignment).exists()


def test_someone_elses_assignment_is_404_on_the_page(basic_user, make_user, program):
    other = AssignmentFactory(user=make_user("User", username="colleague"), program=program)

    response = browser(basic_user).post(reverse("training:complete", args=[other.pk]), {"password": PASSWORD})

    assert response.status_code == 404


def test_program_pages_list_create_edit_and_retire(qa_manager):
    client = browser(qa_manager)
    assert "New program" in text(client.get(reverse("training:list")))

    created = client.post(
        reverse("training:program-create"),
        {
            "title": "Cleanroom gowning",
            "category": "GMP",
            "level": "BEGINNER",
            "status": "PUBLISHED",
            "credits": 1,
            "default_due_days": 14,
        },
        follow=True,
    )
    program = TrainingProgram.objects.get(title="Cleanroom gowning")
    assert "created" in text(created) and program.requires_signature is True

    form = {
        "title": "Cleanroom gowning (grade A/B)",
        "category": "GMP",
        "level": "INTERMEDIATE",
        "status": "PUBLISHED",
        "credits": 1,
        "default_due_days": 14,
        "requires_signature": "yes",
        "row_version": program.row_version,
    }
    missing_reason = client.post(reverse("training:program-edit", args=[program.pk]), form)
    assert "A reason is required for changing a training program" in text(missing_reason)
    too_short = client.post(reverse("training:program-edit", args=[program.pk]), {**form, "reason": "Typo"})
    assert "say why in at least 10 characters" in text(too_short)
    assert TrainingProgram.objects.get(pk=program.pk).row_version == 1
    edited = client.post(reverse("training:program-edit", args=[program.pk]), {**form, "reason": "Grades named"}, follow=True)
    assert "Training program saved." in text(edited)
    program.refresh_from_db()
    assert (program.title, program.level, program.row_version) == ("Cleanroom gowning (grade A/B)", "INTERMEDIATE", 2)

    stale = client.post(
        reverse("training:program-edit", args=[program.pk]), {**form, "reason": "Again for the record", "title": "Other"}
    )
    assert "changed by someone else" in text(stale)

    retired = client.post(reverse("training:program-retire", args=[program.pk]), {"reason": "Superseded"}, follow=True)
    assert "retired" in text(retired)
    assert TrainingProgram.objects.get(pk=program.pk).status == "RETIRED"


def test_users_see_programs_but_not_the_management_pages(basic_user, program):
    client = browser(basic_user)

    detail = text(client.get(reverse("training:program-detail", args=[program.pk])))
    assert "GMP basics" in detail and "Register for a seat" in detail and "Retire" not in detail
    assert client.get(reverse("training:program-create")).status_code == 403
    assert client.get(reverse("training:assign")).status_code == 403
    assert client.get(reverse("training:matrix")).status_code == 403


def test_registering_on_the_program_page(basic_user, unsigned_program):
    unsigned_program.max_participants = 1
    unsigned_program.save()
    client = browser(basic_user)

    first = client.post(reverse("training:program-register", args=[unsigned_program.pk]), follow=True)
    again = client.post(reverse("training:program-register", args=[unsigned_program.pk]), follow=True)

    assert "You are registered" in text(first)
    assert "already registered" in text(again)
    assert "1 of 1 taken" in text(again)


def test_the_assign_page_previews_then_assigns(qa_user, program, make_user):
    group = GroupFactory(name="Packaging")
    members = [make_user("User", username=f"packer{i}", full_name=f"Packer {i}") for i in range(2)]
    group.members.add(*members)
    AssignmentFactory(user=members[0], program=program)
    client = browser(qa_user)
    form = {"program": program.pk, "groups": [group.pk], "due_date": "", "reason": "New line for the record"}

    preview = text(client.post(reverse("training:assign-preview"), form, HTTP_HX_REQUEST="true"))
    assert "1 will receive it" in preview and "Packer 1" in preview and "member of Packaging" in preview
    assert "1 skipped" in preview and "Packer 0" in preview
    assert not Assignment.objects.filter(user=members[1]).exists()  # a preview assigns nothing

    done = client.post(reverse("training:assign"), form, follow=True)
    assert "assigned to 1 people; 1 skipped" in text(done)
    assert Assignment.objects.get(user=members[1]).reason == "New line for the record"


def test_the_assign_page_needs_someone(qa_user, program):
    page = text(browser(qa_user).post(reverse("training:assign"), {"program": program.pk}))

    assert "Choose at least one user or group." in page


def test_registrations_page_lets_the_instructor_mark_attendance(basic_user, make_user):
    trainer = make_user("User", username="trainer")
    program = ProgramFactory(title="Forklift", requires_signature=False, instructor=trainer)
    assignment = AssignmentFactory(user=basic_user, program=program)
    registration = Registration.objects.create(program=program, user=basic_user, registered_at=timezone.now())

    page = text(browser(trainer).get(reverse("training:registrations")))
    assert 'data-testid="set-status"' in page
    marked = browser(trainer).post(
        reverse("training:registration-update", args=[registration.pk]), {"status": "ATTENDED"}, follow=True
    )

    assert "assignment is completed" in text(marked)
    assert Assignment.objects.get(pk=assignment.pk).status == "completed"
    feedback = browser(basic_user).post(
        reverse("training:registration-update", args=[registration.pk]), {"feedback_score": "5"}, follow=True
    )
    assert "Registration updated." in text(feedback)
    assert Registration.objects.get(pk=registration.pk).feedback_score == 5


def test_the_matrix_page_colours_each_cell(qa_manager, basic_user, program):
    today = timezone.now().date()
    AssignmentFactory(user=basic_user, program=program, due_date=today - datetime.timedelta(days=3))

    page = text(browser(qa_manager).get(reverse("training:matrix")))

    assert f'data-testid="cell-{basic_user.username}-{program.pk}" data-status="overdue"' in page
    assert 'class="cell-overdue"' in page
    assert f"{reverse('training-matrix-export')}" in page
    filtered = text(browser(qa_manager).get(reverse("training:matrix") + "?status=qualified"))
    assert f"matrix-row-{basic_user.username}" not in filtered


def test_page_writes_are_audited_like_the_api(qa_manager):
    browser(qa_manager).post(
        reverse("training:program-create"),
        {
            "title": "Deviation handling",
            "category": "COMPLIANCE",
            "level": "BEGINNER",
            "status": "DRAFT",
            "credits": 0,
            "default_due_days": 30,
        },
    )

    assert AuditEvent.objects.filter(action="create", resource_type="training_program", actor_id=qa_manager.pk).exists()
