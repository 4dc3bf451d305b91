"""The audit log's hash chain (audit/chain.py): a row changed, removed or inserted straight in the database is
named by the check, with why; a whole chain rewritten with the key is caught against a head exported before;
bookings' rows are signed as written and sealed later; sealing is idempotent, takes rows committed out of id
order, and two sealers at once (real PostgreSQL connections) make one chain."""
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, insert, select, text, update

from eldercare.audit import chain
from eldercare.audit.cli import seal_all
from eldercare.audit.models import AuditChainHead, AuditEvent
from eldercare.audit.services import event, record, record_many, rows
from eldercare.extensions import db

from ..orders.conftest import city, next_monday  # noqa: F401  the city fixture

AT = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)  # 03:30 on 2 December in Beijing, still 1 December in UTC


def write(n, action="test.event", **detail):
    """`n` events, committed like a request's, their ids in order."""
    record_many([event(action, target_type="users", target_id=i, n=i, **detail) for i in range(n)])
    db.session.commit()
    return db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[-n:]


def sealed_chain():
    return db.session.execute(select(AuditEvent.id, AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash)
                              .order_by(AuditEvent.seq)).all()


def run(sql, **params):
    db.session.execute(text(sql), params)
    db.session.commit()


# --- writing and sealing ---------------------------------------------------------------------------------------

def test_each_row_is_signed_as_written_and_sealed_into_one_chain(db):
    ids = write(5)
    assert db.session.scalar(select(func.count()).where(AuditEvent.mac.is_not(None))) == 5
    assert chain.count_unsealed() == 5
    assert seal_all() == 5
    links = sealed_chain()
    assert [r.id for r in links] == ids and [r.seq for r in links] == [1, 2, 3, 4, 5]
    prev = chain.GENESIS
    for row in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
        assert row.prev_hash == prev and row.hash == chain.link(prev, row.mac, row.seq)
        prev = row.hash
    assert db.session.get(AuditChainHead, chain.HEAD_ID).hash == prev
    verdict = chain.verify()
    assert (verdict.ok, verdict.checked, verdict.first_bad_id, verdict.reason) == (True, 5, None, None)


def test_sealing_is_idempotent_and_later_rows_extend_the_chain(db):
    write(3)
    assert seal_all() == 3
    before = sealed_chain()
    assert seal_all() == 0 and sealed_chain() == before
    write(2)
    assert seal_all() == 2
    assert sealed_chain()[:3] == before and [r.seq for r in sealed_chain()] == [1, 2, 3, 4, 5]
    assert chain.verify().ok


def test_rows_committed_out_of_id_order_are_sealed_after_those_before_them(db):
    """A slow transaction commits its row (a low id) after later rows were sealed: a later pass seals it."""
    ids = write(5, action="quick")
    late = db.session.get(AuditEvent, ids[3])
    kept = {c: getattr(late, c) for c in ("id", "at", "actor_id", "action", "target_type", "target_id", "ip",
                                          "detail", "nonce", "mac")}
    run("DELETE FROM audit_events WHERE id = :id", id=ids[3])  # not committed yet, as far as the sealer knows
    assert seal_all() == 4
    db.session.execute(insert(AuditEvent.__table__), [kept])  # now it commits, with the id it took before
    db.session.commit()
    assert seal_all() == 1
    order = db.session.execute(select(AuditEvent.id, AuditEvent.seq).order_by(AuditEvent.id)).all()
    assert order == [(ids[0], 1), (ids[1], 2), (ids[2], 3), (ids[3], 5), (ids[4], 4)]
    assert chain.verify().ok


def test_a_booking_writes_signed_audit_rows_that_get_sealed(api, city):  # noqa: F811
    city.provider("一", caregivers=1)
    response = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat(),
        "pay_with": "self"})
    assert response.status_code == 201, response.json
    booked = db.session.scalars(select(AuditEvent).where(AuditEvent.target_type == "work_orders",
                                                         AuditEvent.target_id == response.json["id"])).all()
    assert booked and all(e.mac and e.seq is None for e in booked)
    assert all(chain.mac_of(e) == e.mac for e in booked)  # signed in the writer's own transaction
    assert seal_all() >= len(booked)
    db.session.expire_all()
    assert all(e.seq is not None for e in db.session.scalars(select(AuditEvent)))
    assert chain.verify().ok


