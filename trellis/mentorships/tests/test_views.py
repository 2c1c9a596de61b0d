"""The mentorship pages: what they show, the forms they post, and bad input."""

import datetime as dt

import pytest
from django.utils import timezone

from trellis.matching.models import MenteeWish, MentorWish
from trellis.mentorships import services
from trellis.mentorships.models import (
    Mentorship,
    MentorshipOffer,
    MentorshipRequest,
    MentorshipSource,
    OfferStatus,
    RequestStatus,
)
from trellis.mentorships.tests.factories import mentor_in
from trellis.mentorships.tests.helpers import settings_of, snapshot
from trellis.programs.models import Enrollment

pytestmark = pytest.mark.django_db


def page(client, user, url, status=200):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


def send(world, mentee="mentee", mentor="mentor", message="Please mentor me."):
    return services.request_send(
        program=world["program"], mentee=world[mentee], mentor=world[mentor], message=message
    )


# Mentor directory ---------------------------------------------------------------------------


def test_directory_lists_eligible_mentors_with_reasons_and_open_count(client, world):
    send(world, mentor="other_mentor")
    MentorWish.objects.create(
        program=world["program"], mentor=world["mentor"], mentee=world["mentee"], stance="avoid"
    )
    content = page(client, world["mentee"], "/programs/garden/mentors/")
    assert "<h1>Find a mentor</h1>" in content
    assert "Olga Mentor" in content
    assert "Maria Mentor" not in content  # she avoids this mentee: not eligible
    assert "1 of 3" in content
    assert "Request sent" in content
    assert 'class="reasons"' in content


def test_directory_filters(client, world):
    program = world["program"]
    mentor_in(
        program,
        display_name="Lucia Spanish",
        languages=["es", "en"],
        skills_offered=["python"],
        time_zone="America/Bogota",
    )
    url = "/programs/garden/mentors/"
    content = page(client, world["mentee"], url + "?language=es")
    assert "Lucia Spanish" in content
    assert "Olga Mentor" not in content
    content = page(client, world["mentee"], url + "?skill=python")
    assert "Lucia Spanish" in content
    assert "Olga Mentor" not in content
    content = page(client, world["mentee"], url + "?region=Americas")
    assert "Lucia Spanish" in content
    assert "Olga Mentor" not in content
    content = page(client, world["mentee"], url + "?hours_apart=1")
    assert "Lucia Spanish" not in content
    assert "Olga Mentor" in content
    # A stale choice in a link is ignored, not an error.
    content = page(client, world["mentee"], url + "?language=xx&hours_apart=99")
    assert "Lucia Spanish" in content
    assert "Olga Mentor" in content


def test_directory_has_places_filter(client, world):
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=1)
    services.mentorship_start(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["other_mentee"],
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=world["manager"],
    )
    content = page(client, world["mentee"], "/programs/garden/mentors/")
    assert "No places left" in content
    content = page(client, world["mentee"], "/programs/garden/mentors/?has_places=on")
    assert "Maria Mentor" not in content
    assert "Olga Mentor" in content


