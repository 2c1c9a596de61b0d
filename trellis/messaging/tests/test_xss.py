"""No script from a message runs: the Markdown renderer's output against a corpus of XSS.

xss_payloads.txt holds known cross-site scripting payloads, one per line: script tags,
event handlers, javascript:/data:/vbscript: URLs in HTML and Markdown links, SVG and
MathML tricks, entity-encoded and whitespace-split schemes, CSS expressions, iframe
srcdoc, template injection, broken and nested tags, link titles with quotes, autolinks.
Each one that could run calls window.__xss(), which the browser test
(test_xss_browser.py) traps. This file checks the server's side: whatever
render_markdown makes of a payload (alone, and with byte tricks: a NUL, zero-width and
direction characters, line separators) holds only allow-listed elements and attributes,
and no link whose scheme is other than http, https or mailto.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from trellis.messaging.formatting import ATTRIBUTES, TAGS, URL_SCHEMES, render_markdown

PAYLOADS_FILE = Path(__file__).with_name("xss_payloads.txt")
# Attributes nh3 adds to every link itself, besides the ones it lets through.
ADDED_LINK_ATTRIBUTES = {"target", "rel"}
# What a browser ignores in a URL before reading its scheme (WHATWG URL: C0 controls and
# space around it, tab and newlines anywhere).
_IGNORED_IN_URL = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def load_payloads() -> list[str]:
    """The corpus: one payload per line, blank lines skipped."""
    lines = PAYLOADS_FILE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


PAYLOADS = load_payloads()

# Payloads that need more than one line, and byte-level variants of the corpus.
MULTILINE_PAYLOADS = [
    "```\n<script>window.__xss()</script>\n```",
    "```html\n<img src=x onerror=window.__xss()>\n```",
    "[click me][1]\n\n[1]: javascript:window.__xss()",
    "- one\n- <img src=x onerror=window.__xss()>\n- [three](javascript:window.__xss())",
    "1. [click me](https://example.org)\n2. <svg onload=window.__xss()>",
    "*emphasis\n<script>window.__xss()</script>*",
    "<a href='https://example.org'\nonclick='window.__xss()'>click me</a>",
]


def byte_trick_variants(payload: str) -> list[str]:
    """The payload with characters that trip naive filters slipped into it."""
    return [
        payload.replace("script", "scr\x00ipt"),
        payload.replace("javascript", "java\x00script"),
        payload.replace("javascript", "java\u200bscript"),
        payload.replace("<", "\u202e<"),
        payload.replace(">", ">\u2028"),
        payload.replace("on", "\x0con"),
        "\ufeff" + payload,
    ]


class _Collector(HTMLParser):
    """Every element, attribute and oddity in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.others: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.others.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.others.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.others.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.others.append(f"declaration {data!r}")


def url_scheme(href: str) -> str:
    """The scheme a browser would read from href ("" for a relative URL)."""
    cleaned = _IGNORED_IN_URL.sub("", href).strip(_C0_AND_SPACE)
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else ""


def problems_in(html: str) -> list[str]:
    """What in html lies outside the allow-list (empty when it is safe)."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    problems = list(collector.others)
    for tag, attributes in collector.elements:
        if tag not in TAGS:
            problems.append(f"element <{tag}>")
            continue
        allowed = set(ATTRIBUTES.get(tag, set()))
        if tag == "a":
            allowed |= ADDED_LINK_ATTRIBUTES
        for name, value in attributes:
            if name not in allowed:
                problems.append(f"attribute {name}={value!r} on <{tag}>")
            elif name == "href" and url_scheme(value or "") not in {"", *URL_SCHEMES}:
                problems.append(f"link to {value!r}")
            elif name == "target" and value != "_blank":
                problems.append(f"target {value!r}")
            elif name == "rel" and "noopener" not in (value or "").split():
                problems.append(f"rel {value!r}")
    return problems


def test_corpus_has_at_least_50_distinct_payloads():
    assert len(PAYLOADS) >= 50
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    # Each could run a script if it reached a page unescaped.
    assert all(
        re.search(r"__xss|javascript|vbscript|data:|msgbox|file:|&#", payload, re.IGNORECASE)
        for payload in PAYLOADS
    )


@pytest.mark.parametrize(
    "html",
    [
        '<p><img src="x" onerror="alert(1)"></p>',
        '<p><a href="javascript:alert(1)">x</a></p>',
        '<p><a href="  java\tscript:alert(1)">x</a></p>',
        '<p><a href="https://example.org" onclick="alert(1)">x</a></p>',
        "<p><!-- a comment --></p>",
        '<p><a href="https://example.org" target="_self">x</a></p>',
    ],
)
def test_the_checker_itself_flags_unsafe_html(html):
    assert problems_in(html) != []


def test_the_checker_passes_what_the_renderer_makes_of_safe_text():
    html = render_markdown(
        '**bold** _it_ `code` [site](https://example.org "Title") [mail](mailto:a@example.org)'
        "\n\n- one\n- two"
    )

    assert problems_in(html) == []
    assert '<a href="https://example.org" title="Title"' in html
    assert 'target="_blank"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize("payload", PAYLOADS + MULTILINE_PAYLOADS)
def test_payload_renders_to_allow_listed_html_only(payload):
    html = render_markdown(payload)

    assert problems_in(html) == [], html
    assert "<script" not in html.lower()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_with_byte_tricks_renders_to_allow_listed_html_only(payload):
    for variant in byte_trick_variants(payload):
        html = render_markdown(variant)

        assert problems_in(html) == [], (variant, html)


def test_a_link_with_extra_attributes_after_its_title_is_left_as_text():
    html = render_markdown('[click me](https://example.org "t" onmouseover="window.__xss()")')

    # Not a link at all (an invalid title), so the whole text is shown as written.
    assert "<a " not in html
    assert problems_in(html) == []
