"""The console's English catalogue, compiled in memory from its .po (no .mo, no build
step): ``english()`` reads backend/console/translations/en/LC_MESSAGES/messages.po once a
process; ``ConsoleDomain`` gives Flask-Babel those translations for the locale "en" and
none for "zh" (Chinese is the source text)."""
from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask_babel import Domain, get_locale

PO_FILE = Path(__file__).parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"


@functools.lru_cache(maxsize=1)
def english() -> Translations:
    with PO_FILE.open("rb") as po:
        catalog = read_po(po, locale="en")
    buffer = io.BytesIO()
    # fuzzy entries are not used: a guessed translation is no translation
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


class ConsoleDomain(Domain):
    def get_translations(self):
        locale = get_locale()
        if locale is not None and locale.language == "en":
            return english()
        return NullTranslations()


def install(babel) -> None:
    """The console's catalogue for this Babel() (its domain is shared by every app)."""
    babel.domain_instance = ConsoleDomain()