# --- tampering, straight in the database -----------------------------------------------------------------------

def test_an_edited_row_is_named_as_changed(db, app):
    ids = write(5)
    seal_all()
    run("UPDATE audit_events SET action = 'test.innocent' WHERE id = :id", id=ids[2])
    verdict = chain.verify()
    assert (verdict.ok, verdict.first_bad_id, verdict.first_bad_seq) == (False, ids[2], 3)
    assert verdict.reason.startswith("changed")
    result = app.test_cli_runner().invoke(args=["verify-audit-log"])
    assert result.exit_code == 1 and f"event id {ids[2]}" in result.output and "changed" in result.output


def test_an_edited_detail_or_chain_column_is_named_as_changed(db):
    ids = write(4)
    seal_all()
    db.session.execute(update(AuditEvent.__table__).where(AuditEvent.id == ids[1]).values(detail={"n": 99}))
    db.session.commit()
    assert (chain.verify().first_bad_id, chain.verify().reason[:7]) == (ids[1], "changed")
    db.session.execute(update(AuditEvent.__table__).where(AuditEvent.id == ids[1]).values(detail={"n": 1}))
    db.session.commit()
    assert chain.verify().ok  # put back as it was: intact again
    run("UPDATE audit_events SET mac = :m WHERE id = :id", m="ab" * 32, id=ids[3])
    verdict = chain.verify()
    assert (verdict.first_bad_id, verdict.reason[:7]) == (ids[3], "changed")


def test_a_removed_row_is_named_by_the_event_after_the_gap(db, app):
    ids = write(5)
    seal_all()
    run("DELETE FROM audit_events WHERE id = :id", id=ids[1])
    verdict = chain.verify()
    assert (verdict.ok, verdict.first_bad_id, verdict.first_bad_seq) == (False, ids[2], 3)
    assert verdict.reason.startswith("removed") and "2" in verdict.reason
    result = app.test_cli_runner().invoke(args=["verify-audit-log"])
    assert result.exit_code == 1 and "removed" in result.output


def test_removed_rows_renumbered_or_at_the_end_are_named(db):
    ids = write(5)
    seal_all()
    run("DELETE FROM audit_events WHERE id = :id", id=ids[4])
    verdict = chain.verify()
    assert (verdict.ok, verdict.first_bad_id, verdict.first_bad_seq) == (False, None, 5)
    assert verdict.reason.startswith("removed") and "end" in verdict.reason
    # The one before removed too, and the rows after renumbered to close the gap: the prev_hash gives it away.
    ids = write(1)
    seal_all()  # seq 6 links to the head (5), which is gone
    run("DELETE FROM audit_events WHERE id = :id", id=ids[0])
    run("DELETE FROM audit_events WHERE seq = 2")
    for seq in (3, 4):
        run("UPDATE audit_events SET seq = :new WHERE seq = :old", new=seq - 1, old=seq)
    verdict = chain.verify()
    assert verdict.first_bad_seq == 2 and verdict.reason.startswith("removed")


def test_an_inserted_row_is_named_as_inserted(db, app):
    ids = write(3)
    seal_all()
    run("INSERT INTO audit_events (at, action, detail, actor_id, nonce, mac) "
        "VALUES (:at, 'order.cancelled', '{}', NULL, :nonce, :mac)",
        at=datetime(2026, 1, 1), nonce="00" * 16, mac="cd" * 32)
    forged = db.session.scalar(select(func.max(AuditEvent.id)))
    assert forged not in ids
    result = app.test_cli_runner().invoke(args=["verify-audit-log"])  # seals first: the forged row is left out
    assert result.exit_code == 1 and f"event id {forged}" in result.output and "inserted" in result.output
    assert db.session.get(AuditEvent, forged).seq is None
    verdict = chain.verify()
    assert (verdict.first_bad_id, verdict.reason[:8]) == (forged, "inserted")


