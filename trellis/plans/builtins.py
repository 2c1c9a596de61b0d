"""The connection plans shipped with Trellis, written for mentoring at a distance.

Plain data, read by the data migration that stores them and by
``services.plan_builtins_ensure`` (which puts back a built-in that went missing, e.g.
after a test flushed the tables). Each step: day (from the start), kind, title, body
(plain text, paragraphs split by blank lines) and an optional https url.
"""

from __future__ import annotations

from typing import Any

STANDARD_STEPS: list[dict[str, Any]] = [
    {
        "day": 0,
        "kind": "agenda",
        "title": "Kickoff: get to know each other and agree how you work",
        "body": (
            "Introductions. Tell each other where you are in your work and life, what "
            "brought you to this program and one thing you are proud of. Keep it to ten "
            "minutes each.\n\n"
            "How you communicate and when. You live in different places and calendars, so "
            "say it out loud: which channels you use (messages here for most things, a "
            "call for anything that needs a conversation), how quickly each of you usually "
            "replies, each other's time zone and contact hours, and which days are off "
            "limits. Fill in your communication agreement together.\n\n"
            "Meeting rhythm. Agree how often you meet (every two weeks suits most pairs), "
            "for how long, and who sends the invitation. Decide now what you do when a "
            "call fails: for example, wait five minutes, then switch to an audio call, "
            "then move to messages and rebook within the week.\n\n"
            "Confidentiality. What you say in your meetings stays between you unless you "
            "both agree otherwise. Say where the limits are (safety, the law).\n\n"
            "Hopes. What does each of you hope to get out of the next six months? What "
            "would make it a waste of time?\n\n"
            "First goals. Leave with one or two goals the mentee owns, even rough ones; "
            "you will sharpen them over the next weeks."
        ),
    },
    {
        "day": 0,
        "kind": "goal",
        "title": "Know where I want to be in a year",
        "body": (
            "A mentorship works best with a direction. Describe in a few sentences what "
            "you want your work to look like in twelve months, and what would tell you "
            "that you got there. It can change later; writing it down gives your "
            "conversations something to come back to."
        ),
    },
    {
        "day": 0,
        "kind": "resource",
        "title": "Setting goals you can measure (SMART criteria)",
        "body": (
            "A short overview of specific, measurable, achievable, relevant and time-bound "
            "goals. Use it when you turn a wish into a goal you can check on."
        ),
        "url": "https://en.wikipedia.org/wiki/SMART_criteria",
    },
    {
        "day": 7,
        "kind": "guide",
        "title": "Listening and support rather than rescue",
        "body": (
            "A mentor's first instinct is often to fix the problem. Resist it: the mentee "
            "learns most by working it out and owning the decision.\n\n"
            'Ask before advising. "What have you tried?", "What options do you see?", '
            '"What would you do if you could not fail?" Offer your own experience only '
            'when asked, or ask first: "Would it help if I told you how I handled '
            'something similar?"\n\n'
            "Listen for the whole story. On a video call you miss some of the body "
            "language, so check what you heard: summarise in a sentence and ask whether "
            "you got it right. Silence on a call is fine; give it a few seconds.\n\n"
            "Let the mentee decide. Your job is to widen the options and ask about the "
            "risks, not to choose. If you disagree, say so once and why, then respect the "
            "choice.\n\n"
            "Mentees: say what kind of help you want today: a sounding board, ideas, or "
            "an honest opinion."
        ),
    },
    {
        "day": 7,
        "kind": "resource",
        "title": "Active listening",
        "body": "What active listening is and the habits that make it work.",
        "url": "https://en.wikipedia.org/wiki/Active_listening",
    },
    {
        "day": 10,
        "kind": "prompt",
        "title": "Week 2: talk about the career path",
        "body": (
            "Use your next conversation for the longer view. Mentee: where have you been "
            "so far, and which next steps are you weighing? Mentor: how did your own path "
            "really go, including the turns that were not planned? Look for one thing the "
            "mentee can find out or try before you meet again."
        ),
    },
    {
        "day": 21,
        "kind": "goal",
        "title": "Map my next career step",
        "body": (
            "Name the next role, project or responsibility you want, what it asks of "
            "someone, and the two or three gaps between you and it today. Each gap can "
            "become a milestone."
        ),
    },
    {
        "day": 28,
        "kind": "prompt",
        "title": "One month in: is the way you work together working?",
        "body": (
            "Take five minutes to look at how it is going rather than what you discuss. "
            "Are the meeting times still right for both time zones? Do messages get "
            "answered when you expected? Has a call failed, and did your fallback work? "
            "Update your communication agreement if anything has changed."
        ),
    },
    {
        "day": 35,
        "kind": "guide",
        "title": "Giving and receiving constructive feedback",
        "body": (
            "Feedback is the fastest way to grow, and the easiest thing to get wrong at a "
            "distance, where a short written comment can sound harsher than it was "
            "meant.\n\n"
            "Make it asked for. The mentee names what they want feedback on: a CV, a "
            "presentation, a plan, the way they ran a meeting.\n\n"
            "Make it specific and timely. Talk about a concrete moment, soon after it "
            'happened: "In the first two minutes of your demo..." rather than "your '
            'presentations are...".\n\n'
            "Talk about behaviour, not the person. Describe what you saw or read and its "
            "effect on you, then ask what they intended.\n\n"
            "Say the important things in a call, not in a message, so tone and questions "
            "can travel both ways.\n\n"
            "Receiving it: listen to the end, ask questions to understand, thank the "
            "person, and decide afterwards what you will do with it. The mentor asks for "
            "feedback too: what is helping, what is not?"
        ),
    },
    {
        "day": 56,
        "kind": "goal",
        "title": "Grow my network by three useful contacts",
        "body": (
            "Much of what a mentor offers is who they know and how they meet people. "
            "Agree on the kind of people who would help the mentee's next step, and aim "
            "for three real conversations, with or without an introduction."
        ),
    },
    {
        "day": 91,
        "kind": "prompt",
        "title": "Mid-point review",
        "body": (
            "You are about half way. Look back at your goals: what has moved, what is "
            "stuck, and what no longer matters? Adjust or drop goals that do not fit any "
            "more, and agree what would make the second half worth it. Also ask each "
            "other honestly how the mentorship feels so far."
        ),
    },
    {
        "day": 126,
        "kind": "prompt",
        "title": "Practise something real",
        "body": (
            "Pick a real task the mentee faces soon (a difficult conversation, an "
            "interview, a proposal) and rehearse it in your next call. The mentor plays "
            "the other side, then gives specific feedback, as in the feedback guide."
        ),
    },
    {
        "day": 154,
        "kind": "prompt",
        "title": "Four weeks to go: plan the close",
        "body": (
            "Your six months end in about a month. Decide what you want to finish, which "
            "goal gets your remaining meetings, and when your closing conversation will "
            "be."
        ),
    },
    {
        "day": 168,
        "kind": "agenda",
        "title": "Wrap-up: what you achieved and what comes next",
        "body": (
            "What was achieved. Go through the goals and milestones: what got done, what "
            "changed along the way, and what you are proud of. Celebrate the wins, and "
            "decide which ones the mentee would like to share with the program.\n\n"
            "What was learned. Each of you names one thing you learned from the other.\n\n"
            "What next. The mentee names the next goal they will work on alone, and "
            "where they will find support for it.\n\n"
            "Staying in touch. Agree whether and how you keep in contact: an occasional "
            "message, a call in six months, or a clean ending. All are fine; say which."
        ),
    },
]

