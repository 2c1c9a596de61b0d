"""Build the demo organisation: two programs and a few hundred people to try Trellis with.

Everything except dates comes from `random.Random(seed)`, so a build with the same seed
gives the same people with the same profiles on every machine. Rows are seed data and
are written with bulk_create, but every value respects the models' fields and constraints.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from trellis.accounts.models import User
from trellis.demo import data
from trellis.matching.models import CriterionKind, MatchingCriterion, MatchingSettings
from trellis.notifications.models import Notification
from trellis.profiles.models import (
    AvailabilityWindow,
    CommunicationMode,
    MeetingFrequency,
    Profile,
    Seniority,
)
from trellis.programs.models import (
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    IntakeAnswer,
    IntakeQuestion,
    Organisation,
    Program,
    ProgramType,
    QuestionAudience,
    QuestionKind,
    Role,
)

DEMO_SEED = 20240917
DEMO_ORGANISATION_SLUG = "meridian-alliance"
DEMO_EMAIL_DOMAIN = "demo.trellis.test"
DEMO_PASSWORD = "trellis-demo"  # noqa: S105 - published on purpose: it is a demo.
MANAGER_EMAIL = f"manager@{DEMO_EMAIL_DOMAIN}"
STAFF_EMAIL = f"admin@{DEMO_EMAIL_DOMAIN}"
MENTOR_COUNT = 40
MENTEE_COUNT = 120


def mentor_email(number: int) -> str:
    return f"mentor{number:02d}@{DEMO_EMAIL_DOMAIN}"


def mentee_email(number: int) -> str:
    return f"mentee{number:03d}@{DEMO_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("Program manager", MANAGER_EMAIL),
    DemoLogin("Staff (admin site)", STAFF_EMAIL),
    DemoLogin("Mentor", mentor_email(1)),
    DemoLogin("Mentee", mentee_email(1)),
)


@dataclass
class DemoResult:
    organisation: Organisation
    created: bool
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Person:
    """One generated person before any row exists."""

    email: str
    role: str  # "mentor", "mentee", "manager" or "staff"
    number: int
    profile: dict[str, object]
    windows: list[tuple[int, datetime.time, datetime.time]]


# --- Public services -----------------------------------------------------------------


def demo_load(*, seed: int = DEMO_SEED, reset: bool = False) -> DemoResult:
    """Build the demo unless it exists; with reset, delete it first and build it again."""
    existing = Organisation.objects.filter(slug=DEMO_ORGANISATION_SLUG).first()
    if existing is not None and not reset:
        return DemoResult(organisation=existing, created=False)
    with transaction.atomic():
        demo_delete()
        return demo_build(seed=seed)


def demo_delete() -> int:
    """Delete the demo organisation, its programs and every demo account; return users deleted."""
    with transaction.atomic():
        organisation = Organisation.objects.filter(slug=DEMO_ORGANISATION_SLUG).first()
        if organisation is not None:
            # Programs protect their organisation; their enrollments and questions cascade.
            Program.objects.filter(organisation=organisation).delete()
            organisation.delete()
        _total, by_model = User.objects.filter(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}").delete()
        return by_model.get(User._meta.label, 0)


@transaction.atomic
def demo_build(*, seed: int = DEMO_SEED) -> DemoResult:
    """Create the demo organisation, programs, people, profiles and enrollments."""
    rng = random.Random(seed)
    now = timezone.now()

    people = _people(rng)
    users = _create_users(people, now=now)
    _create_profiles(people, users, rng)

    manager = users[MANAGER_EMAIL]
    organisation = Organisation.objects.create(
        name="Meridian Alliance",
        slug=DEMO_ORGANISATION_SLUG,
        description=(
            "An alliance of eight companies on five continents that mentor each other's "
            "engineers across borders and time zones."
        ),
    )
    organisation.admins.add(manager)
    engineering, leaders, circles = _create_programs(organisation, manager, today=now.date())
    questions = _create_questions(engineering)
    criteria = _create_matching(engineering, leaders, circles, questions)

    mentors = [p for p in people if p.role == "mentor"]
    mentees = [p for p in people if p.role == "mentee"]
    enrollments = _engineering_enrollments(mentors, mentees, users, engineering, manager, rng, now)
    enrollments += _leaders_enrollments(mentors, mentees, users, leaders, now)
    enrollments += _circles_enrollments(mentors, mentees, users, circles, manager, now)
    Enrollment.objects.bulk_create(enrollments)
    surveys = sum(_create_surveys(program, manager) for program in (engineering, circles))
    circle_members = _create_circle(
        circles,
        users[mentors[30].email],
        [users[person.email] for person in mentees[90:94]],
    )
    goals, wins = _create_goals_and_wins(circles, now=now)
    events = _create_events(engineering, circles, manager, now=now)
    recommendations, introductions = _create_recommendations_and_introductions(circles)
    answers = _answers([e for e in enrollments if e.program_id == engineering.pk], questions, rng)
    IntakeAnswer.objects.bulk_create(answers)

    pending = sum(1 for e in enrollments if e.status == EnrollmentStatus.PENDING)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=manager,
                kind="enrollment.pending",
                title=f"{pending} applications to {engineering.name} wait for your review",
                url="/programs/",
            ),
            Notification(
                recipient=users[mentee_email(1)],
                kind="enrollment.approved",
                title=f"Welcome to {engineering.name}: your application was approved",
                url="/programs/",
            ),
        ]
    )

    counts = {
        "users": len(users),
        "profiles": len(people),
        "availability windows": sum(len(p.windows) for p in people),
        "programs": 3,
        "intake questions": len(questions),
        "enrollments": len(enrollments),
        "intake answers": len(answers),
        "matching criteria": criteria,
        "notifications": 2,
        "group members": circle_members,
        "surveys": surveys,
        "goals": goals,
        "wins": wins,
        "events": events,
        "recommendations": recommendations,
        "introductions": introductions,
    }
    return DemoResult(organisation=organisation, created=True, counts=counts)


# --- People ----------------------------------------------------------------------------


def _people(rng: random.Random) -> list[_Person]:
    people = [
        _person(rng, email=MANAGER_EMAIL, role="manager", number=0),
        _person(rng, email=STAFF_EMAIL, role="staff", number=0),
    ]
    people += [
        _person(rng, email=mentor_email(n), role="mentor", number=n)
        for n in range(1, MENTOR_COUNT + 1)
    ]
    people += [
        _person(rng, email=mentee_email(n), role="mentee", number=n)
        for n in range(1, MENTEE_COUNT + 1)
    ]
    _make_names_unique(people, rng)
    return people


def _person(rng: random.Random, *, email: str, role: str, number: int) -> _Person:
    # Walk the places in order first so every zone and language appears, then draw.
    if role in ("mentor", "mentee") and number <= len(data.PLACES):
        place = data.PLACES[number - 1]
    else:
        place = rng.choice(data.PLACES)
    is_woman = rng.random() < 0.5
    first_name = rng.choice(place.women if is_woman else place.men)
    family_name = rng.choice(place.family_names)
    pronoun_draw = rng.random()
    if pronoun_draw < 0.08:
        pronouns = "they/them"
    elif pronoun_draw < 0.22:
        pronouns = ""
    else:
        pronouns = "she/her" if is_woman else "he/him"

    is_mentor = role in ("mentor", "manager", "staff")
    member = rng.choice(data.MEMBER_ORGANISATIONS)
    years = rng.randint(8, 25) if is_mentor else rng.randint(1, 4)
    if is_mentor:
        seniority = rng.choice([Seniority.SENIOR, Seniority.LEAD, Seniority.DIRECTOR])
        if rng.random() < 0.1:
            seniority = Seniority.EXECUTIVE
    else:
        seniority = [Seniority.ENTRY, Seniority.ENTRY, Seniority.MID, Seniority.MID][years - 1]
    if role == "manager":
        headline = "Program manager, Meridian Alliance mentoring"
    elif role == "staff":
        headline = "Platform administrator"
    else:
        title = rng.choice(data.MENTOR_TITLES if is_mentor else data.MENTEE_TITLES)
        headline = f"{title} at {member}"
        if "student" in title.lower() or "intern" in title.lower():
            seniority = Seniority.STUDENT
    # The alliance works in English; most people speak their place's first language too.
    languages = list(place.languages[: rng.randint(1, len(place.languages))])
    if "en" not in languages:
        languages.append("en")
    interests = rng.sample(data.INTERESTS, rng.randint(2, 4))
    openings = data.MENTOR_BIO_OPENINGS if is_mentor else data.MENTEE_BIO_OPENINGS
    bio = " ".join(
        [
            rng.choice(openings).format(years=years),
            f"I work from {place.city} and speak {_language_phrase(languages)}.",
            rng.choice(data.BIO_CLOSINGS).format(interest=data.INTEREST_PHRASES[interests[0]]),
        ]
    )
    skills = list(data.SKILLS)
    offered = rng.sample(skills, rng.randint(3, 5) if is_mentor else rng.randint(1, 2))
    sought = rng.sample(
        [s for s in skills if s not in offered], rng.randint(0, 2) if is_mentor else 3
    )
    modes = [CommunicationMode.VIDEO.value]
    modes += [
        mode.value
        for mode in (CommunicationMode.CHAT, CommunicationMode.EMAIL, CommunicationMode.PHONE)
        if rng.random() < 0.45
    ]
    start_hour = rng.choice([7, 8, 8, 9, 9, 10])
    end_hour = start_hour + rng.choice([8, 9, 10])
    has_quiet_hours = rng.random() < 0.4
    profile: dict[str, object] = {
        "display_name": f"{first_name} {family_name}",
        "pronouns": pronouns,
        "headline": headline,
        "bio": bio,
        "time_zone": place.time_zone,
        "has_chosen_time_zone": True,
        "languages": languages,
        "city": place.city,
        "country": place.country,
        "organisation": "Meridian Alliance" if role in ("manager", "staff") else member,
        "department": rng.choice(data.DEPARTMENTS),
        "seniority": int(seniority),
        "skills_offered": offered,
        "skills_sought": sought,
        "interests": interests,
        "values": rng.sample(data.VALUES, 3),
        "goals": rng.choice(data.MENTOR_GOALS if is_mentor else data.MENTEE_GOALS),
        "communication_modes": modes,
        "contact_hours_start": datetime.time(start_hour, 0),
        "contact_hours_end": datetime.time(end_hour, 0),
        "quiet_hours_start": datetime.time(22, 0) if has_quiet_hours else None,
        "quiet_hours_end": datetime.time(7, 0) if has_quiet_hours else None,
        "meeting_frequency": rng.choice(
            [MeetingFrequency.WEEKLY, MeetingFrequency.FORTNIGHTLY, MeetingFrequency.MONTHLY]
        ).value,
    }
    windows = []
    for weekday in sorted(rng.sample(range(5), rng.randint(2, 4))):
        start = rng.choice([7, 8, 9, 12, 13, 17, 18])
        minutes = rng.choice([0, 30])
        length = rng.choice([1, 2, 2, 3])
        windows.append(
            (weekday, datetime.time(start, minutes), datetime.time(start + length, minutes))
        )
    if rng.random() < 0.25:
        windows.append((5, datetime.time(10, 0), datetime.time(12, 0)))  # Saturday morning
    return _Person(email=email, role=role, number=number, profile=profile, windows=windows)


def _language_phrase(codes: list[str]) -> str:
    names = {
        "af": "Afrikaans", "ar": "Arabic", "de": "German", "en": "English",
        "es": "Spanish", "fr": "French", "hi": "Hindi", "id": "Indonesian", "ja": "Japanese",
        "kn": "Kannada", "ko": "Korean", "mi": "Māori", "ms": "Malay", "pl": "Polish",
        "pt": "Portuguese", "sw": "Swahili", "ta": "Tamil", "vi": "Vietnamese",
        "yo": "Yoruba", "zh": "Chinese", "zu": "Zulu",
    }  # fmt: skip
    spoken = [names[code] for code in codes]
    if len(spoken) == 1:
        return spoken[0]
    return ", ".join(spoken[:-1]) + " and " + spoken[-1]


def _make_names_unique(people: list[_Person], rng: random.Random) -> None:
    """Give a second "Kim Lee" a middle initial, so lists stay readable."""
    seen: set[str] = set()
    for person in people:
        name = str(person.profile["display_name"])
        while name in seen:
            first, _, family = name.partition(" ")
            name = f"{first} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {family}"
        seen.add(name)
        person.profile["display_name"] = name


def _create_users(people: list[_Person], *, now: datetime.datetime) -> dict[str, User]:
    # One hash for everyone: hashing 160 times with argon2 would take half a minute.
    password_hash = make_password(DEMO_PASSWORD)
    users = [
        User(
            email=person.email,
            password=password_hash,
            is_staff=person.role == "staff",
            is_superuser=person.role == "staff",
            date_joined=now,
        )
        for person in people
    ]
    User.objects.bulk_create(users)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, primary=True, verified=True) for user in users]
    )
    return {user.email: user for user in users}


def _create_profiles(people: list[_Person], users: dict[str, User], rng: random.Random) -> None:
    profiles = []
    for person in people:
        profile = Profile(user=users[person.email], **person.profile)
        # Field-level checks (time zone, choices, lengths); the user link is new and valid.
        profile.clean_fields(exclude=["user", "manager", "photo"])
        profiles.append(profile)
    _assign_line_managers(people, profiles, users, rng)
    Profile.objects.bulk_create(profiles)
    windows = []
    for person, profile in zip(people, profiles, strict=True):
        for weekday, start, end in person.windows:
            window = AvailabilityWindow(
                profile=profile, weekday=weekday, start_time=start, end_time=end
            )
            window.clean_fields(exclude=["profile"])
            windows.append(window)
    AvailabilityWindow.objects.bulk_create(windows)


def _assign_line_managers(
    people: list[_Person], profiles: list[Profile], users: dict[str, User], rng: random.Random
) -> None:
    """Put some mentees in a mentor's reporting line, as in a real company."""
    mentors_by_member: dict[str, list[str]] = {}
    for person in people:
        if person.role == "mentor":
            member = str(person.profile["organisation"])
            mentors_by_member.setdefault(member, []).append(person.email)
    for person, profile in zip(people, profiles, strict=True):
        if person.role != "mentee" or rng.random() >= 0.2:
            continue
        candidates = mentors_by_member.get(str(person.profile["organisation"]))
        if candidates:
            profile.manager = users[rng.choice(candidates)]


