"""`flask import-hardship FILE.csv`: the whole city, a summary, each rejected line, exit status 1 on rejects."""
from datetime import date

from sqlalchemy import select

from eldercare.elders.models import Elder
from eldercare.hardship import services

from ..factories import CommunityFactory
from .test_roster_import import changes_logged, make_elder, roster


def hardship(elder):
    return select(Elder.hardship, Elder.hardship_since, Elder.hardship_source).where(Elder.id == elder.id)


def test_the_command_applies_the_file_and_lists_rejected_lines(app, db, tmp_path):
    elder = make_elder(CommunityFactory().id)
    path = tmp_path / "roster.csv"
    path.write_text(roster(f"{elder.id_number},dibao,2026-01-01", "123,dibao,2026-01-01"), encoding="utf-8-sig")
    result = app.test_cli_runner().invoke(args=["import-hardship", str(path)])
    assert result.exit_code == 1, result.output  # a row was rejected; the good one is applied all the same
    assert "2 rows: 1 updated, 0 unchanged, 1 rejected." in result.output
    assert "line 3: 123: Not a valid resident ID number." in result.output
    assert tuple(db.session.execute(hardship(elder)).one()) == ("dibao", date(2026, 1, 1), "名册导入 roster.csv")
    again = app.test_cli_runner().invoke(args=["import-hardship", str(path)])
    assert "0 updated, 1 unchanged, 1 rejected" in again.output
    assert changes_logged() == 1


def test_a_clean_file_exits_zero_whoever_the_elder_is(app, db, tmp_path):
    elders = [make_elder(CommunityFactory().id) for _ in range(2)]  # two districts: the command is city-wide
    path = tmp_path / "roster.csv"
    path.write_text(roster(*(f"{e.id_number},特困,2026-01-01" for e in elders)), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-hardship", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 rows: 2 updated, 0 unchanged, 0 rejected." in result.output
    assert "line " not in result.output


def test_a_file_that_is_not_a_roster_is_refused(app, db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,phone\n王秀英,13900000000\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-hardship", str(path)])
    assert result.exit_code != 0 and "file:" in result.output


def test_a_missing_file_is_a_usage_error(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["import-hardship", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2


def test_a_crash_rolls_the_whole_import_back(app, db, tmp_path, monkeypatch):
    elder = make_elder(CommunityFactory().id)
    path = tmp_path / "roster.csv"
    path.write_text(roster(f"{elder.id_number},dibao,2026-01-01"), encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "record", broken)
    result = app.test_cli_runner().invoke(args=["import-hardship", str(path)])
    assert isinstance(result.exception, RuntimeError)
    assert db.session.execute(hardship(elder)).one().hardship == "none"
    assert changes_logged() == 0
