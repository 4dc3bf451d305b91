"""Tables as the bureau downloads them: CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese) and an
Excel workbook (openpyxl). A download is a list of sheets, each a title and its rows; the CSV holds the sheets one
after another with an empty row between, the workbook one sheet each. Settlement statements and reports both
write through here."""
import csv
import io
from dataclasses import dataclass

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Sheet:
    title: str
    rows: list[list]


def safe_text(value: str | None) -> str:
    """Text a spreadsheet must not take for a formula (a name typed as "=HYPERLINK(...)")."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_bytes(sheets: list[Sheet]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for index, sheet in enumerate(sheets):
        if index:
            writer.writerow([])
        writer.writerows(sheet.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    from openpyxl import Workbook  # only a download needs it

    book = Workbook(write_only=True)
    for sheet in sheets:
        page = book.create_sheet(sheet.title[:31])  # Excel's limit on a sheet's name
        for row in sheet.rows:
            page.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
