"""Our .ics output read by ical.js (Thunderbird's parser) in Chromium.

ical.js knows no IANA zones of its own: it computes every instant from the VTIMEZONE we
wrote, so these tests check our time zone definitions as well as the syntax.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from trellis.calendars.ics import CalendarEvent, Person, feed, invitation
from trellis.calendars.tests.samples import (
    NEW_YORK,
    moved_and_cancelled_overrides,
    weekly_berlin_series,
)

ICAL_JS = Path(__file__).parent / "vendor" / "ical.min.js"

# Parse with ical.js, register the document's own VTIMEZONEs, and expand each series with
# its recurrence exceptions applied; return the first occurrences' instants in UTC.
EXPAND = """
([text, count]) => {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(zone));
  }
  const series = new Map();
  for (const component of calendar.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(component);
    if (!event.isRecurrenceException()) series.set(event.uid, event);
  }
  for (const component of calendar.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(component);
    if (event.isRecurrenceException()) series.get(event.uid).relateException(event);
  }
  const result = {
    method: calendar.getFirstPropertyValue("method"),
    name: calendar.getFirstPropertyValue("x-wr-calname"),
    events: [],
  };
  for (const event of series.values()) {
    const starts = [];
    if (event.isRecurring()) {
      const iterator = event.iterator();
      let next;
      while (starts.length < count && (next = iterator.next())) {
        starts.push(event.getOccurrenceDetails(next).startDate.toJSDate().toISOString());
      }
    } else {
      starts.push(event.startDate.toJSDate().toISOString());
    }
    result.events.push({
      uid: event.uid,
      sequence: event.sequence,
      zone: event.startDate.zone.tzid,
      location: event.location,
      starts,
    });
  }
  return result;
}
"""


def expand_with_ical_js(page: Any, text: bytes, count: int) -> dict[str, Any]:
    page.set_content("<!doctype html><html lang='en'><title>ical.js</title></html>")
    page.add_script_tag(path=str(ICAL_JS))
    result: dict[str, Any] = page.evaluate(EXPAND, [text.decode(), count])
    return result


@pytest.mark.browser
def test_ical_js_reads_the_invitation_with_the_right_instants_across_dst(page: Any) -> None:
    event = weekly_berlin_series(sequence=5, overrides=moved_and_cancelled_overrides())

    result = expand_with_ical_js(page, invitation(event, method="REQUEST"), count=5)

    assert result["method"] == "REQUEST"
    assert result["events"] == [
        {
            "uid": "meeting-series-42@trellis.test",
            "sequence": 5,
            "zone": "Europe/Berlin",
            "location": "https://meet.example.org/trellis-42",
            "starts": [
                "2026-03-16T08:00:00.000Z",
                "2026-03-23T08:00:00.000Z",
                "2026-03-31T09:00:00.000Z",  # moved to Tuesday 11:00 summer time
                "2026-04-06T07:00:00.000Z",
                # 13 April cancelled
                "2026-04-20T07:00:00.000Z",
            ],
        }
    ]


@pytest.mark.browser
def test_ical_js_reads_the_feed_with_several_zones(page: Any) -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")  # its clocks go back half an hour on 5 April
    events = [
        weekly_berlin_series(),
        CalendarEvent(
            uid="meeting-7@trellis.test",
            sequence=1,
            summary="Intro call",
            start=datetime(2026, 11, 2, 8, 30, tzinfo=NEW_YORK),
            end=datetime(2026, 11, 2, 9, tzinfo=NEW_YORK),
            organizer=Person("Ned Mentor", "ned@example.org"),
        ),
        CalendarEvent(
            uid="meeting-8@trellis.test",
            sequence=0,
            summary="Island check-in",
            start=datetime(2026, 3, 30, 9, tzinfo=lord_howe),
            end=datetime(2026, 3, 30, 9, 30, tzinfo=lord_howe),
            rrule="FREQ=WEEKLY",
            organizer=Person("Lou Mentor", "lou@example.org"),
        ),
    ]

    result = expand_with_ical_js(page, feed(events, name="Trellis: Mia"), count=3)

    assert result["method"] == "PUBLISH"
    assert result["name"] == "Trellis: Mia"
    starts = {event["uid"]: (event["zone"], event["starts"]) for event in result["events"]}
    assert starts == {
        "meeting-series-42@trellis.test": (
            "Europe/Berlin",
            ["2026-03-16T08:00:00.000Z", "2026-03-23T08:00:00.000Z", "2026-03-30T07:00:00.000Z"],
        ),
        "meeting-7@trellis.test": ("America/New_York", ["2026-11-02T13:30:00.000Z"]),
        "meeting-8@trellis.test": (
            "Australia/Lord_Howe",
            ["2026-03-29T22:00:00.000Z", "2026-04-05T22:30:00.000Z", "2026-04-12T22:30:00.000Z"],
        ),
    }
