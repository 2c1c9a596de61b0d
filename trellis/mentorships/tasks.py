"""Background work for mentorships: the expiry sweep and the end-of-mentorship reminders.

`manage.py mentorships_remind` (daily, e.g. `0 7 * * *`; `--enqueue` hands it to the
worker) sends "ends in two weeks" and the wrap-up prompt, each once, and nudges pairs who
fell behind their meeting cadence, at most once per interval (see
services.mentorships_remind and services.mentorships_nudge).

django-tasks has no scheduler; the sweep is started by `manage.py mentorships_expire`
(run it from cron or a systemd timer, every 15 minutes or so; `--enqueue` hands it to the
worker instead), and the requests and directory pages run it lazily for the person who
opens them, so a small install without a timer still expires requests on time.
"""

from __future__ import annotations

from django_tasks import task

from trellis.mentorships.services import mentorships_remind, requests_expire


@task()
def requests_expire_task() -> int:
    """Expire requests and offers past their time and roll requests over; return the count."""
    return requests_expire()


@task()
def mentorships_remind_task() -> int:
    """Send the due end reminders and "time to meet" nudges; return how many went."""
    return mentorships_remind()