def test_a_row_inserted_with_a_place_in_the_chain_is_named(db):
    ids = write(3)
    seal_all()
    last = db.session.get(AuditEvent, ids[-1])
    mac = "ef" * 32
    run("INSERT INTO audit_events (at, action, detail, nonce, mac, seq, prev_hash, hash) "
        "VALUES (:at, 'order.cancelled', '{}', :nonce, :mac, 4, :prev, :hash)",
        at=datetime(2026, 1, 1), nonce="11" * 16, mac=mac, prev=last.hash, hash=chain.link(last.hash, mac, 4))
    forged = db.session.scalar(select(func.max(AuditEvent.id)))
    verdict = chain.verify()
    assert (verdict.first_bad_id, verdict.first_bad_seq, verdict.reason[:8]) == (forged, 4, "inserted")


def test_a_copy_of_a_real_row_is_refused(db):
    ids = write(1)
    seal_all()
    with pytest.raises(Exception, match="(?i)unique"):
        run("INSERT INTO audit_events (at, action, detail, target_type, target_id, nonce, mac) "
            "SELECT at, action, detail, target_type, target_id, nonce, mac FROM audit_events WHERE id = :id",
            id=ids[0])
    db.session.rollback()


# --- the exported head -----------------------------------------------------------------------------------------

@time_machine.travel(AT, tick=False)
def test_export_head_appends_todays_line_in_beijing(db, app, tmp_path):
    app.config["AUDIT_HEAD_FILE"] = str(tmp_path / "heads.txt")
    try:
        write(2)
        result = app.test_cli_runner().invoke(args=["export-audit-head"])
        assert result.exit_code == 0
        head = db.session.get(AuditChainHead, chain.HEAD_ID)
        line = f"2026-12-02 2 {head.hash}"
        assert result.output.strip() == line
        write(1)
        app.test_cli_runner().invoke(args=["export-audit-head"])
        lines = Path(app.config["AUDIT_HEAD_FILE"]).read_text().splitlines()
        assert lines[0] == line and lines[1].startswith("2026-12-02 3 ")
    finally:
        app.config["AUDIT_HEAD_FILE"] = ""


def _rewrite_whole_chain(target_id: int) -> None:
    """What an attacker with the database and the key does: change an event, then recompute its MAC and every
    hash after it, and the head, so that the chain is consistent again."""
    db.session.execute(update(AuditEvent.__table__).where(AuditEvent.id == target_id)
                       .values(action="test.innocent"))
    prev = chain.GENESIS
    for row in db.session.scalars(select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)):
        row.mac = chain.mac_of(row)
        row.prev_hash, row.hash = prev, chain.link(prev, row.mac, row.seq)
        prev = row.hash
    db.session.get(AuditChainHead, chain.HEAD_ID).hash = prev
    db.session.commit()


def test_a_whole_chain_rewritten_with_the_key_is_caught_against_an_exported_head(db, app, tmp_path):
    heads = tmp_path / "heads.txt"
    app.config["AUDIT_HEAD_FILE"] = str(heads)
    try:
        ids = write(4)
        assert app.test_cli_runner().invoke(args=["export-audit-head"]).exit_code == 0
        write(2)
        exported = chain.parse_heads(heads.read_text())
        assert chain.verify(exported).ok
        _rewrite_whole_chain(ids[1])
        assert chain.verify().ok  # consistent by itself: only an outside copy of the head can tell
        verdict = chain.verify(exported)
        assert (verdict.ok, verdict.first_bad_seq, verdict.first_bad_id) == (False, 4, ids[3])
        assert verdict.reason.startswith("rewritten")
        runner = app.test_cli_runner()
        for given in (str(heads), heads.read_text().strip()):
            result = runner.invoke(args=["verify-audit-log", "--head", given])
            assert result.exit_code == 1 and "rewritten" in result.output
        assert runner.invoke(args=["verify-audit-log"]).exit_code == 0
        bad = runner.invoke(args=["verify-audit-log", "--head", "yesterday 4 abc"])
        assert bad.exit_code == 2 and "--head" in bad.output
    finally:
        app.config["AUDIT_HEAD_FILE"] = ""


def test_a_chain_cut_short_of_an_exported_head_is_caught(db):
    write(3)
    seal_all()
    exported = [chain.current_head()]
    run("DELETE FROM audit_events WHERE seq = 3")
    run("UPDATE audit_chain_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)")
    assert chain.verify().ok
    verdict = chain.verify(exported)
    assert not verdict.ok and verdict.reason.startswith("removed") and verdict.first_bad_seq == 3


