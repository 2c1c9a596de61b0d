"""Sanitize user-written HTML: a small allow-list, everything else stripped."""

import nh3

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "a", "h3", "h4",
    "blockquote", "code", "pre",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def sanitize_html(value: str) -> str:
    """Return value with only safe tags and attributes; links get rel=noopener."""
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