# --- Programs --------------------------------------------------------------------------


def _circles_enrollments(
    mentors: list[_Person],
    mentees: list[_Person],
    users: dict[str, User],
    program: Program,
    manager: User,
    now: datetime.datetime,
) -> list[Enrollment]:
    """An open group program: five leaders (mentors 31-35) and mentees 91-110."""
    enrollments = [
        _decided(
            Enrollment(program=program, user=users[person.email], role=role),
            EnrollmentStatus.APPROVED,
            manager,
            now,
        )
        for role, people in ((Role.MENTOR, mentors[30:35]), (Role.MENTEE, mentees[90:110]))
        for person in people
    ]
    return enrollments


def _create_circle(program: Program, mentor: User, mentees: list[User]) -> int:
    """One group already under way, so the group pages have something to show."""
    # Imported here: mentorships' services reach far (matching, scheduling, notifications).
    from trellis.mentorships.models import MentorshipSource
    from trellis.mentorships.services import mentorship_start

    for mentee in mentees:
        mentorship_start(
            program=program,
            mentor=mentor,
            mentee=mentee,
            source=MentorshipSource.MANAGER,
            score=None,
            reasons=["Formed by the program's managers for the first cohort"],
            by=None,
            notify=False,
        )
    return len(mentees)


def _create_surveys(program: Program, manager: User) -> int:
    """A mid-point and an end survey, active, answered in aggregate only."""
    from trellis.feedback.models import Survey, SurveyKind, SurveyQuestion
    from trellis.programs.models import QuestionAudience, QuestionKind

    questions: dict[str, list[tuple[str, str, str, list[str]]]] = {
        SurveyKind.MIDPOINT: [
            (
                QuestionKind.SCALE,
                QuestionAudience.EVERYONE,
                "How well is the mentorship going?",
                [],
            ),
            (
                QuestionKind.SINGLE_CHOICE,
                QuestionAudience.EVERYONE,
                "How often do you meet?",
                ["Every week", "Every two weeks", "Every month", "Less often"],
            ),
            (QuestionKind.TEXT, QuestionAudience.MENTEES, "What has helped you most so far?", []),
            (QuestionKind.TEXT, QuestionAudience.MENTORS, "What would help you mentor better?", []),
        ],
        SurveyKind.END: [
            (QuestionKind.SCALE, QuestionAudience.EVERYONE, "How useful was the mentorship?", []),
            (
                QuestionKind.MULTIPLE_CHOICE,
                QuestionAudience.MENTEES,
                "What did it change for you?",
                ["Confidence", "Skills", "Network", "Career direction"],
            ),
            (QuestionKind.TEXT, QuestionAudience.EVERYONE, "What should the program change?", []),
        ],
    }
    for kind, title in (
        (SurveyKind.MIDPOINT, f"{program.name}: half-way check"),
        (SurveyKind.END, f"{program.name}: looking back"),
    ):
        survey = Survey.objects.create(
            program=program,
            kind=kind,
            title=title,
            intro="A few questions, two minutes. The program team sees the answers together.",
            is_active=True,
            created_by=manager,
        )
        SurveyQuestion.objects.bulk_create(
            [
                SurveyQuestion(
                    survey=survey,
                    kind=question_kind,
                    audience=audience,
                    label=label,
                    choices=choices,
                    is_required=question_kind == QuestionKind.SCALE,
                    position=position,
                )
                for position, (question_kind, audience, label, choices) in enumerate(
                    questions[kind]
                )
            ]
        )
    return 2


