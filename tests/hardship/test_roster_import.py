"""import_roster: valid rows applied together, every rejected row with its line and reason, nothing half-applied,
and the same file twice changes nothing."""
import random
from datetime import date

import pytest
from sqlalchemy import func, select

from eldercare.audit.models import AuditEvent
from eldercare.demo.people import id_number
from eldercare.elders.models import Elder
from eldercare.errors import Invalid
from eldercare.extensions import db as _db
from eldercare.hardship import services
from eldercare.hardship.services import import_roster

from ..factories import CommunityFactory, DistrictFactory, StreetFactory

TODAY = date(2026, 11, 23)
HEADER = "id_number,status,effective_date"
_rng = random.Random(7)
_taken: set[str] = set()


def make_elder(community_id: int, **kw) -> Elder:
    """An elder built straight with the ORM, with a valid ID number of their own."""
    birth = date(1940 + _rng.randrange(20), 1 + _rng.randrange(12), 1 + _rng.randrange(28))
    gender = _rng.choice("MF")
    elder = Elder(name="王秀英", id_number=id_number(_rng, "321202", birth, gender, _taken), birth_date=birth,
                  gender=gender, address="海陵区测试路1号", community_id=community_id, lat=32.45, lng=119.92, **kw)
    _db.session.add(elder)
    _db.session.commit()
    return elder


def unregistered_id() -> str:
    """A valid ID number nobody in the registry has."""
    return id_number(_rng, "321202", date(1931, 3, 3), "M", _taken)


def roster(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def run(text, scope_region_id=None, **kw):
    return import_roster(text, scope_region_id=scope_region_id, source="名册导入 test.csv", today=TODAY, **kw)


def hardship_of(elder):
    return _db.session.execute(select(Elder.hardship, Elder.hardship_since, Elder.hardship_source)
                               .where(Elder.id == elder.id)).one()


def changes_logged() -> int:
    return _db.session.scalar(select(func.count()).where(AuditEvent.action == "elder.hardship_changed"))


@pytest.fixture
def city(db):
    district = DistrictFactory()
    here = StreetFactory(parent_id=district.id)
    there = StreetFactory(parent_id=district.id)
    a = make_elder(CommunityFactory(parent_id=here.id).id)
    b = make_elder(CommunityFactory(parent_id=here.id).id, hardship="dibao", hardship_since=date(2024, 1, 1),
                   hardship_source="旧名册")
    c = make_elder(CommunityFactory(parent_id=there.id).id)
    return dict(a=a, b=b, c=c, district=district, here=here, there=there)


def test_valid_rows_update_the_elders_and_each_change_is_logged(city, db):
    a, b = city["a"], city["b"]
    report = run(roster(f"{a.id_number},dibao,2026-10-01", f"{b.id_number},tekun,2026-09-01"))
    db.session.commit()
    assert (report.total, report.updated, report.unchanged, report.rejected) == (2, 2, 0, [])
    assert tuple(hardship_of(a)) == ("dibao", date(2026, 10, 1), "名册导入 test.csv")
    assert tuple(hardship_of(b)) == ("tekun", date(2026, 9, 1), "名册导入 test.csv")
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "elder.hardship_changed")
                                .order_by(AuditEvent.target_id)).all()
    assert [(e.target_type, e.target_id, e.detail["from"], e.detail["to"], e.detail["since"], e.detail["source"])
            for e in logged] == [("elders", a.id, "none", "dibao", "2026-10-01", "名册导入 test.csv"),
                                 ("elders", b.id, "dibao", "tekun", "2026-09-01", "名册导入 test.csv")]
    summary = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "hardship.imported"))
    assert (summary.detail["rows"], summary.detail["updated"], summary.detail["rejected"]) == (2, 2, 0)


def test_chinese_status_labels_a_bom_and_a_long_source(city, db):
    a, b, c = city["a"], city["b"], city["c"]
    text = "\ufeff" + roster(f"{a.id_number},低收入,2026-10-01", f"{b.id_number},无,2026-10-01",
                             f"{c.id_number},特困,2026-10-01")
    report = import_roster(text, scope_region_id=None, source="名册导入 " + "很长的文件名" * 20, today=TODAY)
    db.session.commit()
    assert (report.updated, report.rejected) == (3, [])
    assert hardship_of(a).hardship == "low_income"
    assert tuple(hardship_of(b)) == ("none", None, None)  # as on the registry form: "none" has no date
    assert hardship_of(c).hardship == "tekun" and len(hardship_of(c).hardship_source) == 80
    assert run(roster(f"{a.id_number},低保,2026-10-01")).updated == 1
    db.session.commit()
    assert hardship_of(a).hardship == "dibao"


def test_importing_the_same_file_twice_changes_nothing(city, db):
    text = roster(f"{city['a'].id_number},low_income,2026-10-01", f"{city['b'].id_number},none,2026-10-01",
                  f"{city['c'].id_number},dibao,2024-01-01")
    first = run(text)
    db.session.commit()
    assert (first.updated, first.unchanged) == (3, 0)
    before = db.session.execute(select(Elder.id, Elder.hardship, Elder.hardship_since, Elder.hardship_source)
                                .order_by(Elder.id)).all()
    again = run(text)
    db.session.commit()
    assert (again.total, again.updated, again.unchanged, again.rejected) == (3, 0, 3, [])
    assert changes_logged() == 3
    assert db.session.execute(select(Elder.id, Elder.hardship, Elder.hardship_since, Elder.hardship_source)
                              .order_by(Elder.id)).all() == before


