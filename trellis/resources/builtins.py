"""The guides shipped with Trellis: every program's library shows them (unless it hides one).

Plain data, read by the data migration that stores them and by
``services.resource_builtins_ensure`` (which puts back a guide that went missing, e.g.
after a test flushed the tables). Each guide: a stable key, title, summary, tags and a
body in the Markdown that ``trellis.messaging.formatting.render_markdown`` shows (bold,
italics, lists, links; no headings, so sections open with a bold line).
"""

from __future__ import annotations

from typing import Any

CHECKING_IN = """\
Mentoring at a distance loses the small moments that keep people close: the chat in the \
corridor, the coffee after a meeting, the look on someone's face that says "ask me how it \
went". Check-ins put those moments back on purpose. They are short, regular and about the \
person as much as the work.

**Make it a habit, not an event**

Agree on a rhythm you can keep, even in a busy month. A two-line message every week does \
more than a long call you keep moving. Many pairs pick a fixed day: "Monday note, \
fortnightly call". Put it in both calendars so it does not depend on anyone's memory.

**Ask questions that open a door**

"How are things?" invites "fine". Try questions that are easy to answer honestly:

- What took most of your energy this week?
- What went better than you expected?
- Where are you stuck, even a little?
- Is there anything you would like from me before we next talk?

Pick one or two. A check-in is not an interview.

**Mentors go first now and then**

A check-in that only ever flows one way starts to feel like a report to a manager. Share \
something small from your own week: a meeting that went badly, a book that helped. It \
tells your mentee that an honest answer is welcome here.

**Notice the silence**

At a distance, silence is easy to misread. A mentee who stops replying is rarely ungrateful; \
they are more often overloaded, embarrassed about missed goals, or unsure whether their \
question is "big enough". After a week of quiet, send a low-pressure note: "No need for a \
long answer. Just checking you are all right. Want to move our call?" Make it easy to come \
back.

**Keep a light record**

After each check-in, jot down one line: what was said, what you agreed. Use the mentorship's \
goals and notes so you can both see it. Next time, start from there: "Last week you were \
worried about the presentation. How did it go?" Being remembered is one of the strongest \
signs that someone cares.

**When something is wrong**

If a check-in reveals more than you can help with (health, money, safety, a conflict at \
work), listen first, then say honestly what you can and cannot do. Point to the people who \
can help, and tell your program's managers if the program has a route for it. You do not \
have to solve everything to be a good mentor; you do have to take it seriously.

**A simple plan for your next four weeks**

1. Agree your check-in day and channel today.
2. Send the first check-in with one open question.
3. Write one line after each reply.
4. After a month, ask each other: is this rhythm still right?
"""

LISTENING = """\
Listening is most of what a mentor does, and distance makes it harder. On a screen you \
see a face without a body; on the phone you hear a voice without a face; in chat you have \
words without a voice. Each channel hides something, so each needs a slightly different \
kind of attention.

**On video**

- Close the other tabs and silence notifications. People can tell when your eyes drift to \
another window.
- Look at the camera when you speak about something important, and at the person when \
they speak. Glancing between the two is normal.
- Leave a short pause before you answer. Connections lag, and a pause of two seconds \
stops you talking over each other. It also gives the other person room to add the thing \
they nearly did not say.
- If the picture freezes or the sound drops during something that matters, say so and ask \
them to repeat it. Guessing is worse than asking.

**On the phone**

Without faces, voices carry everything. Listen for pace, hesitation and what is not said. \
Use small spoken signs that you are there ("mm", "right", "go on"), because nodding does \
not travel down a phone line. Many people find it easier to talk about hard things on \
the phone, exactly because nobody is looking at them. A walk-and-talk call can be a good \
choice for a difficult conversation.

**In chat**

Text flattens tone. A short reply can be tiredness, not annoyance. Before you react to a \
message that stings, ask: "I am reading this as frustrated. Is that right?" Answer the \
question that was asked, then check whether there was another one underneath. Do not \
fire several questions at once: one at a time keeps a conversation, several turn it into \
a form.

**Show that you heard**

Whatever the channel, the test of listening is whether the other person feels heard. Try \
these:

1. **Reflect back.** "So the hard part is not the work itself, it is that nobody told \
you what good looks like?"
2. **Ask before advising.** "Do you want ideas, or do you want to think it through out \
loud first?" Many people want the second.
3. **Name the feeling, carefully.** "That sounds discouraging." If you got it wrong, \
they will tell you, and that helps too.
4. **Summarise at the end.** Two sentences on what you heard and what happens next.

**Listening to yourself**

Notice when you are planning your answer instead of hearing theirs, or when a story \
reminds you so much of your own that you start telling it. Your experience is useful, \
but only after you have understood theirs. A good rule: hear the whole thing, ask one \
more question, then share.
"""

