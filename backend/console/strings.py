"""``make console-strings``: the console's English catalogue kept in step with its code.

    python -m backend.console.strings           # extract, merge into the .po, report
    python -m backend.console.strings --check   # fail if stale or any msgid lacks English

Every ``_("…")`` / ``gettext`` / ``lazy_gettext`` / ``_l`` / ``N_`` in backend/console
(Python modules and Jinja templates) is a msgid. Updating keeps every existing English
text, drops the msgids no code uses any more, and adds the new ones with an empty
translation (a changed Chinese text gets its old English as a ``fuzzy`` suggestion, which
the console does not use until someone checks it and removes the flag). Then fill in the
empty ``msgstr ""`` lines of backend/console/translations/en/LC_MESSAGES/messages.po.
"""
from __future__ import annotations

import argparse
import io
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from backend.console.catalogue import PO_FILE

CONSOLE = Path(__file__).parent
ROOT = CONSOLE.parent.parent
METHODS = [("**/static/**", "ignore"), ("**/translations/**", "ignore"),
           ("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2),
            "lazy_pgettext": ((1, "c"), 2)}
JINJA_OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.do", "trimmed": "false"}}
# fixed dates: the file changes when its messages do, not when the tool runs
STAMP = datetime(2026, 1, 1, tzinfo=timezone.utc)


def extract() -> Catalog:
    template = Catalog(project="Linli console", fuzzy=False,
                       creation_date=STAMP, revision_date=STAMP)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(CONSOLE), METHODS, options_map=JINJA_OPTIONS, keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        path = (CONSOLE / filename).relative_to(ROOT).as_posix()
        template.add(message, None, [(path, lineno)], auto_comments=comments,
                     context=context)
    return template


def current() -> Catalog:
    if not PO_FILE.exists() or PO_FILE.stat().st_size == 0:
        return Catalog(locale="en", project="Linli console", fuzzy=False,
                       creation_date=STAMP, revision_date=STAMP)
    with PO_FILE.open("rb") as po:
        return read_po(po, locale="en")


def merged() -> Catalog:
    catalog = current()
    catalog.update(extract(), no_fuzzy_matching=False, update_header_comment=False)
    catalog.obsolete.clear()
    catalog.project = "Linli console"
    catalog.version = "1"
    catalog.fuzzy = False
    catalog.creation_date = catalog.revision_date = STAMP
    catalog.last_translator = "Linli maintainers"
    catalog.language_team = "English"
    catalog.msgid_bugs_address = ""
    return catalog


def render(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=0, sort_output=True, include_lineno=False,
             ignore_obsolete=True)
    text = out.getvalue()
    # one header comment whatever the tool's version writes
    lines = text.split(b"\n")
    while lines and lines[0].startswith(b"#") and not lines[0].startswith(b"#,"):
        lines.pop(0)
    header = (b"# The console's English (msgid: the Chinese source text).\n"
              b"# Update with `make console-strings`; fill in every empty msgstr.\n")
    return header + b"\n".join(lines)


def problems(catalog: Catalog) -> list[str]:
    found = []
    for message in catalog:
        if not message.id:
            continue
        where = ", ".join(path for path, _line in message.locations)
        if not message.string:
            found.append(f"no English: {message.id!r} ({where})")
        elif message.fuzzy:
            found.append(f"fuzzy (check, then remove the flag): {message.id!r} ({where})")
    for message, errors in catalog.check():
        for error in errors if message.string and not message.fuzzy else ():
            found.append(f"{message.id!r}: {error}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; fail if the .po is stale or incomplete")
    args = parser.parse_args(argv)
    catalog = merged()
    text = render(catalog)
    stale = not PO_FILE.exists() or PO_FILE.read_bytes() != text
    found = problems(catalog)
    shown = PO_FILE.relative_to(ROOT)
    if args.check:
        if stale:
            print(f"{shown} is stale: run `make console-strings`.", file=sys.stderr)
        for line in found:
            print(line, file=sys.stderr)
        return 1 if stale or found else 0
    if stale:
        PO_FILE.parent.mkdir(parents=True, exist_ok=True)
        PO_FILE.write_bytes(text)
    total = sum(1 for m in catalog if m.id)
    print(f"{shown}: {total} messages, {len(found)} to translate or check"
          + (" (updated)" if stale else " (unchanged)"))
    for line in found:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
