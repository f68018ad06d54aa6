"""The message catalogue: every message the code and the templates hand to a `Lang` has a
Chinese translation with the same placeholders, and the .po holds nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from deskplan.i18n import LANGUAGES, po_path

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "p_": ((1, "c"), 2)}     # as the Makefile's `catalogue` extracts
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def extracted() -> set[tuple[str | None, str]]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _, _, message, _, context in extract_from_dir(ROOT / "src", method_map, options_map, keywords=KEYWORDS):
        found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def catalogue(language: str):
    with po_path(language).open("rb") as source:
        return read_po(source, locale=language.replace("-", "_"))


def test_every_extracted_message_is_translated_with_its_placeholders():
    messages = extracted()
    assert len(messages) > 40
    for language in LANGUAGES[1:]:
        po = catalogue(language)
        entries = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m for m in po if m.id}
        missing = sorted(str(k) for k in messages - set(entries))
        assert missing == [], f"{language}: not in the .po (run `make catalogue`)"
        stale = sorted(str(k) for k in set(entries) - messages)
        assert stale == [], f"{language}: in the .po but no longer in the code (run `make catalogue`)"
        for key, entry in entries.items():
            texts = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            assert not entry.fuzzy and all(texts), f"{language}: {key} is not translated"
            ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
            wanted = set(PLACEHOLDER.findall(ids[-1]))
            for text in texts:
                assert set(PLACEHOLDER.findall(text)) == wanted, f"{language}: {key}: {text!r}"