REVERSE_STEPS: list[dict[str, Any]] = [
    {
        "day": 0,
        "kind": "agenda",
        "title": "Kickoff: agree what will be taught and how",
        "body": (
            "In reverse mentoring the junior colleague teaches and the senior colleague "
            "learns: a digital tool, a way of working, or a view of the organisation from "
            "where they sit.\n\n"
            "Introductions. Share your roles, how long you have been in them, and what "
            "you are curious about in each other's work.\n\n"
            'What will be taught. Agree on one skill or topic and what "good enough" '
            "looks like at the end: for example, the senior colleague runs their own "
            "video meetings with breakout rooms, or understands how newer colleagues use "
            "chat at work.\n\n"
            "How. Short sessions with practice in between work better than long "
            "lectures. Agree how often you meet, how long, and whether you share a "
            "screen.\n\n"
            "How you communicate and when: channels, reply times, each other's time zone "
            "and contact hours, and what to do when a call fails (switch to audio, then "
            "messages, and rebook).\n\n"
            "Confidentiality and candour. What is said stays between you. The senior "
            'colleague invites plain speaking; the junior colleague may say "let me show '
            'you again" as often as needed.'
        ),
    },
    {
        "day": 0,
        "kind": "goal",
        "title": "My learning goal (for the person learning)",
        "body": (
            "Write down what you, the senior colleague, want to be able to do at the end, "
            "and for what real task. A goal tied to your own work (\"prepare my team's "
            'weekly update in the new tool") keeps practice going between sessions.'
        ),
    },
    {
        "day": 3,
        "kind": "guide",
        "title": "Psychological safety, both ways",
        "body": (
            "Reverse mentoring turns the usual hierarchy around, which can feel "
            "uncomfortable for both of you.\n\n"
            'For the person learning: say when you are lost, and ask the "basic" '
            "questions. Not knowing is the point of the exercise. Do not apologise for "
            "being slow; do say what would help.\n\n"
            "For the person teaching: you are the expert here. It is fine to correct a "
            "senior colleague, kindly and plainly. If you hesitate to say something, "
            'agree a phrase in advance that makes it easier, such as "honest version?".\n\n'
            "For both: nothing said in your sessions is used in performance reviews or "
            "shared without permission. Check in at the end of each session: what felt "
            "easy, what felt awkward?"
        ),
    },
    {
        "day": 3,
        "kind": "resource",
        "title": "Psychological safety",
        "body": "Background on psychological safety in teams and why it helps learning.",
        "url": "https://en.wikipedia.org/wiki/Psychological_safety",
    },
    {
        "day": 7,
        "kind": "prompt",
        "title": "Practice: try it on your own",
        "body": (
            "Before your next session, the person learning uses the new skill once, alone, "
            "on a small real task, and notes where they got stuck. Start the next session "
            "from those notes, not from a new lesson."
        ),
    },
    {
        "day": 14,
        "kind": "guide",
        "title": "Teaching without taking over",
        "body": (
            "Let the learner drive. On a shared screen, the learner controls the mouse and "
            "keyboard while the teacher talks them through it. Taking over is quicker and "
            "teaches nothing.\n\n"
            "Explain the why, not only the clicks: what problem the tool solves and when "
            "you would not use it.\n\n"
            'Check understanding with a task, not a question: "Show me how you would '
            'share this with your team" tells you more than "Does that make sense?".\n\n'
            "Learners: when the pace is too fast, say so; when it is too slow, say that "
            "too."
        ),
    },
    {
        "day": 21,
        "kind": "prompt",
        "title": "Practice: teach it back",
        "body": (
            "In your next session the person learning teaches the skill back: they explain "
            "and show it as if to a colleague. Gaps show up quickly, and it builds the "
            "confidence to use it without help."
        ),
    },
    {
        "day": 28,
        "kind": "goal",
        "title": "See my work through a newer colleague's eyes",
        "body": (
            "Reverse mentoring is also about perspective. Ask the junior colleague how a "
            "decision, a process or a message from leadership looks from where they sit, "
            "and name one thing you will do differently because of it."
        ),
    },
    {
        "day": 42,
        "kind": "prompt",
        "title": "Practice: use it for something that matters",
        "body": (
            "Choose a real piece of work for the coming weeks where the learner uses the "
            "new skill in front of others. Plan it together, and debrief afterwards."
        ),
    },
    {
        "day": 56,
        "kind": "prompt",
        "title": "Half way: switch the question",
        "body": (
            "Spend part of your next session the other way round: what would the junior "
            "colleague like to learn from the senior colleague's experience? Reverse "
            "mentoring works best when both learn."
        ),
    },
    {
        "day": 84,
        "kind": "agenda",
        "title": "Reflection: what each of us learned",
        "body": (
            "What the learner can do now. Compare with the goal you wrote at the start: "
            "show it, do not just say it.\n\n"
            "What the teacher learned: about teaching, about the senior colleague's work, "
            "about the organisation.\n\n"
            "What surprised you both, and what you would tell the next pair.\n\n"
            "What next: further practice, another skill, or a clean ending. Agree whether "
            "and how you stay in touch, and decide which wins to share with the program."
        ),
    },
]

BUILTINS: dict[str, dict[str, Any]] = {
    "standard": {
        "name": "Distance mentoring: the first six months",
        "description": (
            "A six-month plan for a mentor and a mentee who meet online: a kickoff that "
            "agrees how and when you communicate, guides on listening and on feedback, "
            "timed prompts, suggested goals and a wrap-up."
        ),
        "steps": STANDARD_STEPS,
    },
    "reverse": {
        "name": "Reverse mentoring: the junior person teaches",
        "description": (
            "A three-month plan where a junior colleague teaches a senior one a skill or "
            "a perspective: agree what is taught, keep it safe both ways, practise "
            "between sessions and reflect on what each of you learned."
        ),
        "steps": REVERSE_STEPS,
    },
}