def _create_goals_and_wins(program: Program, *, now: datetime.datetime) -> tuple[int, int]:
    """The circle's first member is half-way through a goal and shared a win on the wall."""
    from trellis.goals.models import CheckIn, CheckInStatus, Goal, Milestone
    from trellis.mentorships.models import Mentorship
    from trellis.wins.models import Win, WinSource, WinState

    group = Mentorship.objects.filter(program=program, is_group=True).first()
    if group is None:
        return 0, 0
    member = group.members.order_by("pk").select_related("mentee").first()
    if member is None:
        return 0, 0
    mentee, mentor = member.mentee, group.mentor
    goal = Goal.objects.create(
        mentorship=group,
        owner=mentee,
        title="Lead a design review for my team",
        why="Reviews are where senior engineers shape a system; I want to lead one.",
        measure="One review led, with written feedback from two colleagues",
        target_date=(now + datetime.timedelta(days=60)).date(),
        value=(program.values or [""])[0],
        created_by=mentee,
    )
    done = Milestone.objects.create(
        goal=goal,
        title="Shadow two reviews and take notes",
        position=0,
        owner=mentee,
        done_at=now - datetime.timedelta(days=3),
        done_by=mentee,
    )
    Milestone.objects.create(goal=goal, title="Prepare the review checklist", position=1)
    Milestone.objects.create(goal=goal, title="Lead the review", position=2, owner=mentee)
    CheckIn.objects.create(
        goal=goal,
        author=mentor,
        status=CheckInStatus.ON_TRACK,
        note="Good notes from the shadowing; next, the checklist.",
        progress=33,
    )
    Win.objects.create(
        mentorship=group,
        owner=mentee,
        goal=goal,
        milestone=done,
        source=WinSource.MILESTONE,
        title=f"Finished: {done.title}",
        story="Two reviews in two time zones: I learnt how much preparation they take.",
        state=WinState.PROGRAM,
        decided_at=now - datetime.timedelta(days=2),
        shared_at=now - datetime.timedelta(days=2),
    )
    return 1, 1


