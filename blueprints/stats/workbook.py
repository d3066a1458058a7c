"""The dashboard as an Excel workbook, one sheet per table: the figures beside last year's, each breakdown, the
monthly trend, the reception figures and quota fulfilment. Counts are numbers, rates numbers in % with one decimal
(empty where there was nothing to count), so the sheets can be summed and charted in Excel. No personal data."""
from __future__ import annotations

import re
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from blueprints.stats.dashboard import BREAKDOWN_COUNTS, BREAKDOWN_RATES, TREND_KEYS, Comparison, GroupRow, Month
from blueprints.stats.reception_figures import ReceptionFigures
from figures import BREAKDOWNS, COUNT_LABELS, RATES, Period, one_decimal

BOLD = Font(bold=True)
RATE_FORMAT = "0.0"
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def period_text(period: Period) -> str:
    return f"{period.start.isoformat()} – {period.end.isoformat()}"


def rate_label(key: str) -> str:
    return f"{RATES[key].label} (%)"


def dashboard_workbook(comparison: Comparison, breakdowns: dict[str, tuple[list[GroupRow], GroupRow]],
                       months: list[Month], reception: ReceptionFigures) -> BytesIO:
    """The workbook in memory (a few hundred rows at most)."""
    book = Workbook()
    book.remove(book.active)
    figures_sheet(book, comparison)
    for by, (rows, whole) in breakdowns.items():
        breakdown_sheet(book, by, rows, whole)
    trend_sheet(book, months)
    reception_sheets(book, comparison, reception)
    target = BytesIO()
    book.save(target)
    target.seek(0)
    return target


def add_sheet(book: Workbook, title: str, header: list[str], widths: list[int]):
    sheet = book.create_sheet(SHEET_TITLE_FORBIDDEN.sub(" ", title)[:31])
    sheet.append(header)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet[1]:
        cell.font = BOLD
    sheet.freeze_panes = "B2"
    return sheet


def append(sheet, values: list, rate_columns=(), bold: bool = False) -> None:
    """A row; the cells of `rate_columns` (1-based) shown with one decimal. A name that starts with = (a unit
    called "=1+1") stays text, never a formula."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
        if cell.column in rate_columns:
            cell.number_format = RATE_FORMAT
        if bold:
            cell.font = BOLD


def figures_sheet(book: Workbook, comparison: Comparison) -> None:
    sheet = add_sheet(book, _("Figures"), [_("Figure"), period_text(comparison.period),
                                           period_text(comparison.last_year), _("Change"), _("Change (%)")],
                      [36, 24, 24, 12, 12])
    for line in comparison.lines:
        if line.is_rate:
            values = [one_decimal(line.value), one_decimal(line.last_year),
                      one_decimal(line.change.delta) if line.change else None]
            label, rate_columns = rate_label(line.key), (2, 3, 4, 5)
        else:
            values = [line.value, line.last_year, int(line.change.delta) if line.change else None]
            label, rate_columns = str(line.label), (5,)
        append(sheet, [label, *values, one_decimal(line.change.percent) if line.change else None], rate_columns)


def breakdown_sheet(book: Workbook, by: str, rows: list[GroupRow], whole: GroupRow) -> None:
    header = [str(BREAKDOWNS[by].label), *(str(COUNT_LABELS[key]) for key in BREAKDOWN_COUNTS),
              *(rate_label(key) for key in BREAKDOWN_RATES)]
    sheet = add_sheet(book, str(BREAKDOWNS[by].label), header,
                      [28, *[11] * len(BREAKDOWN_COUNTS), *[12] * len(BREAKDOWN_RATES)])
    rate_columns = range(2 + len(BREAKDOWN_COUNTS), 2 + len(BREAKDOWN_COUNTS) + len(BREAKDOWN_RATES))
    for row in [*rows, whole]:
        name = f"{row.name} · {row.note}" if row.note else row.name
        append(sheet, [name, *(row.counts[key] for key in BREAKDOWN_COUNTS),
                       *(one_decimal(row.rates[key]) for key in BREAKDOWN_RATES)], rate_columns, bold=row is whole)


def trend_sheet(book: Workbook, months: list[Month]) -> None:
    sheet = add_sheet(book, _("Monthly trend"), [_("Month"), *(str(COUNT_LABELS[key]) for key in TREND_KEYS)],
                      [12, *[22] * len(TREND_KEYS)])
    for month in months:
        append(sheet, [f"{month.start:%Y-%m}", *(month.counts[key] for key in TREND_KEYS)])


def reception_sheets(book: Workbook, comparison: Comparison, reception: ReceptionFigures) -> None:
    sheet = add_sheet(book, _("Reception"), [_("Figure"), period_text(comparison.period),
                                             period_text(comparison.last_year), _("Change"), _("Change (%)")],
                      [30, 24, 24, 12, 12])
    for line in reception.lines:
        append(sheet, [str(line.label), line.value, line.last_year, line.change.delta if line.change else None,
                       one_decimal(line.change.percent) if line.change else None], (5,))
    sheet = add_sheet(book, _("Quota fulfilment"), [_("Leader"), _("Title and unit"), _("Days held"),
                                                    _("Quota days"), _("Fulfilment (%)")], [16, 30, 11, 11, 14])
    for quota in reception.quotas:
        append(sheet, [quota.name, quota.note, quota.held, quota.required, one_decimal(quota.fulfilment)], (5,))