def test_a_row_matching_the_registry_writes_nothing(city, db):
    report = run(roster(f"{city['b'].id_number},dibao,2024-01-01"))
    db.session.commit()
    assert (report.updated, report.unchanged) == (0, 1)
    assert hardship_of(city["b"]).hardship_source == "旧名册"
    assert changes_logged() == 0


def test_every_rejected_row_has_its_line_and_reason(city, db):
    a, b, c = city["a"], city["b"], city["c"]
    bad_check = a.id_number[:17] + ("0" if a.id_number[17] != "0" else "1")
    text = "\n".join([
        "身份证号,状态,生效日期",                    # line 1: the header, in Chinese
        f"{a.id_number},dibao,2026-10-01",          # line 2: fine
        f"{bad_check},dibao,2026-10-01",             # line 3: wrong check digit
        f"{b.id_number},rich,2026-10-01",           # line 4: unknown status
        f"{c.id_number},dibao,2026-13-01",          # line 5: not a date
        f"{c.id_number},dibao,2027-01-01",          # line 6: in the future
        f"{unregistered_id()},dibao,2026-10-01",     # line 7: nobody
        f"{b.id_number},tekun,2026-10-01",          # lines 8 and 9: the same person, different values
        f"{b.id_number},dibao,2026-10-01",
        "onlyonecolumn",                             # line 10
        "",
    ])
    report = run(text)
    db.session.commit()
    assert (report.total, report.updated) == (9, 1)
    assert [r.line for r in report.rejected] == [3, 4, 5, 6, 7, 8, 9, 10]
    reasons = {line: reason for line, _number, reason in report.rejected}
    assert "ID number" in reasons[3] and "Unknown status" in reasons[4] and "not a date" in reasons[5]
    assert "future" in reasons[6] and "No registered elder" in reasons[7]
    assert "again with different values" in reasons[8] == reasons[9]
    assert "too few columns" in reasons[10]
    assert report.rejected[0][1] == bad_check
    assert hardship_of(a).hardship == "dibao" and hardship_of(b).hardship == "dibao"
    assert hardship_of(b).hardship_since == date(2024, 1, 1)  # neither contradicting line applied


def test_the_same_line_twice_is_applied_once(city, db):
    line = f"{city['a'].id_number},dibao,2026-10-01"
    report = run(roster(line, line))
    assert (report.total, report.updated, report.rejected) == (2, 1, [])
    assert changes_logged() == 1


def test_a_street_officer_cannot_change_elders_outside_the_street(city, db):
    a, c = city["a"], city["c"]
    report = run(roster(f"{a.id_number},dibao,2026-10-01", f"{c.id_number},dibao,2026-10-01"),
                 scope_region_id=city["here"].id)
    db.session.commit()
    assert report.updated == 1
    assert report.rejected == [(3, c.id_number, "The elder lives outside your region.")]
    assert hardship_of(c).hardship == "none"
    district_wide = run(roster(f"{c.id_number},dibao,2026-10-01"), scope_region_id=city["district"].id)
    assert (district_wide.updated, district_wide.rejected) == (1, [])


@pytest.mark.parametrize("text", ["", "name,phone\n王秀英,13900000000\n", "id_number,status\n1,dibao\n"])
def test_a_file_that_is_not_a_roster_is_refused_whole(city, text):
    with pytest.raises(Invalid) as refused:
        run(text)
    assert "file" in refused.value.errors


def test_streams_text_and_binary(city, db, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(roster(f"{city['a'].id_number},dibao,2026-10-01"), encoding="utf-8-sig")
    with path.open("rb") as f:
        assert run(f).updated == 1
    db.session.rollback()
    with path.open(encoding="utf-8", newline="") as f:  # the BOM left in: the header still reads
        assert run(f).updated == 1


def test_progress_hears_of_every_row(city):
    heard = []
    run(roster(f"{city['a'].id_number},dibao,2026-10-01", "bad,dibao,2026-10-01"), progress=heard.append)
    assert sum(heard) == 2


def test_a_crash_midway_leaves_nothing_applied(city, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "record", broken)  # fails after the updates and audit rows were sent
    with pytest.raises(RuntimeError):
        run(roster(f"{city['a'].id_number},dibao,2026-10-01", f"{city['b'].id_number},tekun,2026-10-01"))
    db.session.rollback()  # what every caller does on an exception
    assert hardship_of(city["a"]).hardship == "none" and hardship_of(city["b"]).hardship == "dibao"
    assert changes_logged() == 0


def test_lookups_go_in_chunks(city, db, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 2)
    lines = [f"{city[k].id_number},tekun,2026-10-01" for k in "abc"] + [f"{unregistered_id()},无,2026-10-01"]
    report = run(roster(*lines))
    assert (report.updated, [r.line for r in report.rejected]) == (3, [5])
