"""Every message the code and the pages can show has its Chinese in the shipped catalogue: a msgid written in
the source but never added to messages.po shows in English on a Chinese page (the service points' refusals did,
until this test)."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import eldercare

ROOT = Path(eldercare.__file__).parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None,
            "lazy_ngettext": (1, 2)}
METHODS = [("platform/eldercare/**.py", "python"), ("templates/**.html", "jinja2")]


def test_every_message_in_the_source_is_in_the_chinese_catalogue():
    po = ROOT / "platform" / "eldercare" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f)
    missing = set()
    for filename, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {"extensions": ""}}):
        msgid = message[0] if isinstance(message, tuple) else message  # a plural is found by its singular
        if msgid and msgid not in catalog:
            missing.add(f"{filename}: {msgid}")
    assert sorted(missing) == [], "\n".join(sorted(missing))
