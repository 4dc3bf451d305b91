"""Ability assessment by GB/T 42195-2022 《老年人能力评估规范》.

26 items in four dimensions, total 0-90. Levels by total: 90 intact, 66-89 mild, 46-65 moderate,
30-45 severe, 0-29 total. Coma is rated total directly. Dementia or another mental disorder, or two or
more care-risk events in the last 30 days, lower the level by one (once, never below total).
"""
import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from ..errors import Invalid

ITEMS_CSV = Path(__file__).parent / "data" / "gbt42195_items.csv"
LEVELS = ("intact", "mild", "moderate", "severe", "total")  # best to worst
# (lowest total of the band, level), best band first.
BANDS = ((90, "intact"), (66, "mild"), (46, "moderate"), (30, "severe"), (0, "total"))


@dataclass(frozen=True)
class ItemSpec:
    code: str
    dimension: str
    name_zh: str
    max_points: int


@lru_cache
def item_specs() -> tuple[ItemSpec, ...]:
    with ITEMS_CSV.open(encoding="utf-8") as f:
        return tuple(ItemSpec(r["code"], r["dimension"], r["name_zh"], int(r["max_points"])) for r in csv.DictReader(f))


def level_for_total(total: int) -> str:
    for lowest, level in BANDS:
        if total >= lowest:
            return level
    raise ValueError(f"negative total {total}")


def score(items: dict, diagnoses: dict | None = None, risk_events_30d: int = 0) -> tuple[int, str]:
    """(total score, care level) for a complete set of item points; raises Invalid naming each bad item."""
    diagnoses = diagnoses or {}
    errors = {}
    specs = item_specs()
    for spec in specs:
        value = items.get(spec.code)
        if value is None:
            errors[f"items.{spec.code}"] = [_l("Missing item.")]
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= spec.max_points:
            errors[f"items.{spec.code}"] = [_l("Must be a whole number from 0 to %(most)d.", most=spec.max_points)]
    known = {s.code for s in specs}
    for code in items:
        if code not in known:
            errors[f"items.{code}"] = [_l("Not an item of GB/T 42195-2022.")]
    if not isinstance(risk_events_30d, int) or isinstance(risk_events_30d, bool) or risk_events_30d < 0:
        errors["risk_events_30d"] = ["Must be a whole number, 0 or more."]
    if errors:
        raise Invalid(_l("The assessment has invalid items."), errors)

    total = sum(items[s.code] for s in specs)
    if diagnoses.get("coma"):
        return total, "total"
    level = level_for_total(total)
    if diagnoses.get("dementia") or diagnoses.get("mental_disorder") or risk_events_30d >= 2:
        level = LEVELS[min(LEVELS.index(level) + 1, len(LEVELS) - 1)]
    return total, level
