"""A report as a download: its table, then its totals, as CSV and as an Excel workbook (spreadsheets.py), in the
language of the request. Money in yuan with two decimals, rates as percentages."""
from flask_babel import gettext as _

from .. import spreadsheets
from ..spreadsheets import Sheet, safe_text


def filename(report, extension: str) -> str:
    span = str(report.span.first) if report.span.first == report.span.last else \
        f"{report.span.first}_{report.span.last}"
    group = f"-{report.group_by}" if report.group_by else ""
    region = f"-region{report.region.id}" if report.region is not None else ""
    return f"{report.name}{group}-{span}{region}.{extension}"


def cell(value, kind: str):
    """A figure as a spreadsheet shows it."""
    if value is None:
        return ""
    if kind == "fen":
        return f"{value / 100:.2f}"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "text":
        return safe_text(str(value))
    return value


def sheets(report) -> list[Sheet]:
    table = [[str(c.label) for c in report.columns]]
    table += [[cell(row.get(c.key), c.kind) for c in report.columns] for row in report.rows]
    region = report.region.name if report.region is not None else _("The whole city")
    summary = [[_("Report"), str(report.title)], [_("Months"), str(report.span)], [_("Region"), safe_text(region)]]
    summary += [[str(c.label), cell(report.totals.get(c.key), c.kind)] for c in report.summary]
    return [Sheet(str(report.title), table), Sheet(_("Totals"), summary)]


def csv_bytes(report) -> bytes:
    return spreadsheets.csv_bytes(sheets(report))


def xlsx_bytes(report) -> bytes:
    return spreadsheets.xlsx_bytes(sheets(report))
