"""The pages: the new introduction form, what each person reads, the outside person's link,
the mentorship page's card, the dashboard card; and no contact detail before both yeses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from trellis.introductions import services
from trellis.introductions.models import Introduction, IntroductionStatus
from trellis.introductions.tests.conftest import KIM_EMAIL, NOAH_EMAIL, OUTSIDE_EMAIL
from trellis.introductions.tests.helpers import MESSAGE, introduce, introduce_outside
from trellis.mentorships.tests.factories import mentee_in

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode().replace("&#x27;", "'")


# The new introduction -------------------------------------------------------------------------


def test_the_mentor_introduces_noah_to_kim(client, world):
    client.force_login(world["mentor"])

    response = client.post(
        f"/mentorships/{world['pair'].pk}/introduce/",
        {"who": "participant", "contact": world["contact"].pk, "message": MESSAGE},
    )

    introduction = Introduction.objects.get()
    assert response.status_code == 302
    assert response.url == f"/introductions/{introduction.pk}/"
    assert (introduction.mentee, introduction.contact) == (world["mentee"], world["contact"])
    page = text(client.get(response.url))
    assert "Your introduction of Noah and Kim" in page
    assert "Waiting for answers" in page
    assert "Introduction sent." in page


def test_the_form_offers_participants_with_their_headlines_and_a_search(client, world):
    mentee_in(world["program"], display_name="Zoe", headline="Designer")
    client.force_login(world["mentor"])

    everyone = text(client.get(f"/mentorships/{world['pair'].pk}/introduce/"))
    searched = text(client.get(f"/mentorships/{world['pair'].pk}/introduce/?q=design"))

    assert "Kim · Data engineer at Acme" in everyone
    assert "Zoe · Designer" in everyone
    assert f'<option value="{world["mentee"].pk}"' not in everyone
    assert f'<option value="{world["mentor"].pk}"' not in everyone
    assert "Zoe · Designer" in searched
    assert "Kim · Data engineer" not in searched
    assert "1 participant match “design”" in searched


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"who": "participant", "message": "Meet!"}, "Choose a participant."),
        (
            {"who": "outside", "contact_email": OUTSIDE_EMAIL, "message": "Meet!"},
            "Give their name.",
        ),
        (
            {"who": "outside", "contact_name": "Olga", "message": "Meet!"},
            "Give their email address.",
        ),
        (
            {"who": "outside", "contact_name": "Olga", "contact_email": "nope", "message": "Hi"},
            "Enter a valid email address.",
        ),
        ({"who": "participant", "contact": "KIM"}, "This field is required."),
    ],
)
def test_a_refused_introduction_keeps_what_was_typed(client, world, data, field_error):
    client.force_login(world["mentor"])
    form = {key: (world["contact"].pk if value == "KIM" else value) for key, value in data.items()}

    response = client.post(f"/mentorships/{world['pair'].pk}/introduce/", form)

    assert response.status_code == 422
    page = text(response)
    assert field_error in page
    for value in data.values():
        if value not in ("participant", "outside", "KIM"):
            assert f'value="{value}"' in page or f"\n{value}</textarea>" in page
    assert Introduction.objects.count() == 0


def test_a_second_introduction_of_the_same_two_is_refused_on_the_form(client, world):
    introduce(world)
    client.force_login(world["mentor"])

    response = client.post(
        f"/mentorships/{world['pair'].pk}/introduce/",
        {"who": "participant", "contact": world["contact"].pk, "message": "Again"},
    )

    assert response.status_code == 422
    assert "An introduction of these two is already waiting for answers." in text(response)
    assert Introduction.objects.count() == 1


def test_someone_outside_by_name_and_email(client, world):
    client.force_login(world["mentor"])

    response = client.post(
        f"/mentorships/{world['pair'].pk}/introduce/",
        {
            "who": "outside",
            "contact": world["contact"].pk,  # left over from the other choice: ignored
            "contact_name": "Olga Outside",
            "contact_email": OUTSIDE_EMAIL,
            "message": MESSAGE,
        },
    )

    assert response.status_code == 302
    introduction = Introduction.objects.get()
    assert introduction.contact is None
    assert (introduction.contact_name, introduction.contact_email) == (
        "Olga Outside",
        OUTSIDE_EMAIL,
    )


# What each person reads, and no contact detail too early -----------------------------------


def test_each_side_reads_the_ask_with_the_others_name_and_headline_and_no_address(client, world):
    introduction = introduce(world)

    client.force_login(world["mentee"])
    mentee_page = text(client.get(f"/introductions/{introduction.pk}/"))
    client.force_login(world["contact"])
    contact_page = text(client.get(f"/introductions/{introduction.pk}/"))

    assert "Mara introduces you to Kim" in mentee_page
    assert "Data engineer at Acme" in mentee_page
    assert MESSAGE in mentee_page
    assert "Yes, I would like to meet" in mentee_page
    assert "Mara introduces you to Noah" in contact_page
    assert MESSAGE in contact_page
    assert KIM_EMAIL not in mentee_page
    assert NOAH_EMAIL not in contact_page


def test_an_outside_address_shows_to_the_mentee_only_after_both_said_yes(
    client, world, django_capture_on_commit_callbacks
):
    introduction, token = introduce_outside(world, django_capture_on_commit_callbacks)
    client.force_login(world["mentee"])
    url = f"/introductions/{introduction.pk}/"
    api = f"/api/v1/introductions/{introduction.pk}"

    for response in (client.get(url), client.get(api), client.get("/introductions/")):
        assert OUTSIDE_EMAIL not in text(response)
    assert client.get(api).json()["contact"]["email"] is None
    client.post(f"/introductions/{introduction.pk}/accept/")
    for response in (client.get(url), client.get(api), client.get("/introductions/")):
        assert OUTSIDE_EMAIL not in text(response)

    services.introduction_answer_by_token(token=token, accept=True)

    page = text(client.get(url))
    assert f'<a href="mailto:{OUTSIDE_EMAIL}">{OUTSIDE_EMAIL}</a>' in page
    assert client.get(api).json()["contact"]["email"] == OUTSIDE_EMAIL


def test_after_a_not_now_nobody_reads_who_said_it(client, world):
    introduction = introduce(world)
    services.introduction_accept(introduction=introduction, by=world["mentee"])
    services.introduction_decline(introduction=introduction, by=world["contact"])
    url = f"/introductions/{introduction.pk}/"

    pages = {}
    for role in ("mentor", "mentee", "contact"):
        client.force_login(world[role])
        pages[role] = text(client.get(url))
        api = client.get(f"/api/v1/introductions/{introduction.pk}").json()
        assert "updated_at" not in api
        assert api["accepted_at"] is None
        assert api["conversation_id"] is None
        if role != "contact":
            assert (api["state"], api["state_label"], api["my_answer"] or "") in (
                ("not_now", "Not now", ""),
                ("not_now", "Not now", "accepted"),
            )

    assert 'data-introduction-state="not_now">Not now<' in pages["mentor"]
    assert 'data-introduction-state="not_now">Not now<' in pages["mentee"]
    assert 'data-introduction-state="you_said_not_now">You said not now<' in pages["contact"]
    for page in (pages["mentor"], pages["mentee"]):
        assert "said not now" not in page
        assert "Kim said" not in page
        assert "declined" not in page.lower()
        assert KIM_EMAIL not in page
    assert NOAH_EMAIL not in pages["contact"]


def test_once_both_said_yes_the_page_links_the_conversation_of_the_three(client, world):
    introduction = introduce(world)
    client.force_login(world["contact"])
    client.post(f"/introductions/{introduction.pk}/accept/")
    client.force_login(world["mentee"])

    response = client.post(f"/introductions/{introduction.pk}/accept/", follow=True)

    introduction.refresh_from_db()
    page = text(response)
    assert "You both said yes." in page
    assert f'href="/messages/{introduction.conversation_id}/"' in page
    inbox = text(client.get("/messages/"))
    assert "Kim, Mara and you" in inbox
    assert "Introduction · " in inbox


def test_answering_twice_shows_why_on_the_page(client, world):
    introduction = introduce(world)
    client.force_login(world["mentee"])
    client.post(f"/introductions/{introduction.pk}/accept/")

    response = client.post(f"/introductions/{introduction.pk}/not-now/")

    assert response.status_code == 422
    assert "You have already answered." in text(response)
    introduction.refresh_from_db()
    assert introduction.mentee_answer == "accepted"


def test_the_list_sorts_the_introductions_by_what_the_viewer_does_with_them(client, world):
    waiting = introduce(world)
    zoe = mentee_in(world["program"], display_name="Zoe")
    answered = introduce(world, contact=zoe)
    services.introduction_accept(introduction=answered, by=world["mentee"])
    client.force_login(world["mentee"])

    page = text(client.get("/introductions/"))

    waiting_part, rest = page.split('id="made-heading"')
    made_part, of_you_part = rest.split('id="of-you-heading"')
    assert f"/introductions/{waiting.pk}/" in waiting_part
    assert f"/introductions/{answered.pk}/" not in waiting_part
    assert "You have not introduced anyone yet." in made_part
    assert f"/introductions/{answered.pk}/" in of_you_part
    assert "You accepted; waiting for the other answer" in of_you_part


# The outside person's link ----------------------------------------------------------------------


def test_the_outside_person_reads_the_ask_and_says_yes(
    client, world, django_capture_on_commit_callbacks
):
    introduction, token = introduce_outside(world, django_capture_on_commit_callbacks)
    url = f"/introductions/answer/{token}/"

    page = client.get(url)

    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert "Mara would like to introduce you to Noah" in text(page)
    assert MESSAGE in text(page)
    assert NOAH_EMAIL not in text(page)

    answered = client.post(url, {"answer": "accept"})

    assert answered.status_code == 200
    assert "You said yes. If Noah says yes too" in text(answered)
    introduction.refresh_from_db()
    assert introduction.contact_answer == "accepted"
    used = client.get(url)
    assert used.status_code == 404
    assert "This link no longer works" in text(used)


def test_the_outside_person_says_not_now(client, world, django_capture_on_commit_callbacks):
    introduction, token = introduce_outside(world, django_capture_on_commit_callbacks)

    answered = client.post(f"/introductions/answer/{token}/", {"answer": "not_now"})

    assert "You said not now. Nobody is told who said it" in text(answered)
    introduction.refresh_from_db()
    assert introduction.status == IntroductionStatus.NOT_NOW


@pytest.mark.parametrize("token", ["nope", "x" * 200])
def test_a_wrong_link_is_a_friendly_404(client, world, token):
    response = client.get(f"/introductions/answer/{token}/")

    assert response.status_code == 404
    assert "This link no longer works" in text(response)


def test_an_expired_link_is_the_same_friendly_404(
    client, world, django_capture_on_commit_callbacks
):
    introduction, token = introduce_outside(world, django_capture_on_commit_callbacks)
    Introduction.objects.filter(pk=introduction.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    response = client.post(f"/introductions/answer/{token}/", {"answer": "accept"})

    assert response.status_code == 404
    introduction.refresh_from_db()
    assert introduction.contact_answer == "pending"


def test_guessing_links_is_rate_limited(client, world):
    statuses = [client.get(f"/introductions/answer/guess{n}/").status_code for n in range(31)]

    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429


# Other apps' pages -----------------------------------------------------------------------------


def test_the_mentorship_page_card_for_the_mentor_the_mentee_and_a_manager(client, world):
    introduction = introduce(world)
    url = f"/mentorships/{world['pair'].pk}/"

    client.force_login(world["mentor"])
    mentor_page = text(client.get(url))
    client.force_login(world["mentee"])
    mentee_page = text(client.get(url))
    client.force_login(world["manager"])
    manager_page = text(client.get(url))

    assert "Introduce Noah to someone" in mentor_page
    assert f"/introductions/{introduction.pk}/" in mentor_page
    assert "Mara introduces you to Kim" in mentee_page
    assert "Introduce Noah" not in mentee_page
    assert "data-introductions-section" not in manager_page


def test_the_dashboard_shows_introductions_waiting_for_an_answer(client, world):
    client.force_login(world["contact"])
    assert "Introductions waiting for your answer" not in text(client.get("/"))

    introduction = introduce(world)

    page = text(client.get("/"))
    assert "Introductions waiting for your answer" in page
    assert "Mara introduces you to Noah" in page
    services.introduction_accept(introduction=introduction, by=world["contact"])
    assert "Introductions waiting for your answer" not in text(client.get("/"))


def test_a_participant_outside_the_searched_list_can_still_be_chosen(client, world):
    client.force_login(world["mentor"])

    response = client.post(
        f"/mentorships/{world['pair'].pk}/introduce/?q=nobody-matches",
        {"who": "participant", "contact": world["contact"].pk, "message": MESSAGE},
    )

    assert response.status_code == 302
    assert Introduction.objects.get().contact == world["contact"]


def test_an_htmx_answer_gets_the_page_with_the_new_state(client, world):
    introduction = introduce(world)
    client.force_login(world["mentee"])

    response = client.post(f"/introductions/{introduction.pk}/accept/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'data-introduction-state="you_accepted"' in text(response)
