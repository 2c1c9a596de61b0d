"""The pages: library, a resource and its file, the managers' pages, recommendations."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from trellis.mentorships.models import MentorshipEvent
from trellis.resources import services
from trellis.resources.models import ProgramHiddenResource, Recommendation, Resource
from trellis.resources.tests.helpers import (
    PDF_BYTES,
    file_in,
    guide_in,
    html_file,
    link_in,
    pdf,
    recommend,
)

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode()


class TagCollector(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


# The library ------------------------------------------------------------------------------


def test_the_library_lists_resources_with_kind_tags_and_tag_chips(client, world, builtins):
    link_in(world["program"], tags="tools, time zones")
    client.force_login(world["mentee"])

    response = client.get("/programs/bridges/resources/")

    page = text(response)
    assert response.status_code == 200
    assert "Time zone converter" in page
    assert "Checking in at a distance" in page
    assert 'href="/programs/bridges/resources/?tag=time-zones"' in page
    assert "Manage the library" not in page
    assert f"{len(builtins) + 1} resources" in page


def test_a_search_with_htmx_answers_the_results_only(client, world, builtins):
    link_in(world["program"])
    client.force_login(world["mentor"])

    response = client.get(
        "/programs/bridges/resources/?q=converter",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="resource-results",
    )

    page = text(response)
    assert "<html" not in page
    assert "1 resource matching “converter”" in page
    assert "Checking in at a distance" not in page


def test_filters_by_tag_and_kind_on_the_page(client, world, builtins):
    link_in(world["program"])
    client.force_login(world["mentee"])

    by_tag = text(client.get("/programs/bridges/resources/?tag=listening"))
    by_kind = text(client.get("/programs/bridges/resources/?kind=link"))

    assert "Listening well over video, phone and chat" in by_tag
    assert "Time zone converter" not in by_tag
    assert 'aria-current="true">listening' in by_tag
    assert "Time zone converter" in by_kind
    assert "Checking in at a distance" not in by_kind


def test_the_library_pages_through_many_resources(client, world, builtins):
    for number in range(25):
        link_in(world["program"], title=f"Link {number:02}", tags="")
    client.force_login(world["manager"])

    first = text(client.get("/programs/bridges/resources/?kind=link"))
    second = text(client.get("/programs/bridges/resources/?kind=link&page=2"))

    assert "Page 1 of 1" not in first
    assert "Link 00" in first
    assert "Link 19" in first
    assert "Link 20" not in first
    assert "Page 2 of 2" in second
    assert "Link 24" in second
    assert "Link 00" not in second
    assert "Manage the library" in first


# One resource --------------------------------------------------------------------------------


def test_a_guide_is_rendered_and_what_could_run_is_removed(client, world):
    guide = guide_in(
        world["program"],
        body=(
            "**Bold** and a [safe link](https://example.org).\n\n"
            "<script>alert('x')</script> [bad](javascript:alert(1)) "
            '<img src=x onerror="alert(2)"> <a href="https://evil.example" onclick="x()">a</a>'
        ),
    )
    client.force_login(world["mentee"])

    page = text(client.get(f"/resources/{guide.pk}/"))

    assert "<strong>Bold</strong>" in page
    assert 'href="https://example.org"' in page
    body = page[page.index("data-guide>") + len("data-guide>") :]
    body = body[: body.index("</div>")]
    tags = TagCollector()
    tags.feed(body)
    assert {tag for tag, _attrs in tags.found} == {"p", "strong", "a"}
    assert [attrs for tag, attrs in tags.found if tag == "a"] == [
        {"href": "https://example.org", "rel": "noopener noreferrer nofollow", "target": "_blank"}
    ]
    assert "&lt;script&gt;" in body


def test_a_link_opens_in_a_new_tab_without_the_opener(client, world):
    link = link_in(world["program"])
    client.force_login(world["mentee"])

    page = text(client.get(f"/resources/{link.pk}/"))

    assert re.search(
        r'href="https://example.org/time-zones" target="_blank" rel="noopener noreferrer"', page
    )


def test_a_file_is_downloaded_as_an_attachment_with_its_sniffed_type(client, world):
    resource = file_in(world["program"], upload=pdf("Checklist é.pdf"))
    client.force_login(world["mentee"])

    page = text(client.get(f"/resources/{resource.pk}/"))
    response = client.get(f"/resources/{resource.pk}/file/")

    assert f'href="/resources/{resource.pk}/file/"' in page
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Checklist e.pdf\"; filename*=UTF-8''Checklist%20%C3%A9.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_a_resource_without_a_file_has_no_download(client, world):
    client.force_login(world["mentee"])

    response = client.get(f"/resources/{link_in(world['program']).pk}/file/")

    assert response.status_code == 404


def test_a_built_in_guide_links_back_to_the_library_it_was_opened_from(client, world, builtins):
    client.force_login(world["mentee"])

    page = text(client.get(f"/resources/{builtins[0].pk}/?from=bridges"))
    elsewhere = text(client.get(f"/resources/{builtins[0].pk}/?from=elsewhere"))

    assert 'href="/programs/bridges/resources/"' in page
    assert "Built-in guide" in page
    assert "/programs/elsewhere/" not in elsewhere


# Recommending from a resource's page ---------------------------------------------------------


def test_the_mentor_recommends_from_the_resources_page(client, world):
    link = link_in(world["program"])
    pair = world["pair"]
    client.force_login(world["mentor"])

    page = text(client.get(f"/resources/{link.pk}/"))
    response = client.post(
        f"/resources/{link.pk}/recommend/", {"mentorship": pair.pk, "note": "Try it today"}
    )

    assert "Recommend it" in page
    assert f'<option value="{pair.pk}">Noah · Bridges</option>' in page
    assert response.status_code == 302
    assert response.url == f"/mentorships/{pair.pk}/resources/"
    recommendation = Recommendation.objects.get()
    assert (recommendation.mentorship, recommendation.note) == (pair, "Try it today")
    assert "Recommend it" not in text(client.get(f"/resources/{link.pk}/"))


def test_a_refused_recommendation_keeps_the_note(client, world):
    link = link_in(world["program"])
    client.force_login(world["mentor"])

    response = client.post(
        f"/resources/{link.pk}/recommend/",
        {"mentorship": world["pair"].pk, "note": "Long " * 500},
    )

    assert response.status_code == 422
    assert "Ensure this value has at most 2000 characters" in text(response)
    assert "Long Long" in text(response)
    assert not Recommendation.objects.exists()


def test_mentees_and_managers_see_no_recommend_form(client, world):
    link = link_in(world["program"])
    for who in ("mentee", "manager"):
        client.force_login(world[who])
        assert "Recommend it" not in text(client.get(f"/resources/{link.pk}/"))


# The managers' pages -------------------------------------------------------------------------


def test_a_manager_adds_a_link_with_tags(client, world, builtins):
    client.force_login(world["manager"])

    form = text(client.get("/programs/bridges/manage/resources/new/"))
    response = client.post(
        "/programs/bridges/manage/resources/new/",
        {
            "kind": "link",
            "title": "Time zone converter",
            "url": "https://example.org/tz",
            "tags": "Tools, time zones",
        },
    )

    assert 'enctype="multipart/form-data"' in form
    assert response.status_code == 302
    assert response.url == "/programs/bridges/manage/resources/"
    resource = Resource.objects.get(program=world["program"])
    assert sorted(resource.tags.values_list("name", flat=True)) == ["time-zones", "tools"]
    manage = text(client.get("/programs/bridges/manage/resources/"))
    assert "Time zone converter" in manage
    assert "Checking in at a distance" in manage


def test_a_manager_uploads_a_file(client, world):
    client.force_login(world["manager"])

    response = client.post(
        "/programs/bridges/manage/resources/new/",
        {"kind": "file", "title": "Checklist", "file": pdf()},
    )

    assert response.status_code == 302
    assert Resource.objects.get(program=world["program"]).file_type == "application/pdf"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "link", "url": "http://example.org/tz"}, "starting with https://"),
        ({"kind": "link", "url": ""}, "Give the link&#x27;s web address."),
        ({"kind": "file"}, "Choose a file to upload."),
        ({"kind": "file", "file": "html"}, "cannot be added to the library"),
        ({"kind": "file", "file": "big"}, "The file is larger than 1 MB"),
        ({"kind": "guide", "body": ""}, "Write the guide&#x27;s text."),
    ],
)
def test_bad_input_comes_back_with_messages_and_what_was_typed(
    client, world, settings, data, message
):
    settings.RESOURCES_MAX_FILE_MB = 1
    client.force_login(world["manager"])
    form = {"title": "Kept title", "summary": "Kept summary", "tags": "kept-tag", **data}
    if data.get("file") == "html":
        form["file"] = html_file()
    elif data.get("file") == "big":
        form["file"] = pdf(content=b"%PDF-1.4\n" + b"0" * (1024 * 1024))

    response = client.post("/programs/bridges/manage/resources/new/", form)

    page = text(response)
    assert response.status_code == 422
    assert message in page
    assert 'value="Kept title"' in page
    assert "Kept summary" in page
    assert 'value="kept-tag"' in page
    assert not Resource.objects.filter(program=world["program"]).exists()


def test_a_manager_edits_a_resource(client, world):
    link = link_in(world["program"])
    client.force_login(world["manager"])

    form = text(client.get(f"/resources/{link.pk}/edit/"))
    response = client.post(
        f"/resources/{link.pk}/edit/",
        {"title": "Clocks", "url": "https://example.org/clocks", "tags": "clocks"},
    )
    refused = client.post(f"/resources/{link.pk}/edit/", {"title": "", "url": "http://x.org"})

    assert 'value="time-zones, tools"' in form
    assert 'name="kind"' not in form
    assert 'name="body"' not in form
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.title, link.url) == ("Clocks", "https://example.org/clocks")
    assert refused.status_code == 422
    assert "This field is required." in text(refused)


def test_archive_unarchive_hide_and_show(client, world, builtins):
    link = link_in(world["program"])
    client.force_login(world["manager"])

    archived = client.post(f"/resources/{link.pk}/archive/")
    in_library = text(client.get("/programs/bridges/resources/"))
    again = client.post(f"/resources/{link.pk}/archive/", follow=True)
    client.post(f"/resources/{link.pk}/unarchive/")
    hidden = client.post(f"/programs/bridges/manage/resources/{builtins[0].pk}/hide/")
    library = text(client.get("/programs/bridges/resources/"))
    manage = text(client.get("/programs/bridges/manage/resources/"))

    assert archived.status_code == 302
    assert "Time zone converter</a>" not in in_library
    assert "This resource is already archived." in text(again)
    assert not Resource.objects.get(pk=link.pk).is_archived
    assert hidden.status_code == 302
    assert ProgramHiddenResource.objects.filter(resource=builtins[0]).exists()
    assert f"{builtins[0].title}</a>" not in library
    assert "Show in the library" in manage
    client.post(f"/programs/bridges/manage/resources/{builtins[0].pk}/show/")
    assert not ProgramHiddenResource.objects.exists()


# A mentorship's recommendations --------------------------------------------------------------


def test_the_mentor_searches_and_recommends_on_the_mentorship_page(client, world, builtins):
    pair = world["pair"]
    link = link_in(world["program"])
    client.force_login(world["mentor"])

    page = text(client.get(f"/mentorships/{pair.pk}/resources/"))
    narrowed = text(
        client.get(
            f"/mentorships/{pair.pk}/resources/?q=converter",
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="recommend-choices",
        )
    )
    response = client.post(
        f"/mentorships/{pair.pk}/resources/", {"resource": link.pk, "note": "For our call"}
    )
    again = client.post(f"/mentorships/{pair.pk}/resources/", {"resource": link.pk})

    assert "Nothing recommended yet." in page
    assert f'<option value="{link.pk}">Time zone converter</option>' in page
    assert "<html" not in narrowed
    assert f'<option value="{link.pk}">Time zone converter</option>' in narrowed
    assert "Checking in at a distance" not in narrowed
    assert response.status_code == 302
    assert again.status_code == 422
    assert "You already recommended this resource here." in text(again)
    assert Recommendation.objects.get().note == "For our call"


def test_an_unknown_or_foreign_resource_is_refused_without_showing_it(client, world):
    pair = world["pair"]
    foreign = link_in(world["other_program"], title="Secret elsewhere")
    client.force_login(world["mentor"])

    for value in (foreign.pk, 10**30, "abc", ""):
        response = client.post(f"/mentorships/{pair.pk}/resources/", {"resource": value})
        assert response.status_code == 422
        assert "Secret elsewhere" not in text(response)

    assert not Recommendation.objects.exists()


def test_the_mentee_marks_done_and_the_mentorship_page_shows_it(client, world):
    pair = world["pair"]
    recommendation = recommend(pair, link_in(world["program"]), note="Before Monday")
    client.force_login(world["mentee"])

    page = text(client.get(f"/mentorships/{pair.pk}/resources/"))
    done = client.post(
        f"/mentorships/{pair.pk}/resources/{recommendation.pk}/done/", {"done": "true"}
    )
    fragment = client.post(
        f"/mentorships/{pair.pk}/resources/{recommendation.pk}/done/",
        {"done": "true"},
        HTTP_HX_REQUEST="true",
    )
    detail = text(client.get(f"/mentorships/{pair.pk}/"))

    assert "Before Monday" in page
    assert "Mark as done" in page
    assert "Recommend a resource" not in page
    assert done.status_code == 302
    assert done.url.endswith(f"#recommendation-{recommendation.pk}")
    assert Recommendation.objects.get().is_done
    assert fragment.status_code == 200
    assert "This is already marked done." in text(fragment)
    assert text(fragment).lstrip().startswith("<li")
    section = detail[detail.index("data-resources-section") :]
    assert "1 of 1 recommended resource done" in section
    history = detail[detail.index("data-history") :]
    assert "Mara recommended “" in history
    assert "Noah finished “" in history
    assert f'href="/resources/{recommendation.resource_id}/">Time zone converter</a>' in history


def test_not_done_yet_with_htmx_answers_the_item(client, world):
    pair = world["pair"]
    recommendation = recommend(pair, link_in(world["program"]))
    Recommendation.objects.filter(pk=recommendation.pk).update(
        completed_at=recommendation.created_at, completed_by=world["mentee"]
    )
    client.force_login(world["mentee"])

    response = client.post(
        f"/mentorships/{pair.pk}/resources/{recommendation.pk}/done/",
        {"done": "false"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "Mark as done" in text(response)
    assert not Recommendation.objects.get().is_done


def test_managers_see_titles_and_state_but_not_notes(client, world):
    pair = world["pair"]
    recommend(pair, link_in(world["program"]), note="Private words")
    client.force_login(world["manager"])

    page = text(client.get(f"/mentorships/{pair.pk}/resources/"))
    detail = text(client.get(f"/mentorships/{pair.pk}/"))

    assert "Time zone converter" in page
    assert "To do" in page
    assert "Private words" not in page
    assert "Mark as done" not in page
    assert "Recommend a resource" not in page
    assert "Private words" not in detail
    assert "Time zone converter" in detail


def test_the_card_offers_the_mentor_to_recommend(client, world):
    client.force_login(world["mentor"])

    detail = text(client.get(f"/mentorships/{world['pair'].pk}/"))

    section = detail[detail.index("data-resources-section") :]
    assert "Nothing recommended yet." in section
    assert f'href="/mentorships/{world["pair"].pk}/resources/#recommend-heading"' in section


def test_an_archived_resource_stays_readable_where_it_was_recommended(client, world):
    link = link_in(world["program"])
    recommend(world["pair"], link)
    services.resource_archive(resource=link, by=world["manager"])

    client.force_login(world["mentee"])
    assert client.get(f"/resources/{link.pk}/").status_code == 200
    client.force_login(world["other_mentee"])
    assert client.get(f"/resources/{link.pk}/").status_code == 404
    assert MentorshipEvent.objects.filter(action="recommend").count() == 1
