"""`flask settle --period` and the scheduler's monthly job settle like the API and are safe twice; the CSV and
Excel downloads hold the lines, the totals, the orders held back and the reconciliation."""
import csv
import io
from datetime import time

import pytest
import time_machine
from sqlalchemy import func, select

from eldercare import clock
from eldercare.clock import Month
from eldercare.extensions import db
from eldercare.settlement.models import Statement, StatementLine

from .conftest import NOVEMBER, at
from .test_statements import generate


def test_flask_settle_makes_the_statements_once(december, town, app):
    a, b = town.providers
    town.visit(a, at(3))
    town.visit(b, at(4))
    town.visit(a, at(5), status="disputed")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["settle", "--period", NOVEMBER])
    assert first.exit_code == 0, first.output
    assert "2026-11: 2 statements, 2 orders, 21.00 yuan of vouchers; 1 orders held back." in first.output
    assert "Settling 2026-11" in first.output
    again = runner.invoke(args=["settle", "--period", NOVEMBER])
    assert "0 statements, 0 orders" in again.output
    assert db.session.scalar(select(func.count(Statement.id))) == 2
    assert {s.generated_by_id for s in db.session.scalars(select(Statement))} == {None}
    future = runner.invoke(args=["settle", "--period", "2027-01"])
    assert future.exit_code != 0 and "has not begun" in future.output
    assert runner.invoke(args=["settle", "--period", "２０２６-１１"]).exit_code != 0


def test_the_monthly_job_settles_last_month_on_the_first_and_is_safe_twice(town, app):
    a, b = town.providers
    with time_machine.travel(at(20), tick=False):
        town.visit(a, at(3))
        town.visit(b, at(30, 23))  # 23:00 on the last day, Beijing: still November
    runner = app.test_cli_runner()
    # 02:00 on 1 December in Beijing is 18:00 on 30 November on a UTC server.
    with time_machine.travel(clock.at_local(Month(2026, 12).first_day, time(2, 0)), tick=False):
        assert "monthly-settlement: 2" in runner.invoke(args=["scheduler", "--once"]).output
        assert "monthly-settlement: 0" in runner.invoke(args=["scheduler", "--once"]).output
    assert set(db.session.scalars(select(Statement.period))) == {NOVEMBER}
    assert db.session.scalar(select(func.count(StatementLine.id))) == 2


def test_the_csv_holds_the_lines_totals_held_back_and_reconciliation(december, town, api):
    a, _ = town.providers
    order = town.visit(a, at(3), copay_paid_fen=450)
    disputed = town.visit(a, at(4), status="disputed", dispute_reason="没来")
    made = generate(api, town.officer).json[0]
    response = api.as_(a.admin).get(f"/api/v1/settlements/{made['id']}.csv", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Order", "Service", "Elder"]
    assert rows[1][0] == str(order.id) and rows[1][2] == "王*英" and rows[1][9:] == ["10.50", "4.50", "4.50"]
    summary = {row[0]: row[1:] for row in rows[3:] if row}
    assert summary["Vouchers (yuan)"] == ["10.50"] and summary["Reconciled with the ledger"] == ["Yes"]
    assert summary["Held back"] == [str(disputed.id), "Under dispute: 没来"]
    chinese = api.as_(town.officer).get(f"/api/v1/settlements/{made['id']}.csv", headers={"Accept-Language": "zh"})
    assert chinese.data.decode("utf-8").lstrip("\ufeff").startswith("工单")
    assert api.as_(town.providers[1].admin).get(f"/api/v1/settlements/{made['id']}.csv").status_code == 404


def test_the_excel_workbook_holds_the_same_lines(december, town, api):
    openpyxl = pytest.importorskip("openpyxl")
    a, _ = town.providers
    order = town.visit(a, at(3))
    made = generate(api, town.officer).json[0]
    response = api.as_(town.officer).get(f"/api/v1/settlements/{made['id']}.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    lines = list(book.worksheets[0].iter_rows(values_only=True))
    assert lines[1][0] == order.id and lines[1][9] == "10.50"