AUTHENTICITY = """\
Trust in a mentorship grows from people being real with each other. In a room that happens \
almost by accident. Remotely, each of you sees only a small, tidy square of the other, and \
it is tempting to keep it tidy: camera on at your best angle, polished messages, \
successes only. Authenticity at a distance needs a little deliberate effort.

**Share the path, not only the result**

Mentees often see a finished version of their mentor: the title, the confidence, the \
calm. Tell them how you got there, including the detours. A rejected application, a \
project that failed, a year when you doubted the whole career: these stories do more for a \
nervous mentee than any success. Choose what you share with care, but do share it.

**Say what you do not know**

"I have no idea, let us find out" is one of the most trust-building sentences a mentor \
can say. Pretending to know undermines everything else you say. If a question is outside \
your experience, help your mentee find someone whose experience it is inside.

**Let your setting be ordinary**

You do not need a perfect background. A child walking past, a cat on the keyboard, a \
noisy café: these remind both of you that there is a person on the other side. If you \
are tired or distracted on a given day, say so in one sentence, and then give what \
attention you can. Honesty about your state is better than a performance.

**Keep your word in small things**

At a distance, reliability is how people judge character. Join on time. Send the \
article you promised. If you must cancel, do it early and offer a new time in the same \
message. Small promises kept add up to trust faster than big speeches.

**Respect differences openly**

Remote mentoring often crosses countries, cultures and languages. Be curious rather than \
assuming: "How are meetings usually run where you work?" "Is it all right if I am \
direct?" If you make a mistake (a joke that did not land, an assumption about a holiday), \
acknowledge it simply and move on. Owning a small mistake shows the mentee how to own \
theirs.

**Boundaries are part of being real**

Being authentic does not mean being available at all hours or sharing everything. Tell \
each other what is off limits: topics, times, channels. A mentor who says "I do not reply \
on weekends, but I will answer on Monday" is being more honest, and more sustainable, than \
one who replies at midnight and burns out by the third month.

**A question for your next meeting**

Ask each other: "What is something about how you work that people usually get wrong?" \
Then listen.
"""

AGREEING_CHANNELS = """\
Pairs who write down how they will communicate early on run into far fewer misunderstandings \
later. At a distance, every "I thought you would call" or "I did not see your message" \
costs trust. A ten-minute conversation at the start saves many awkward ones.

**Pick a home for each kind of conversation**

Different channels suit different things. A common split:

- **Messages** for quick questions, links and "good luck today" notes. No reply expected \
within the hour.
- **Scheduled video or phone calls** for anything that needs real discussion: goals, \
decisions, difficult topics.
- **A quick call, arranged by message**, for something urgent. "Can you talk for ten \
minutes today?" works better than an unexpected ring.

Agree where shared documents live, so neither of you has to search through chat history \
for the CV draft.

**Say out loud how quickly you reply**

People have very different habits. One answers in minutes; another reads messages once a \
day. Neither is wrong, but the difference causes worry if nobody names it. Try: "I \
usually answer within two working days. If it is urgent, say so in the first line."

**Time zones and contact hours**

If you live in different zones, write down both local times for your usual meeting and \
check them when the clocks change for summer or winter; the two countries may not change \
on the same day. Share your contact hours (when you are happy to be reached) and the \
days that are off limits. Trellis shows meeting times in each person's own zone, but \
agreeing the habit is still up to you.

**Meeting rhythm and length**

Decide how often you meet and for how long. Every two weeks for forty-five minutes suits \
many pairs; a short weekly call suits others. Decide who sends the invitation and who \
prepares the agenda. Rotating the agenda gives the mentee practice in leading.

**A plan for when things go wrong**

Connections fail. Agree on a fallback before you need it: for example, wait five minutes, \
switch to audio only, then move to messages and rebook within the week. Agree too what \
happens if one of you has to cancel: how much notice, and who suggests the new time.

**Write it down, then revisit it**

Put what you agreed in your mentorship's communication agreement, where you can both find \
it. After a month, look at it again together. Which parts work? Which ones did you \
quietly stop doing? Adjusting the agreement is a sign of a healthy mentorship, not a \
failure of the first one.
"""

FIRST_MEETING = """\
The first meeting sets the tone for everything that follows. It does not need to be \
perfect, but it helps to go in with a plan. Allow an hour; most first meetings run longer \
than people expect.

**Before the meeting**

- Read each other's profiles in Trellis and note one or two things you would like to ask \
about.
- Test your camera, microphone and connection. Have a phone number ready in case the \
video fails.
- Mentees: think about why you joined the program and what a good outcome would look \
like in six months. It is fine if the answer is still fuzzy.

**A simple agenda**

1. **Introductions (15 minutes).** Where you are now, how you got there, one thing \
outside work that matters to you. The mentor can go first to set an open tone.
2. **Hopes and worries (15 minutes).** What does each of you hope to get from this? \
Mentors have reasons too: say them. Name any worries honestly: time, confidence, not \
knowing what to ask.
3. **How you will work (15 minutes).** Meeting rhythm, channels, reply times, time zones, \
and what stays between the two of you. This is a good moment to start your \
communication agreement.
4. **A first goal (10 minutes).** It does not have to be the big one. Something small and \
concrete that can move before the next meeting works best: update the CV, ask a \
colleague for feedback, read one article.
5. **Next steps (5 minutes).** Book the next meeting before you hang up.

**What mentors can do**

Ask more than you tell. The most useful thing you can learn in a first meeting is what \
your mentee actually wants, which is often different from what they first say. Avoid \
long stories about yourself, but do share enough that they see you as a person, not an \
institution.

**What mentees can do**

You are not a guest in your own mentorship. It is fine to say what you need, to ask how \
your mentor prefers to be contacted, and to admit that you are not sure what to ask. \
Bring one real question, however small. Real questions make real conversations.

**After the meeting**

Send a short message the same day: thank you, what you agreed, the date of the next \
meeting. Set the first goal in Trellis so you can both see it. If something felt \
uncomfortable or unclear, mention it early and kindly. It is much easier to adjust after \
one meeting than after ten.
"""