def _create_events(
    engineering: Program, circles: Program, manager: User, *, now: datetime.datetime
) -> int:
    """A drop-in this afternoon (a last-minute invitation) and a small evening next week."""
    from trellis.events.services import event_create, rsvp_attend

    start = (now + datetime.timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    event_create(
        program=engineering,
        by=manager,
        title="Office hours: ask a staff engineer anything",
        description="Bring a design question, a career question or a bug that haunts you.",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        time_zone="Europe/Berlin",
        online_url="https://meet.example.org/office-hours",
        capacity=30,
    )
    evening = (now + datetime.timedelta(days=7)).replace(hour=17, minute=0, second=0, microsecond=0)
    small = event_create(
        program=circles,
        by=manager,
        title="Cross-border networking evening",
        description="Six tables, six countries: meet the other circles over a video call.",
        starts_at=evening,
        ends_at=evening + datetime.timedelta(hours=2),
        time_zone="Europe/Lisbon",
        online_url="https://meet.example.org/circles-evening",
        capacity=2,
    )
    for person in Enrollment.objects.filter(
        program=circles, role=Role.MENTEE, status=EnrollmentStatus.APPROVED
    ).order_by("pk")[4:6]:
        rsvp_attend(event=small, by=person.user)
    return 2


def _create_recommendations_and_introductions(program: Program) -> tuple[int, int]:
    """The circle's mentor started the shared notes, recommended a guide, made an introduction."""
    from trellis.introductions.services import introduction_create
    from trellis.mentorships.models import Mentorship
    from trellis.notes.selectors import NotesContext
    from trellis.notes.services import document_get_or_create, document_text_replace
    from trellis.resources.models import Resource
    from trellis.resources.services import recommendation_create

    group = Mentorship.objects.filter(program=program, is_group=True).first()
    guide = Resource.objects.filter(program__isnull=True, title__startswith="Listening").first()
    if group is None or guide is None:
        return 0, 0
    document = document_get_or_create(where=NotesContext(mentorship=group))
    document_text_replace(
        document=document,
        by=group.mentor,
        text=(
            "# Circle notes\n\n"
            "## Agreed\n- We meet every second Tuesday, 16:00 UTC, by video.\n"
            "- Questions between calls go in the group's messages.\n\n"
            "## Open questions\n- How do we run a design review across three time zones?\n"
        ),
    )
    recommendation_create(
        mentorship=group,
        resource=guide,
        by=group.mentor,
        note="Read this before our next call: we will try the 'say it back' exercise.",
    )
    member = group.members.order_by("pk").select_related("mentee").first()
    peer = (
        Enrollment.objects.filter(
            program=program, role=Role.MENTOR, status=EnrollmentStatus.APPROVED
        )
        .exclude(user=group.mentor)
        .order_by("pk")
        .first()
    )
    if member is None or peer is None:
        return 1, 0
    introduction_create(
        mentorship=group,
        by=group.mentor,
        mentee=member.mentee,
        contact=peer.user,
        message="You both care about design reviews across time zones: compare notes.",
    )
    return 1, 1


def _create_programs(
    organisation: Organisation, manager: User, *, today: datetime.date
) -> tuple[Program, Program, Program]:
    cycle_start = today.replace(day=1)
    engineering = Program(
        organisation=organisation,
        name="Global Engineering Mentoring",
        slug="global-engineering-mentoring",
        description=(
            "<p>Six months of one-to-one mentoring between experienced engineers and people "
            "early in their careers, matched across companies and continents.</p>"
            "<ul><li>Meet every two weeks by video.</li>"
            "<li>Set two or three goals together in the first month.</li>"
            "<li>Share what you learned at the closing circle.</li></ul>"
        ),
        values=["curiosity", "inclusion", "craftsmanship"],
        cycle_start=cycle_start,
        cycle_end=cycle_start + datetime.timedelta(weeks=26),
        program_type=ProgramType.ONE_TO_ONE,
        enrollment_mode=EnrollmentMode.APPLICATION,
        default_mentor_capacity=2,
        expected_length_weeks=26,
        meeting_frequency=MeetingFrequency.FORTNIGHTLY,
    )
    leaders = Program(
        organisation=organisation,
        name="Leaders Across Borders",
        slug="leaders-across-borders",
        description=(
            "<p>A peer circle for people who lead or want to lead: pair up with someone in "
            "another country and another company, and learn from each other's ways of "
            "working.</p>"
        ),
        values=["collaboration", "growth", "kindness"],
        cycle_start=cycle_start,
        cycle_end=cycle_start + datetime.timedelta(weeks=12),
        program_type=ProgramType.PEER,
        enrollment_mode=EnrollmentMode.OPEN,
        default_mentor_capacity=1,
        expected_length_weeks=12,
        meeting_frequency=MeetingFrequency.MONTHLY,
    )
    circles = Program(
        organisation=organisation,
        name="Engineering Leadership Circles",
        slug="engineering-leadership-circles",
        description=(
            "<p>Small groups of up to five people with one experienced engineering leader, "
            "meeting every week for four months to work through the questions new leads "
            "face: hiring, feedback, priorities and looking after themselves.</p>"
        ),
        values=["candour", "growth", "kindness"],
        cycle_start=cycle_start,
        cycle_end=cycle_start + datetime.timedelta(weeks=16),
        program_type=ProgramType.GROUP,
        enrollment_mode=EnrollmentMode.OPEN,
        default_mentor_capacity=5,
        expected_length_weeks=16,
        meeting_frequency=MeetingFrequency.WEEKLY,
    )
    for program in (engineering, leaders, circles):
        program.full_clean(exclude=["organisation"])
        program.save()
        program.managers.add(manager)
    return engineering, leaders, circles


TRACK_CHOICES = ["Backend", "Frontend", "Data and machine learning", "Infrastructure", "Management"]
TOPIC_CHOICES = [
    "Career growth",
    "Technical depth",
    "Leadership",
    "Working across cultures",
    "Public speaking",
    "Work-life balance",
]
SUCCESS_ANSWERS = [
    "A clear plan for my next two years and someone honest to test it against.",
    "Shipping a design I am proud of and knowing how to explain it.",
    "Feeling at home working with colleagues on other continents.",
    "Helping my mentee land the role they are aiming for.",
    "Leaving every session with one concrete thing to try.",
    "Getting better at giving feedback that people can use.",
]


def _create_questions(program: Program) -> list[IntakeQuestion]:
    questions = [
        IntakeQuestion(
            program=program,
            audience=QuestionAudience.EVERYONE,
            kind=QuestionKind.SINGLE_CHOICE,
            label="Which track suits you best?",
            choices=TRACK_CHOICES,
            is_required=True,
            position=1,
        ),
        IntakeQuestion(
            program=program,
            audience=QuestionAudience.EVERYONE,
            kind=QuestionKind.MULTIPLE_CHOICE,
            label="Which topics would you like to cover?",
            help_text="Pick as many as you like.",
            choices=TOPIC_CHOICES,
            position=2,
        ),
        IntakeQuestion(
            program=program,
            audience=QuestionAudience.EVERYONE,
            kind=QuestionKind.TEXT,
            label="What would make this program a success for you?",
            is_required=True,
            position=3,
        ),
        IntakeQuestion(
            program=program,
            audience=QuestionAudience.EVERYONE,
            kind=QuestionKind.SCALE,
            label="How comfortable are you working with people in other time zones?",
            help_text="1: not yet, 5: it is my daily work.",
            position=4,
        ),
    ]
    for question in questions:
        question.full_clean(exclude=["program"])
    return IntakeQuestion.objects.bulk_create(questions)


def _create_matching(
    engineering: Program, leaders: Program, circles: Program, questions: list[IntakeQuestion]
) -> int:
    """Matching settings and criteria that give explained, sensible automatch results."""
    track, topics, _success, _comfort = questions
    kind = CriterionKind
    # (program, field, kind, is hard rule, weight, parameter)
    rows = [
        (engineering, "languages", kind.OVERLAP, True, 5, 1.0),
        (engineering, "department_line", kind.NOT_SAME_LINE, True, 5, None),
        (engineering, "skills", kind.COMPLEMENT, False, 8, 1.0),
        (engineering, f"intake:{track.pk}", kind.SAME_VALUE, False, 5, None),
        (engineering, "time_zone", kind.TIME_ZONE, False, 5, 8.0),
        (engineering, "availability", kind.AVAILABILITY, False, 4, 2.0),
        (engineering, "text", kind.TEXT, False, 4, 0.1),
        (engineering, f"intake:{topics.pk}", kind.OVERLAP, False, 3, 1.0),
        (engineering, "interests", kind.OVERLAP, False, 2, 1.0),
        (engineering, "seniority", kind.SENIORITY_GAP, False, 3, 2.0),
        (leaders, "languages", kind.OVERLAP, True, 5, 1.0),
        (leaders, "organisation", kind.DIFFERENT_VALUE, True, 5, None),
        (leaders, "time_zone", kind.TIME_ZONE, False, 5, 6.0),
        (leaders, "values", kind.OVERLAP, False, 4, 1.0),
        (leaders, "text", kind.TEXT, False, 3, 0.1),
        (circles, "languages", kind.OVERLAP, True, 5, 1.0),
        (circles, "time_zone", kind.TIME_ZONE, False, 6, 4.0),
        (circles, "skills", kind.COMPLEMENT, False, 5, 1.0),
        (circles, "seniority", kind.SENIORITY_GAP, False, 3, 2.0),
    ]
    positions: dict[int, int] = {}
    criteria = []
    for program, field_name, criterion_kind, is_hard_rule, weight, parameter in rows:
        position = positions.get(program.pk, 0)
        positions[program.pk] = position + 1
        criteria.append(
            MatchingCriterion(
                program=program,
                field=field_name,
                kind=criterion_kind,
                is_hard_rule=is_hard_rule,
                weight=weight,
                parameter=parameter,
                position=position,
            )
        )
    MatchingCriterion.objects.bulk_create(criteria)
    MatchingSettings.objects.bulk_create(
        [
            MatchingSettings(program=engineering, request_expiry_days=7, max_open_requests=3),
            MatchingSettings(program=leaders, objective="best_score", request_expiry_days=5),
            MatchingSettings(program=circles, request_expiry_days=7),
        ]
    )
    return len(criteria)


def _decided(
    enrollment: Enrollment, status: str, manager: User, now: datetime.datetime, note: str = ""
) -> Enrollment:
    enrollment.status = status
    enrollment.decided_by = manager
    enrollment.decided_at = now
    enrollment.decision_note = note
    return enrollment


def _engineering_enrollments(
    mentors: list[_Person],
    mentees: list[_Person],
    users: dict[str, User],
    program: Program,
    manager: User,
    rng: random.Random,
    now: datetime.datetime,
) -> list[Enrollment]:
    """Mentors 1-30 and mentees 1-90 applied; most approved, some wait, a few declined."""
    enrollments = []
    for person in mentors[:30]:
        enrollment = Enrollment(program=program, user=users[person.email], role=Role.MENTOR)
        if person.number % 11 == 4:  # 4, 15, 26
            enrollment.status = EnrollmentStatus.PENDING
        else:
            _decided(enrollment, EnrollmentStatus.APPROVED, manager, now)
            if rng.random() < 0.3:
                enrollment.mentor_capacity = rng.choice([1, 3])
        enrollments.append(enrollment)
    for person in mentees[:90]:
        enrollment = Enrollment(program=program, user=users[person.email], role=Role.MENTEE)
        if person.number % 7 == 3:  # 3, 10, 17, ... : 13 applications to review
            enrollment.status = EnrollmentStatus.PENDING
        elif person.number % 23 == 5:  # 5, 28, 51, 74
            _decided(
                enrollment,
                EnrollmentStatus.DECLINED,
                manager,
                now,
                note=rng.choice(data.DECLINE_NOTES),
            )
        else:
            _decided(enrollment, EnrollmentStatus.APPROVED, manager, now)
        enrollments.append(enrollment)
    return enrollments


def _leaders_enrollments(
    mentors: list[_Person],
    mentees: list[_Person],
    users: dict[str, User],
    program: Program,
    now: datetime.datetime,
) -> list[Enrollment]:
    """An open peer program: joining approves at once; a few people have left."""
    people = [mentors[0], *mentors[20:], mentees[0], *mentees[60:]]
    enrollments = []
    for position, person in enumerate(people):
        enrollment = Enrollment(
            program=program,
            user=users[person.email],
            role=Role.BOTH,
            status=EnrollmentStatus.APPROVED,
        )
        if position % 19 == 18:
            enrollment.status = EnrollmentStatus.LEFT
            enrollment.left_at = now
        enrollments.append(enrollment)
    return enrollments


def _answers(
    enrollments: list[Enrollment],
    questions: list[IntakeQuestion],
    rng: random.Random,
) -> list[IntakeAnswer]:
    track, topics, success, comfort = questions
    answers = []
    for enrollment in enrollments:
        answers.append(
            IntakeAnswer(enrollment=enrollment, question=track, value=rng.choice(TRACK_CHOICES))
        )
        if rng.random() < 0.85:
            chosen = sorted(rng.sample(TOPIC_CHOICES, rng.randint(1, 3)), key=TOPIC_CHOICES.index)
            answers.append(IntakeAnswer(enrollment=enrollment, question=topics, value=chosen))
        answers.append(
            IntakeAnswer(enrollment=enrollment, question=success, value=rng.choice(SUCCESS_ANSWERS))
        )
        if rng.random() < 0.9:
            answers.append(
                IntakeAnswer(enrollment=enrollment, question=comfort, value=rng.randint(1, 5))
            )
    return answers
