"""The languages a person can say they speak: ISO 639-1 codes, without a region.

Built from Django's own language list (two-letter base codes only) and completed with
widely spoken languages Django has no translation for, so that people in every region a
program reaches can find theirs.
"""

from __future__ import annotations

from django.conf import global_settings

_NOT_IN_DJANGO = {
    "am": "Amharic",
    "gu": "Gujarati",
    "ha": "Hausa",
    "ku": "Kurdish",
    "lo": "Lao",
    "mi": "Māori",
    "ps": "Pashto",
    "rw": "Kinyarwanda",
    "si": "Sinhala",
    "sn": "Shona",
    "so": "Somali",
    "tl": "Tagalog",
    "xh": "Xhosa",
    "yo": "Yoruba",
    # Django lists only "zh-hans" and "zh-hant"; people speak Chinese.
    "zh": "Chinese",
    "zu": "Zulu",
}


def _build_language_names() -> dict[str, str]:
    names = {
        code: str(name)
        for code, name in global_settings.LANGUAGES
        if len(code) == 2  # base ISO 639-1 codes; "en-gb", "ast", "zh-hans" are left out
    }
    names.update(_NOT_IN_DJANGO)
    return dict(sorted(names.items(), key=lambda item: item[1]))


LANGUAGE_NAMES: dict[str, str] = _build_language_names()
LANGUAGE_CHOICES: list[tuple[str, str]] = list(LANGUAGE_NAMES.items())


def normalize_language_code(value: str) -> str:
    """Return the base code of value: " pt_BR " and "pt-br" become "pt"."""
    return value.strip().lower().replace("_", "-").split("-", 1)[0]


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)
