"""Message text: a small Markdown subset rendered to HTML, then sanitized by nh3.

Bold, italics, lists, links, inline code and code blocks, line breaks; nothing else. Raw
HTML in the text is never rendered (markdown-it's html option is off, so it comes out
escaped), and whatever the renderer makes passes the nh3 allow-list anyway: no tag, no
attribute and no URL scheme outside it survives. Links open in a new tab with
rel="noopener noreferrer nofollow".
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}

_renderer = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True}).enable(
    ["emphasis", "list", "link", "backticks", "fence", "newline", "escape"]
)


def render_markdown(text: str) -> str:
    """The sanitized HTML of a message's text."""
    html = _renderer.render(text or "")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    ).strip()
