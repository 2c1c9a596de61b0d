"""A voice and a video message recorded by Chromium's MediaRecorder, uploaded and played.

Chromium records from its fake camera and microphone (see CHROMIUM_ARGS), the page
uploads the recording through the API as the messaging page does, sends it, and plays it
back in <video>/<audio> from the download URL: the bytes of a real recording pass the
sniffer, the media element loads them through range requests (206), and a non-member's
browser gets nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from trellis.core.tests.browser import sign_in
from trellis.messaging.models import Attachment, Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_AND_UPLOAD = """
async ({conversationId, kind}) => {
  const constraints = kind === "video" ? {audio: true, video: true} : {audio: true};
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  const mimeType = kind === "video" ? "video/webm" : "audio/webm";
  const recorder = new MediaRecorder(stream, {mimeType});
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  const started = performance.now();
  recorder.start(250);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  recorder.stop();
  await stopped;
  stream.getTracks().forEach((track) => track.stop());
  const seconds = (performance.now() - started) / 1000;
  const blob = new Blob(chunks, {type: recorder.mimeType});
  const form = new FormData();
  form.append("file", blob, `${kind}.webm`);
  form.append("duration_seconds", seconds.toFixed(2));
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const headers = {"X-CSRFToken": csrf};
  const upload = await fetch(`/api/v1/conversations/${conversationId}/attachments`,
                             {method: "POST", body: form, headers});
  const attachment = await upload.json();
  const send = await fetch(`/api/v1/conversations/${conversationId}/messages`, {
    method: "POST",
    headers: {...headers, "Content-Type": "application/json"},
    body: JSON.stringify({client_key: `rec-${kind}`, body: "", attachment_ids: [attachment.id]}),
  });
  return {status: upload.status, attachment, sendStatus: send.status, size: blob.size};
}
"""

PLAY = """
async ({url, kind}) => {
  const element = document.createElement(kind);
  element.muted = true;
  element.preload = "auto";
  document.body.append(element);
  const loaded = new Promise((resolve, reject) => {
    element.addEventListener("loadeddata", resolve, {once: true});
    element.addEventListener("error", () => reject(new Error(`media error ${element.error?.code}`)),
                             {once: true});
  });
  element.src = url;
  await loaded;
  await element.play();
  await new Promise((resolve) => setTimeout(resolve, 300));
  element.pause();
  const result = {readyState: element.readyState, played: element.currentTime > 0,
                  width: element.videoWidth || 0};
  element.remove();
  return result;
}
"""


@pytest.fixture
def signed_in(page: Any, mentee: Any, conversation: Any) -> Any:
    sign_in(page, mentee.email)
    return page


@pytest.mark.parametrize(
    ("kind", "content_type", "message_kind"),
    [("video", "video/webm", "video"), ("audio", "audio/webm", "voice")],
)
def test_a_recording_is_uploaded_sent_and_played(
    signed_in, conversation, kind, content_type, message_kind
):
    page = signed_in
    media_responses: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda response: (
            "/messages/files/" in response.url
            and media_responses.append((response.status, response.headers.get("content-range", "")))
        ),
    )

    uploaded = page.evaluate(RECORD_AND_UPLOAD, {"conversationId": conversation.pk, "kind": kind})

    assert uploaded["status"] == 201, uploaded
    assert uploaded["sendStatus"] == 201
    attachment = Attachment.objects.get(pk=uploaded["attachment"]["id"])
    assert attachment.content_type == content_type
    assert attachment.size == uploaded["size"]
    assert 1 <= attachment.duration_seconds < 5
    assert Message.objects.get(pk=attachment.message_id).kind == message_kind

    played = page.evaluate(PLAY, {"url": uploaded["attachment"]["url"], "kind": kind})

    assert played["readyState"] >= 2
    assert played["played"]
    if kind == "video":
        assert played["width"] > 0
    assert media_responses, "the media element fetched nothing"
    assert all(status in (200, 206) for status, _ in media_responses)
    ranges = [content_range for status, content_range in media_responses if status == 206]
    assert ranges, f"Chromium made no range request: {media_responses}"
    assert all(r.endswith(f"/{attachment.size}") for r in ranges)