# --- rows from before the chain --------------------------------------------------------------------------------

def test_rows_from_before_the_chain_are_adopted_once(db):
    old = rows([event("legacy.event", target_id=i) for i in range(3)])
    db.session.execute(insert(AuditEvent.__table__), [{k: v for k, v in r.items() if k not in ("nonce", "mac")}
                                                      for r in old])
    db.session.add(AuditChainHead(id=chain.HEAD_ID, seq=0, hash=chain.GENESIS,
                                  legacy_max_id=db.session.scalar(select(func.max(AuditEvent.id)))))
    db.session.commit()
    assert chain.verify().ok  # waiting for their first seal
    assert seal_all() == 3
    assert db.session.get(AuditChainHead, chain.HEAD_ID).legacy_max_id is None
    assert chain.verify().ok
    # After that, a row without a MAC is an insertion, whatever its id.
    run("INSERT INTO audit_events (at, action, detail) VALUES (:at, 'legacy.event', '{}')", at=datetime(2026, 1, 1))
    assert seal_all() == 0 and chain.verify().reason.startswith("inserted")


# --- concurrency on PostgreSQL ---------------------------------------------------------------------------------

def at_once(app, count, work):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def one(i):
        with app.app_context():
            barrier.wait()
            try:
                results.append(work(i))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


@pytest.mark.postgres
def test_sealers_and_writers_at_once_make_one_consistent_chain(app, db, is_postgres):
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    write(200)

    def work(i):
        if i < 3:  # three sealers, in small batches so they interleave
            return sum(seal_all(size=15) for _ in range(3))
        for n in range(20):  # three writers, each committing one event at a time
            record("race.write", None, actor=None, writer=i, n=n)
            db.session.commit()
        return 0

    sealed = sum(at_once(app, 6, work))
    sealed += seal_all()
    assert sealed == 260
    seqs = db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, 261))
    assert chain.verify().ok


@pytest.mark.postgres
def test_a_row_committed_late_by_a_slow_transaction_is_sealed_later(app, db, is_postgres):
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    slow_wrote, go_on = threading.Event(), threading.Event()

    def slow():
        with app.app_context():
            record("slow.transaction", None, actor=None)
            db.session.flush()  # its id is taken now, below the rows committed while it waits
            slow_wrote.set()
            go_on.wait(30)
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=slow)
    thread.start()
    assert slow_wrote.wait(30)
    write(3, action="quick")
    assert seal_all() == 3  # the slow row is not committed: not seen, not waited for
    go_on.set()
    thread.join(30)
    assert seal_all() == 1
    slow_row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "slow.transaction"))
    quick = db.session.scalars(select(AuditEvent.id).where(AuditEvent.action == "quick")).all()
    assert slow_row.id < min(quick) and slow_row.seq == 4
    assert chain.verify().ok


@pytest.mark.postgres
def test_a_sealer_holding_its_lock_holds_up_no_writer(app, db, is_postgres):
    """Writers never take the chain's lock: with a sealer in the middle of its work (the head row locked), events
    are written and committed at once."""
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    write(2)
    locked, release = threading.Event(), threading.Event()

    def sealer():
        with app.app_context():
            chain.seal_batch()
            locked.set()
            release.wait(30)
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=sealer)
    thread.start()
    try:
        assert locked.wait(30)
        db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
        record_many([event("meanwhile", target_id=n) for n in range(3)])
        db.session.commit()  # would raise on the lock timeout if writing waited for the sealer
    finally:
        release.set()
        thread.join(30)
    assert seal_all() == 3 and chain.verify().ok


@time_machine.travel(AT, tick=False)
def test_the_scheduler_jobs_seal_and_export_the_head(db, app, tmp_path):
    from eldercare import jobs

    app.config["AUDIT_HEAD_FILE"] = str(tmp_path / "heads.txt")
    try:
        write(3)
        jobs.bind(app)
        assert jobs.seal_audit_log() == 3 and jobs.seal_audit_log() == 0
        line = jobs.export_audit_head()
        assert line.startswith("2026-12-02 3 ") and (tmp_path / "heads.txt").read_text() == line + "\n"
    finally:
        app.config["AUDIT_HEAD_FILE"] = ""
