"""Background work for matching: solving an automatch run, and publishing it."""

from __future__ import annotations

from django_tasks import task

from trellis.matching.services import matchrun_execute_now, matchrun_publish_now


@task()
def matchrun_execute(*, run_id: int) -> None:
    """Solve a queued automatch run; progress and the result are written to the run."""
    matchrun_execute_now(run_id=run_id)


@task()
def matchrun_publish_pairs(*, run_id: int) -> None:
    """Start the mentorships of a run being published, all or none, and tell everyone."""
    matchrun_publish_now(run_id=run_id)
