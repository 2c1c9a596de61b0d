"""Prepare the database of a messaging benchmark run; print who may sign in, as JSON.

Run by benchmarks/messaging.py in a process of its own, with the server's environment
(DATABASE_URL, SECRET_KEY...): it applies the migrations, makes `--clients` people in
pairs, one mentorship and its conversation per pair (through the messaging service), and a
signed-in session for each person, the way a login would leave it. Prints
{"cookie": <session cookie name>, "pairs": [[conversation, [user, session], [user, session]]]}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

import django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, required=True)
    arguments = parser.parse_args()
    if arguments.clients < 2 or arguments.clients % 2:
        parser.error("--clients must be an even number of at least 2")

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction

    from trellis.accounts.models import User
    from trellis.mentorships.models import Mentorship, MentorshipSource, MentorshipStatus
    from trellis.messaging.services import conversation_for_mentorship
    from trellis.programs.models import Organisation, Program

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.perf_counter()

    unusable = make_password(None)
    with transaction.atomic():
        organisation = Organisation.objects.create(name="Benchmark", slug="benchmark")
        program = Program.objects.create(
            organisation=organisation, name="Benchmark", slug="benchmark"
        )
        User.objects.bulk_create(
            User(email=f"bench{index}@example.org", password=unusable)
            for index in range(arguments.clients)
        )
        people = list(User.objects.filter(email__startswith="bench").order_by("pk"))
        Mentorship.objects.bulk_create(
            Mentorship(
                program=program,
                mentor=people[index],
                mentee=people[index + 1],
                source=MentorshipSource.MANAGER,
                status=MentorshipStatus.ACTIVE,
            )
            for index in range(0, len(people), 2)
        )
    sessions: dict[int, str] = {}
    for person in people:
        # What django.contrib.auth.login leaves in a session.
        session = SessionStore()
        session[SESSION_KEY] = str(person.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = person.get_session_auth_hash()
        session.create()
        sessions[person.pk] = str(session.session_key)
    pairs = []
    for mentorship in Mentorship.objects.filter(program=program).order_by("pk"):
        conversation = conversation_for_mentorship(mentorship=mentorship)
        pairs.append(
            [
                conversation.pk,
                [mentorship.mentor_id, sessions[mentorship.mentor_id]],
                [mentorship.mentee_id, sessions[mentorship.mentee_id]],
            ]
        )
    finished = time.perf_counter()
    json.dump(
        {
            "cookie": settings.SESSION_COOKIE_NAME,
            "pairs": pairs,
            "migrate_s": round(migrated - started, 2),
            "setup_s": round(finished - migrated, 2),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