def test_directory_htmx_returns_only_the_results(client, world):
    client.force_login(world["mentee"])
    response = client.get(
        "/programs/garden/mentors/?language=en",
        headers={"HX-Request": "true", "HX-Target": "directory-results"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>" not in content
    assert "Olga Mentor" in content


def test_favourite_toggle(client, world):
    client.force_login(world["mentee"])
    url = f"/programs/garden/mentors/{world['mentor'].pk}/favourite/"
    response = client.post(url, {"is_favourite": "true"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    wish = MenteeWish.objects.get(mentee=world["mentee"], mentor=world["mentor"])
    assert wish.is_favourite
    response = client.post(url, {"is_favourite": "false"})
    assert response.status_code == 302
    assert not MenteeWish.objects.filter(mentee=world["mentee"], is_favourite=True).exists()


def test_request_form_sends_a_request(client, world):
    client.force_login(world["mentee"])
    url = f"/programs/garden/mentors/{world['mentor'].pk}/request/"
    content = client.get(url).content.decode()
    assert "Ask Maria Mentor to mentor you" in content
    assert "Why you match" in content
    response = client.post(url, {"message": "I want to learn Django."})
    assert response.status_code == 302
    assert response.url == "/programs/garden/requests/"
    request = MentorshipRequest.objects.get()
    assert (request.mentee, request.mentor, request.message) == (
        world["mentee"],
        world["mentor"],
        "I want to learn Django.",
    )


@pytest.mark.parametrize(
    ("message", "error"),
    [("", "Write a message."), ("x" * 2001, "Keep it under 2000 characters (this has 2001).")],
)
def test_request_form_bad_message(client, world, message, error):
    client.force_login(world["mentee"])
    response = client.post(
        f"/programs/garden/mentors/{world['mentor'].pk}/request/", {"message": message}
    )
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not MentorshipRequest.objects.exists()


def test_request_to_a_full_mentor_and_over_the_limit_say_why(client, world):
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=1)
    services.mentorship_start(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["other_mentee"],
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=world["manager"],
    )
    client.force_login(world["mentee"])
    response = client.post(
        f"/programs/garden/mentors/{world['mentor'].pk}/request/", {"message": "Hello"}
    )
    assert response.status_code == 422
    assert "Maria Mentor has no places left in this program." in response.content.decode()
    settings_of(world["program"], max_open_requests=1)
    send(world, mentor="other_mentor")
    third = mentor_in(world["program"], display_name="Third")
    response = client.post(f"/programs/garden/mentors/{third.pk}/request/", {"message": "Hi"})
    assert response.status_code == 422
    assert "You may have at most 1 open requests at a time." in response.content.decode()


# Mentors' view of mentees ----------------------------------------------------------------------


def test_mentee_list_with_marks_and_offers(client, world):
    MentorWish.objects.create(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["third_mentee"],
        stance="avoid",
    )
    content = page(client, world["mentor"], "/programs/garden/mentees/")
    assert "Ada Mentee" in content
    # Avoided mentees stay listed, last, so the mark can be taken back.
    assert content.index("Ada Mentee") < content.index("Cy Mentee")
    assert "Avoided" in content
    assert "Offer to mentor" in content


def test_mark_prefer_avoid_and_clear(client, world):
    client.force_login(world["mentor"])
    url = f"/programs/garden/mentees/{world['mentee'].pk}/mark/"
    response = client.post(url, {"stance": "prefer"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert MentorWish.objects.get(mentee=world["mentee"]).stance == "prefer"
    client.post(url, {"stance": "avoid"})
    assert MentorWish.objects.get(mentee=world["mentee"]).stance == "avoid"
    client.post(url, {"stance": ""})
    assert not MentorWish.objects.filter(mentee=world["mentee"]).exists()
    assert client.post(url, {"stance": "love"}).status_code == 404


def test_offer_form(client, world):
    client.force_login(world["mentor"])
    url = f"/programs/garden/mentees/{world['mentee'].pk}/offer/"
    assert "Offer to mentor Ada Mentee" in client.get(url).content.decode()
    assert client.post(url, {"message": ""}).status_code == 422
    response = client.post(url, {"message": "I can help."})
    assert response.status_code == 302
    assert MentorshipOffer.objects.get().message == "I can help."


# Requests page ---------------------------------------------------------------------------------


def test_requests_page_for_mentor_and_mentee(client, world):
    send(world)
    services.offer_send(
        program=world["program"],
        mentor=world["other_mentor"],
        mentee=world["mentee"],
        message="Let me help",
    )
    mentor_page = page(client, world["mentor"], "/programs/garden/requests/")
    assert "Requests to you" in mentor_page
    assert "Ada Mentee" in mentor_page
    assert "Please mentor me." in mentor_page
    assert "You mentor 0 of 2 mentees" in mentor_page
    assert "Your requests" not in mentor_page
    mentee_page = page(client, world["mentee"], "/programs/garden/requests/")
    assert "Your requests" in mentee_page
    assert "Offers to you" in mentee_page
    assert "Let me help" in mentee_page
    assert "Requests to you" not in mentee_page


def test_mentor_accepts_from_the_requests_page(client, world):
    request = send(world)
    client.force_login(world["mentor"])
    response = client.post(f"/programs/garden/requests/{request.pk}/accept/")
    mentorship = Mentorship.objects.get()
    assert response.status_code == 302
    assert response.url == f"/mentorships/{mentorship.pk}/"


def test_decline_ask_reply_withdraw_from_the_requests_page(client, world):
    request = send(world)
    client.force_login(world["mentor"])
    response = client.post(
        f"/programs/garden/requests/{request.pk}/ask/", {"question": "What do you want?"}
    )
    assert response.status_code == 302
    client.force_login(world["mentee"])
    assert "What do you want?" in client.get("/programs/garden/requests/").content.decode()
    client.post(f"/programs/garden/requests/{request.pk}/reply/", {"message": "Django."})
    request.refresh_from_db()
    assert (request.status, request.info_reply) == (RequestStatus.OPEN, "Django.")
    client.force_login(world["mentor"])
    client.post(f"/programs/garden/requests/{request.pk}/decline/", {"note": "Too busy."})
    request.refresh_from_db()
    assert (request.status, request.response_note) == (RequestStatus.DECLINED, "Too busy.")
    other = send(world, mentor="other_mentor")
    client.force_login(world["mentee"])
    client.post(f"/programs/garden/requests/{other.pk}/withdraw/")
    other.refresh_from_db()
    assert other.status == RequestStatus.WITHDRAWN


def test_refused_answer_is_shown_and_keeps_the_text(client, world):
    request = send(world)
    client.force_login(world["mentor"])
    before = snapshot()
    response = client.post(f"/programs/garden/requests/{request.pk}/decline/", {"note": "n" * 2001})
    assert response.status_code == 422
    content = response.content.decode()
    assert "Keep it under 2000 characters (this has 2001)." in content
    assert "n" * 2001 in content
    assert snapshot() == before


def test_accept_with_no_place_left_says_so(client, world):
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=1)
    first = send(world)
    second = send(world, mentee="other_mentee")
    services.request_accept(request=first, by=world["mentor"])
    client.force_login(world["mentor"])
    response = client.post(f"/programs/garden/requests/{second.pk}/accept/")
    assert response.status_code == 422
    assert "You have no places left in Garden: all 1 are taken." in response.content.decode()


def test_unknown_action_is_404(client, world):
    request = send(world)
    client.force_login(world["mentor"])
    assert client.post(f"/programs/garden/requests/{request.pk}/explode/").status_code == 404


def test_offer_accept_and_decline_from_the_requests_page(client, world):
    offer = services.offer_send(
        program=world["program"], mentor=world["mentor"], mentee=world["mentee"], message="Hi"
    )
    client.force_login(world["mentee"])
    response = client.post(f"/programs/garden/offers/{offer.pk}/accept/")
    mentorship = Mentorship.objects.get()
    assert response.url == f"/mentorships/{mentorship.pk}/"
    assert mentorship.source == MentorshipSource.OFFER
    second = services.offer_send(
        program=world["program"], mentor=world["mentor"], mentee=world["other_mentee"], message="Hi"
    )
    client.force_login(world["other_mentee"])
    client.post(f"/programs/garden/offers/{second.pk}/decline/", {"note": "No thanks"})
    second.refresh_from_db()
    assert (second.status, second.response_note) == (OfferStatus.DECLINED, "No thanks")


def test_opening_the_requests_page_expires_what_is_due(client, world):
    request = send(world)
    MentorshipRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    content = page(client, world["mentee"], "/programs/garden/requests/")
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    # Rolled over to the next mentor, said on the page.
    assert "sent for you after Maria Mentor did not answer" in content


# My mentorships ------------------------------------------------------------------------------


def test_my_mentorships_list_detail_and_dashboard(client, world):
    request = send(world)
    mentorship = services.request_accept(request=request, by=world["mentor"])
    Mentorship.objects.filter(pk=mentorship.pk).update(reasons=["You both speak Spanish"])
    content = page(client, world["mentee"], "/mentorships/")
    assert "Maria Mentor" in content
    assert "Your mentor" in content
    assert "You both speak Spanish" in content
    detail = page(client, world["mentee"], f"/mentorships/{mentorship.pk}/")
    assert "Maria Mentor, your mentor" in detail
    assert "You both speak Spanish" in detail
    mentor_detail = page(client, world["mentor"], f"/mentorships/{mentorship.pk}/")
    assert "Ada Mentee, your mentee" in mentor_detail
    manager_detail = page(client, world["manager"], f"/mentorships/{mentorship.pk}/")
    assert "Maria Mentor mentors Ada Mentee" in manager_detail
    dashboard = page(client, world["mentor"], "/")
    assert f'href="/mentorships/{mentorship.pk}/"' in dashboard
    assert "your mentee in Garden" in dashboard


def test_my_mentorships_links_to_each_programs_pages(client, world):
    content = page(client, world["mentee"], "/mentorships/")
    assert "No mentorships yet" in content
    assert 'href="/programs/garden/mentors/"' in content
    content = page(client, world["mentor"], "/mentorships/")
    assert 'href="/programs/garden/mentees/"' in content


def test_a_full_mentor_is_not_offered_to_make_offers(client, world):
    Enrollment.objects.filter(user=world["mentor"]).update(mentor_capacity=1)
    services.mentorship_start(
        program=world["program"],
        mentor=world["mentor"],
        mentee=world["other_mentee"],
        source=MentorshipSource.MANAGER,
        score=None,
        reasons=[],
        by=world["manager"],
    )
    content = page(client, world["mentor"], "/programs/garden/mentees/")
    assert "You have no places left" in content
    assert "Offer to mentor" not in content
