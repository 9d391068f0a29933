"""Content in two languages (issue 21: international communities).

A person reads Chinese or English: the language they chose (``users.language``), else
their device's ``Accept-Language`` (``i18n.current_language``). Staff write an English
text beside the Chinese one; a reader of English gets it where it was written and the
Chinese where it was not, and every answer says which it served (``language``).

Notifications are written in their *recipient's* language, not the actor's: a feature
passes a ``Text(zh, en)`` for the title and the body, and ``notify.enqueue`` picks per
recipient (``pick``).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple, Optional

from backend.core.i18n import MESSAGES, current_language

LANGUAGES = ("zh", "en")


class Text(NamedTuple):
    """One text in Chinese and English (a notification's title or body)."""

    zh: str
    en: str

    def format(self, **params: Any) -> "Text":
        return Text(self.zh.format(**params), self.en.format(**params))


def both(render: Callable[[str], str]) -> Text:
    """A text rendered once per language (``render("zh")``, ``render("en")``): for texts
    whose parts have their own English (a service item's name …)."""
    return Text(render("zh"), render("en"))


def message(key: str, **params: Any) -> Text:
    """A registered message (``i18n.register``) in both languages, with ``params``."""
    entry = MESSAGES[key]
    return Text(entry["zh"].format(**params), entry["en"].format(**params))


def pick(text: "str | Text", language: str) -> str:
    """The text in ``language``; a plain string is the same in both."""
    if isinstance(text, Text):
        return text.en if language == "en" and text.en else text.zh
    return text


def chosen_language(user: Any) -> Optional[str]:
    """What the person chose; None when they did not."""
    value = getattr(user, "language", None)
    return value if value in LANGUAGES else None


def recipient_language(user: Any) -> str:
    """The language a notification to ``user`` is written in: what they chose, else
    Chinese (a recipient has no request whose Accept-Language could be asked)."""
    return chosen_language(user) or "zh"


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def has_english(obj: Any, lead: str) -> bool:
    value = _get(obj, lead)
    return bool(value.strip() if isinstance(value, str) else value)


def served(obj: Any, fields: Iterable[tuple[str, str]], language: Optional[str] = None) -> dict:
    """The fields of ``obj`` in the reader's language and the ``language`` served.

    ``fields`` pairs each Chinese field with its English one; the first English field
    decides: when it is empty no English was written and every field is served in Chinese
    (the title is never Chinese under an English body); a later English field left empty
    falls back to its Chinese."""
    fields = list(fields)
    language = language or current_language()
    english = language == "en" and has_english(obj, fields[0][1])
    # a field whose English was not written stays Chinese (notes without English …)
    out = {zh: (_get(obj, en) if english and has_english(obj, en) else _get(obj, zh))
           for zh, en in fields}
    out["language"] = "en" if english else "zh"
    return out
