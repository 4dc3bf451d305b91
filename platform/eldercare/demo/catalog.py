"""The demo catalogue: 11 service categories and 247 items with guide prices, read from data/*.csv."""
import csv
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
UNITS = ("次", "份", "小时", "项", "天", "月")


def _read(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache
def category_rows() -> tuple[dict, ...]:
    """The categories as Category column dicts, in display order."""
    return tuple(dict(code=r["code"], name=r["name"], name_en=r["name_en"], sort_order=int(r["sort_order"]))
                 for r in _read("categories.csv"))


@lru_cache
def item_rows() -> tuple[dict, ...]:
    """The items as Item column dicts keyed by `category_code` instead of a category id."""
    categories = {c["code"] for c in category_rows()}
    rows = []
    for r in _read("catalog.csv"):
        # A typo in the data file should stop the seed here, not surface as an odd price in a demo.
        if r["category_code"] not in categories or r["unit"] not in UNITS or not r["code"].startswith(
                r["category_code"] + "."):
            raise ValueError(f"bad catalogue row {r['code']!r}")
        rows.append(dict(
            category_code=r["category_code"], code=r["code"], name=r["name"], name_en=r["name_en"],
            price_fen=int(r["price_fen"]), unit=r["unit"], duration_minutes=int(r["duration_minutes"]),
            voucher_eligible={"true": True, "false": False}[r["voucher_eligible"]],
        ))
    return tuple(rows)