FEEDBACK = """\
Feedback is one of the most valuable things a mentor gives, and one of the easiest to get \
wrong at a distance. Without a shared room, a comment can land harder than intended, or \
not land at all. A few habits make it both kinder and clearer.

**Ask first**

Feedback that was asked for is heard; feedback that arrives uninvited is defended against. \
Before giving it, check: "Would you like my honest take on the draft?" Encourage your \
mentee to ask for it in specific terms, such as "Is my opening too long?", which makes \
it easier to answer well.

**Choose the channel on purpose**

- Praise travels well in writing: it can be reread on a bad day.
- Anything critical or complex is better said in a call, where you can hear how it is \
received and explain what you meant. Follow up in writing with the two or three key \
points.
- Avoid sending hard feedback late in the evening or just before a weekend, when the \
other person cannot reply or ask about it for days.

**Be specific and about the work**

"This is not good" helps nobody. Describe what you saw, the effect it had, and one \
suggestion: "In the first two minutes of your talk I was not sure what problem you were \
solving. If you started with the customer's complaint, I think people would follow you \
from the start." Talk about what someone did, not who they are.

**Balance, without a formula**

Point out what works, because people need to know what to keep, not only what to change. \
But do not wrap every criticism in two compliments by habit; people learn to wait for \
the "but". Say honestly what is strong and what could be stronger.

**Check how it landed**

At a distance you cannot see a face fall. After giving feedback, ask: "How does that \
sound to you?" or "Does that match what you were seeing?" Then listen. If your mentee \
disagrees, that is part of the conversation, not a failure of it.

**Feedback goes both ways**

Ask your mentee for feedback on the mentorship itself every month or two: "What has been \
most useful? What should we do differently?" Model how to receive it: thank them, ask \
one question to understand, and change something visible. Nothing teaches how to take \
feedback better than watching someone do it well.

**Follow up**

Feedback is the start of a change, not the end of a conversation. At your next meeting, \
come back to it: "You were going to try a shorter opening. How did it go?"
"""

BUILTIN_GUIDES: list[dict[str, Any]] = [
    {
        "key": "checking-in",
        "title": "Checking in at a distance",
        "summary": (
            "Short, regular check-ins keep a remote mentorship close: a rhythm you can keep, "
            "questions that open a door, and what to do when it goes quiet."
        ),
        "tags": ["checking-in", "distance", "routine"],
        "body": CHECKING_IN,
    },
    {
        "key": "listening",
        "title": "Listening well over video, phone and chat",
        "summary": (
            "Each channel hides something. How to listen on video, on the phone and in "
            "chat, and how to show the other person they were heard."
        ),
        "tags": ["listening", "video", "chat", "communication"],
        "body": LISTENING,
    },
    {
        "key": "authenticity",
        "title": "Being yourself: authenticity when you mentor remotely",
        "summary": (
            "Trust grows from people being real with each other. Sharing the path, saying "
            "what you do not know, keeping small promises and setting honest boundaries."
        ),
        "tags": ["authenticity", "trust", "distance"],
        "body": AUTHENTICITY,
    },
    {
        "key": "agreeing-channels",
        "title": "Agreeing how and when you talk",
        "summary": (
            "Channels, reply times, time zones, meeting rhythm and a plan for when the "
            "connection fails: agree them early and write them down."
        ),
        "tags": ["channels", "time-zones", "agreement", "communication"],
        "body": AGREEING_CHANNELS,
    },
    {
        "key": "first-meeting",
        "title": "Your first meeting",
        "summary": (
            "A simple one-hour agenda for a first remote meeting, with what mentors and "
            "mentees can each do before, during and after."
        ),
        "tags": ["first-meeting", "getting-started"],
        "body": FIRST_MEETING,
    },
    {
        "key": "feedback",
        "title": "Giving feedback at a distance",
        "summary": (
            "Asking first, choosing the channel, being specific, checking how it landed, "
            "and asking for feedback on the mentorship itself."
        ),
        "tags": ["feedback", "communication"],
        "body": FEEDBACK,
    },
]
