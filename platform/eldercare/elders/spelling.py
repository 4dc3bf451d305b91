"""An elder's name as an operator types it on a phone call without a Chinese keyboard at hand: in pinyin
(王秀英: "wangxiuying") and by its initials ("wxy"), both lowercase ASCII without tones. Kept beside the name
(columns elders.name_pinyin and name_initials) so that the search is an indexed prefix match."""
import re

from pypinyin import Style, lazy_pinyin

SEARCHABLE = re.compile(r"[a-z]{2,40}\Z")  # what the search takes as pinyin: ASCII letters only


def full(name: str | None) -> str | None:
    if not name:
        return None
    return "".join(lazy_pinyin(name, errors="ignore")).lower()[:120] or None


def initials(name: str | None) -> str | None:
    if not name:
        return None
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()[:40] or None


def spelled_from(source: str, spell) -> callable:
    """A column default for Core inserts (the demo seed's, a bench's): `spell` of the row's `source` value. ORM
    writes set the same when the name is set (Elder's validator)."""
    def default(context):
        return spell(context.get_current_parameters().get(source))
    return default


def as_pinyin(query: str) -> str | None:
    """The search text as pinyin to look for (letters only, lowercase), or None when it is not pinyin."""
    text = query.strip().lower().replace(" ", "")
    return text if SEARCHABLE.match(text) else None
