"""The hardship roster import: valid rows applied together, every rejected row with its line and reason,
nothing half-applied, and the same file twice changes nothing."""
from datetime import date

import pytest
from sqlalchemy import func, select

from eldercare.audit.models import AuditEvent
from eldercare.elders.models import Elder
from eldercare.errors import Invalid
from eldercare.hardship.importer import import_roster

from ..factories import CommunityFactory, DistrictFactory, ElderFactory, StreetFactory

TODAY = date(2026, 11, 23)


@pytest.fixture
def elders(db):
    district = DistrictFactory()
    here = StreetFactory(parent_id=district.id)
    there = StreetFactory(parent_id=district.id)
    a = ElderFactory(community_id=CommunityFactory(parent_id=here.id).id)
    b = ElderFactory(community_id=CommunityFactory(parent_id=here.id).id, hardship="dibao",
                     hardship_since=date(2024, 1, 1), hardship_source="旧名册")
    c = ElderFactory(community_id=CommunityFactory(parent_id=there.id).id)
    return dict(a=a, b=b, c=c, here=here, there=there)


def run(text, **kw):
    return import_roster(text.splitlines(keepends=True), source="名册导入 test.csv", today=TODAY, **kw)


def changes(db):
    return db.session.scalar(select(func.count()).where(AuditEvent.action == "elder.hardship_changed"))


def test_valid_rows_update_the_elders_and_each_change_is_logged(elders, db):
    a, b = elders["a"], elders["b"]
    report = run(f"id_number,status,effective_date\n{a.id_number},dibao,2026-10-01\n{b.id_number},特困,2026-09-01\n")
    db.session.commit()
    assert (report.rows, report.updated, report.unchanged, report.rejected) == (2, 2, 0, [])
    db.session.refresh(a)
    db.session.refresh(b)
    assert (a.hardship, a.hardship_since, a.hardship_source) == ("dibao", date(2026, 10, 1), "名册导入 test.csv")
    assert (b.hardship, b.hardship_since) == ("tekun", date(2026, 9, 1))
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "elder.hardship_changed")
                                .order_by(AuditEvent.target_id)).all()
    assert [(e.target_id, e.detail["from"], e.detail["to"]) for e in logged] == [
        (a.id, "none", "dibao"), (b.id, "dibao", "tekun")]


def test_importing_the_same_file_twice_changes_nothing(elders, db):
    text = f"id_number,status,effective_date\n{elders['a'].id_number},low_income,2026-10-01\n"
    assert run(text).updated == 1
    db.session.commit()
    again = run(text)
    db.session.commit()
    assert (again.updated, again.unchanged) == (0, 1)
    assert changes(db) == 1


def test_status_none_clears_the_date_and_source(elders, db):
    b = elders["b"]
    assert run(f"id_number,status,effective_date\n{b.id_number},none,2026-11-01\n").updated == 1
    db.session.commit()
    db.session.refresh(b)
    assert (b.hardship, b.hardship_since, b.hardship_source) == ("none", None, None)


def test_every_rejected_row_has_its_line_and_reason(elders, db):
    a, b, c = elders["a"], elders["b"], elders["c"]
    unknown = a.id_number[:6] + "19300101" + "0019"
    from eldercare.elders.idnumber import check_digit

    unknown = unknown[:17] + check_digit(unknown[:17])
    text = "\n".join([
        "身份证号,状态,生效日期",
        f"{a.id_number},dibao,2026-10-01",          # line 2: fine
        f"{a.id_number[:17]}0,dibao,2026-10-01" if a.id_number[17] != "0" else f"{a.id_number[:17]}1,dibao,2026-10-01",
        f"{b.id_number},rich,2026-10-01",           # line 4: unknown status
        f"{c.id_number},dibao,2026-13-01",          # line 5: not a date
        f"{c.id_number},dibao,2027-01-01",          # line 6: future
        f"{unknown},dibao,2026-10-01",               # line 7: nobody
        f"{b.id_number},tekun,2026-10-01",          # line 8 and 9: contradicting
        f"{b.id_number},dibao,2026-10-01",
        "onlyonecolumn",                             # line 10
        "",
    ])
    report = run(text)
    assert report.updated == 1
    reasons = {r.line: r.reason for r in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "ID number" in reasons[3] and "Unknown status" in reasons[4] and "not a date" in reasons[5]
    assert "future" in reasons[6] and "No registered elder" in reasons[7]
    assert "again with different values" in reasons[8] == reasons[9]
    assert "too few columns" in reasons[10]


def test_an_officer_cannot_change_elders_outside_their_region(elders, db):
    a, c = elders["a"], elders["c"]
    report = run(f"id_number,status,effective_date\n{a.id_number},dibao,2026-10-01\n{c.id_number},dibao,2026-10-01\n",
                 scope_region_id=elders["here"].id)
    assert report.updated == 1
    assert [(r.line, r.reason) for r in report.rejected] == [(3, "The elder lives outside your region.")]


def test_a_file_that_is_not_a_roster_is_refused_whole(elders):
    with pytest.raises(Invalid) as refused:
        run("name,phone\n王秀英,13900000000\n")
    assert "file" in refused.value.errors


def test_a_crash_midway_leaves_nothing_applied(elders, db, monkeypatch):
    import eldercare.hardship.importer as importer

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "record", broken)  # fails after the updates were sent
    with pytest.raises(RuntimeError):
        run(f"id_number,status,effective_date\n{elders['a'].id_number},dibao,2026-10-01\n")
    db.session.rollback()
    assert db.session.get(Elder, elders["a"].id).hardship == "none"
    assert changes(db) == 0
