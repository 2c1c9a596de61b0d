"""Small wording helpers shared by every app (plain Python: the matching engine uses them)."""

from __future__ import annotations

from collections.abc import Sequence


def join_names(names: Sequence[str]) -> str:
    """ "Ada", "Ada and Ben", "Ada, Ben and Cy"."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
