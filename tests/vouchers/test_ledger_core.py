"""The one money path: `ledger.post_many` posts every voucher movement (issue, hold, release, capture, lapse,
reversal), refuses a short balance one way, and `ledger.accounts` opens accounts one way. Issuance and lapse
write exact, known rows through it (the suite runs on SQLite and PostgreSQL, so both databases are held to the
same rows), and no other module writes the ledger's tables."""
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.vouchers import holds, issuance, ledger
from eldercare.vouchers.ledger import Movement
from eldercare.vouchers.models import LedgerAccount, LedgerEntry, LedgerTransaction, VoucherGrant

from ..factories import ItemFactory
from .issuing import in_month, issue, lapse


def balance(kind: str, owner: int) -> int:
    return db.session.scalar(select(LedgerAccount.balance_fen).where(
        LedgerAccount.kind == kind, LedgerAccount.owner_id == owner)) or 0


def ledger_rows() -> tuple[list, list, list]:
    """Every transaction, entry and grant, without ids or times: what two runs must agree on."""
    txns = db.session.execute(select(LedgerTransaction.kind, LedgerTransaction.key, LedgerTransaction.period,
                                     LedgerTransaction.elder_id, LedgerTransaction.order_id,
                                     LedgerTransaction.amount_fen, LedgerTransaction.memo)
                              .order_by(LedgerTransaction.key)).all()
    entries = db.session.execute(select(LedgerTransaction.key, LedgerAccount.kind, LedgerAccount.owner_id,
                                        LedgerEntry.amount_fen)
                                 .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                                 .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                                 .order_by(LedgerTransaction.key, LedgerAccount.kind, LedgerAccount.owner_id)).all()
    grants = db.session.execute(select(VoucherGrant.period, VoucherGrant.elder_id, VoucherGrant.amount_fen,
                                       VoucherGrant.care_level, VoucherGrant.hardship)
                                .order_by(VoucherGrant.period, VoucherGrant.elder_id)).all()
    return [tuple(r) for r in txns], [tuple(r) for r in entries], [tuple(r) for r in grants]


@pytest.fixture
def funded(town):
    """An elder with 30,000 fen available (moved from the district's budget), committed; the account ids."""
    elder = town.elder()
    ids = ledger.accounts([("bureau_budget", town.district.id), ("elder_available", elder.id),
                           ("elder_held", elder.id)])
    ledger.post_many([Movement("reversal", "fund", ((ids["bureau_budget", town.district.id], -30000),
                                                    (ids["elder_available", elder.id], 30000)), elder_id=elder.id)])
    db.session.commit()
    return elder, ids["elder_available", elder.id], ids["elder_held", elder.id]


def hold(key: str, available: int, held: int, fen: int) -> Movement:
    return Movement("hold", key, ((available, -fen), (held, fen)))


# post_many

def test_a_movement_must_balance_and_be_of_a_known_kind():
    with pytest.raises(ValueError, match="unbalanced"):
        Movement("hold", "x", ((1, -100), (2, 99)))
    with pytest.raises(ValueError, match="unknown movement kind"):
        Movement("gift", "x", ((1, -100), (2, 100)))


def test_post_many_writes_a_transaction_its_entries_and_the_balances(funded):
    elder, available, held = funded
    result = ledger.post_many([hold("h:1", available, held, 12000), hold("h:2", available, held, 3000)])
    db.session.commit()
    assert [m.key for m in result.posted] == ["h:1", "h:2"] and result.total_fen == 15000
    assert (balance("elder_available", elder.id), balance("elder_held", elder.id)) == (15000, 15000)
    entries = db.session.execute(select(LedgerTransaction.key, LedgerEntry.account_id, LedgerEntry.amount_fen)
                                 .join(LedgerEntry).where(LedgerTransaction.kind == "hold")
                                 .order_by(LedgerTransaction.key, LedgerEntry.amount_fen)).all()
    assert [tuple(e) for e in entries] == [("h:1", available, -12000), ("h:1", held, 12000),
                                           ("h:2", available, -3000), ("h:2", held, 3000)]
    assert ledger.check().ok


def test_a_key_posted_twice_moves_once(funded):
    elder, available, held = funded
    first = ledger.post_many([hold("h:1", available, held, 1000), hold("h:1", available, held, 1000)])
    assert (len(first.posted), len(first.already)) == (1, 1)  # twice in one call: the second is a retry
    again = ledger.post_many([hold("h:1", available, held, 1000)])
    assert (again.posted, len(again.already)) == ([], 1)
    db.session.commit()
    assert (balance("elder_available", elder.id), balance("elder_held", elder.id)) == (29000, 1000)
    assert db.session.scalar(select(func.count(LedgerTransaction.id)).where(LedgerTransaction.key == "h:1")) == 1
    assert ledger.check().ok


def test_a_short_balance_raises_overdrawn_and_writes_nothing_after_rollback(funded):
    elder, available, held = funded
    with pytest.raises(ledger.Overdrawn) as refused:
        ledger.post_many([hold("h:1", available, held, 20000), hold("h:2", available, held, 20000)])
    assert refused.value.code == 409
    db.session.rollback()
    assert (balance("elder_available", elder.id), balance("elder_held", elder.id)) == (30000, 0)
    assert db.session.scalar(select(func.count(LedgerTransaction.id)).where(LedgerTransaction.kind == "hold")) == 0
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 2  # the funding's alone
    assert ledger.check().ok


def test_skip_refuses_the_short_movements_in_order_and_writes_the_rest(funded, town):
    elder, available, held = funded
    budget = ledger.accounts([("bureau_budget", town.district.id)])["bureau_budget", town.district.id]
    result = ledger.post_many([
        hold("h:1", available, held, 20000),
        hold("h:2", available, held, 20000),  # 10,000 left: refused
        hold("h:3", available, held, 10000),  # fits what h:2 left
        Movement("reversal", "r:1", ((budget, -5000), (available, 5000))),  # the budget may go negative
        hold("h:4", available, held, 5000),  # covered by r:1, given before it
    ], short="skip")
    db.session.commit()
    assert [m.key for m in result.posted] == ["h:1", "h:3", "r:1", "h:4"]
    assert [m.key for m in result.short] == ["h:2"]
    assert (balance("elder_available", elder.id), balance("elder_held", elder.id)) == (0, 35000)
    assert db.session.scalar(select(func.count(LedgerTransaction.id)).where(LedgerTransaction.key == "h:2")) == 0
    assert ledger.check().ok


def test_accounts_are_opened_once(town):
    elder = town.elder()
    pairs = [("elder_available", elder.id), ("elder_held", elder.id), ("elder_available", elder.id)]
    first = ledger.accounts(pairs)
    assert set(first) == {("elder_available", elder.id), ("elder_held", elder.id)}
    # Some known, some new, in one call.
    second = ledger.accounts([*pairs, ("bureau_budget", town.district.id)])
    assert {k: second[k] for k in first} == first
    db.session.commit()
    assert db.session.scalar(select(func.count(LedgerAccount.id)).where(
        LedgerAccount.owner_id == elder.id, LedgerAccount.kind.in_(ledger.ELDER_ACCOUNTS))) == 2
    assert ledger.account("elder_held", elder.id).id == first["elder_held", elder.id]


def test_a_loaded_account_object_sees_the_balance_post_many_moved(funded):
    elder, available, held = funded
    loaded = ledger.account("elder_available", elder.id)
    assert loaded.balance_fen == 30000
    ledger.post_many([hold("h:1", available, held, 1000)])
    assert loaded.balance_fen == 29000


# holds: one movement each, built once

def order_for(town, elder, voucher_fen):
    start = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    order = WorkOrder(elder_id=elder.id, item_id=ItemFactory(category=town.meal).id, scheduled_start=start,
                      scheduled_end=start + timedelta(minutes=30), price_fen=voucher_fen, voucher_fen=voucher_fen,
                      pay_with="voucher")
    db.session.add(order)
    db.session.flush()
    return order


def test_hold_release_and_capture_are_one_keyed_movement_each(town, funded):
    from ..factories import ProviderFactory

    elder, _, _ = funded
    kept, cancelled = order_for(town, elder, 4000), order_for(town, elder, 6000)
    kept.provider_id = ProviderFactory().id
    assert holds.hold(kept, 4000).key == f"hold:{kept.id}"
    assert holds.hold(kept, 4000) is None  # a retry moves nothing
    holds.hold(cancelled, 6000)
    assert holds.release(cancelled).key == f"release:{cancelled.id}"
    assert holds.capture(kept).key == f"capture:{kept.id}"
    assert holds.release(cancelled) is None and holds.capture(kept) is None
    db.session.commit()
    assert (balance("elder_available", elder.id), balance("elder_held", elder.id),
            balance("provider_payable", kept.provider_id)) == (26000, 0, 4000)
    memos = dict(db.session.execute(select(LedgerTransaction.key, LedgerTransaction.memo)
                                    .where(LedgerTransaction.order_id.is_not(None))).all())
    assert memos == {f"hold:{kept.id}": holds.HOLD_MEMO, f"hold:{cancelled.id}": holds.HOLD_MEMO,
                     f"release:{cancelled.id}": holds.RELEASE_MEMO, f"capture:{kept.id}": holds.CAPTURE_MEMO}
    assert ledger.check().ok


def test_hold_many_holds_what_the_balance_covers_and_returns_the_rest(town, funded):
    elder, available, held = funded
    orders = [order_for(town, elder, fen) for fen in (20000, 20000, 10000)]
    short = holds.hold_many([(o, o.voucher_fen) for o in orders])
    assert [m.key for m in short] == [f"hold:{orders[1].id}"]
    assert short[0] == holds.hold_movement(orders[1].id, elder.id, 20000, available, held)  # the one definition
    db.session.commit()
    assert (balance("elder_available", elder.id), balance("elder_held", elder.id)) == (0, 30000)
    with pytest.raises(ledger.Overdrawn):
        holds.hold_many([(orders[1], 20000)], short="raise")
    db.session.rollback()
    assert ledger.check().ok


def test_an_overdrawing_hold_is_a_409(town, funded):
    elder, _, _ = funded
    with pytest.raises(ledger.Overdrawn):
        holds.hold(order_for(town, elder, 30001), 30001)
    db.session.rollback()
    assert balance("elder_available", elder.id) == 30000


# issuance: the grants and one movement per batch

def test_issuance_writes_the_grants_and_one_movement_per_batch(town, monkeypatch):
    monkeypatch.setattr(issuance, "BATCH", 2)
    moderate, dibao, severe = town.elder("moderate"), town.elder("severe", "dibao"), town.elder("severe")
    town.elder("intact")
    report = issue("2026-12")
    assert (report.eligible, report.issued, report.already, report.total_fen) == (3, 3, 0, 120000)
    bureau = ledger.accounts([("bureau_budget", town.district.id)])["bureau_budget", town.district.id]
    memo = f"{town.policy.name}: 2026-12"
    txns, entries, grants = ledger_rows()
    # The neediest first: severe/dibao and severe in the first batch, moderate in the second; each batch's key
    # names its first elder.
    first, second = f"issue:2026-12:{bureau}:{dibao.id}", f"issue:2026-12:{bureau}:{moderate.id}"
    assert txns == sorted([("issue", first, "2026-12", None, None, 90000, memo),
                           ("issue", second, "2026-12", None, None, 30000, memo)])
    assert entries == sorted([
        (first, "bureau_budget", town.district.id, -90000), (first, "elder_available", dibao.id, 50000),
        (first, "elder_available", severe.id, 40000),
        (second, "bureau_budget", town.district.id, -30000), (second, "elder_available", moderate.id, 30000)])
    assert grants == [("2026-12", moderate.id, 30000, "moderate", "none"),
                      ("2026-12", dibao.id, 50000, "severe", "dibao"),
                      ("2026-12", severe.id, 40000, "severe", "none")]
    assert [balance("elder_available", e.id) for e in (moderate, dibao, severe)] == [30000, 50000, 40000]
    assert balance("bureau_budget", town.district.id) == -120000
    assert ledger.check().ok
    # A rerun issues nothing and writes nothing.
    again = issue("2026-12")
    assert (again.issued, again.already, again.total_fen) == (0, 3, 0)
    assert ledger_rows() == (txns, entries, grants)


def test_an_elder_who_becomes_eligible_is_issued_through_the_same_grant_and_movement(town):
    elder = town.elder(None)
    with in_month("2026-12"):
        assert issuance.issue_now_if_eligible(elder) is None  # not assessed
        elder.care_level = "moderate"
        db.session.commit()
        assert issuance.issue_now_if_eligible(elder) == 30000
        assert issuance.issue_now_if_eligible(elder) is None  # once
        db.session.commit()
    bureau = ledger.accounts([("bureau_budget", town.district.id)])["bureau_budget", town.district.id]
    txns, entries, grants = ledger_rows()
    key = f"issue:2026-12:{bureau}:{elder.id}"
    assert [t[:3] for t in txns] == [("issue", key, "2026-12")]
    assert entries == [(key, "bureau_budget", town.district.id, -30000), (key, "elder_available", elder.id, 30000)]
    assert grants == [("2026-12", elder.id, 30000, "moderate", "none")]
    assert issue("2026-12").already == 1
    assert ledger.check().ok


# lapse: set-based, the same amounts as the per-elder rule

def per_elder_rule(elders, month: str, carry_over: int) -> dict[int, int]:
    """What each elder lapses, one by one as lapse used to decide it: the available balance beyond the grants
    of the month and the `carry_over` months before it."""
    keep = [month, *issuance.previous_periods(month, carry_over)]
    expected = {}
    for elder in elders:
        kept = db.session.scalar(select(func.coalesce(func.sum(VoucherGrant.amount_fen), 0)).where(
            VoucherGrant.elder_id == elder.id, VoucherGrant.period.in_(keep)))
        if balance("elder_available", elder.id) > kept:
            expected[elder.id] = balance("elder_available", elder.id) - kept
    return expected


def lapsed_by_elder(month: str) -> dict[int, int]:
    """What each elder's available account gave up in the month's lapse movements (one per batch)."""
    return dict(db.session.execute(select(LedgerAccount.owner_id, -func.sum(LedgerEntry.amount_fen))
                                   .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
                                   .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                                   .where(LedgerTransaction.kind == "lapse", LedgerTransaction.period == month,
                                          LedgerAccount.kind == "elder_available")
                                   .group_by(LedgerAccount.owner_id)).all())


def a_season_of_grants(town):
    """Four elders with different months granted, one of whom spent some: carry-over has work to do."""
    town.policy.carry_over_months = 1
    db.session.commit()
    always, stopped, joined, spender = (town.elder(), town.elder(), town.elder(None), town.elder("severe"))
    issue("2026-10")
    stopped.care_level = "intact"  # no grants after October
    joined.care_level = "moderate"  # grants from November
    db.session.commit()
    issue("2026-11")
    issue("2026-12")
    holds.hold(order_for(town, spender, 70000), 70000)  # 120,000 granted, 50,000 left
    db.session.commit()
    return [always, stopped, joined, spender]


def test_lapse_gives_the_per_elder_rules_amounts_in_batches_and_once(town, monkeypatch):
    monkeypatch.setattr(issuance, "BATCH", 2)
    elders = a_season_of_grants(town)
    always, stopped, joined, spender = elders
    expected = per_elder_rule(elders, "2026-12", 1)
    # October's 30,000 lapses for those granted it; the spender's 50,000 is within November and December's.
    assert expected == {always.id: 30000, stopped.id: 30000}
    assert lapse("2026-12") == 60000
    assert lapsed_by_elder("2026-12") == expected
    bin_ = db.session.scalar(select(LedgerAccount.balance_fen).where(LedgerAccount.kind == "lapsed"))
    assert bin_ == 60000
    assert [balance("elder_available", e.id) for e in elders] == [60000, 0, 60000, 50000]
    # Batches of two elders' accounts: both lapsing elders' money moved in one balanced movement.
    lapses = db.session.scalars(select(LedgerTransaction).where(LedgerTransaction.kind == "lapse")).all()
    assert len(lapses) == 1 and lapses[0].amount_fen == 60000 and len(lapses[0].entries) == 3
    count = db.session.scalar(select(func.count(LedgerTransaction.id)))
    assert lapse("2026-12") == 0  # a rerun moves nothing
    assert db.session.scalar(select(func.count(LedgerTransaction.id))) == count
    assert ledger.check().ok


def test_a_hold_between_lapses_read_and_its_post_is_respected(town, monkeypatch):
    elders = a_season_of_grants(town)
    always = elders[0]
    real = issuance._over_kept
    order = order_for(town, always, 70000)
    db.session.commit()
    reads = []

    def booking_right_after_the_read(keep, account_ids):
        rows = real(keep, account_ids)
        reads.append(rows)
        if len(reads) == 1:  # a booking holds most of the money between the batch's read and its post
            holds.hold(order, 70000)
            db.session.commit()
        return rows

    monkeypatch.setattr(issuance, "_over_kept", booking_right_after_the_read)
    # With 20,000 left of 90,000, all of it within November and December's 60,000: nothing of theirs lapses.
    assert lapse("2026-12") == 30000
    assert len(reads) == 2  # the post overdrew; the batch was read again with its accounts locked
    assert lapsed_by_elder("2026-12") == {elders[1].id: 30000}
    assert balance("elder_available", always.id) == 20000
    assert ledger.check().ok


def test_check_ledger_passes_after_issue_hold_lapse_and_reissue(app, town):
    a_season_of_grants(town)
    lapse("2026-12")
    result = app.test_cli_runner().invoke(args=["check-ledger"])
    assert result.exit_code == 0, result.output


# one money path, statically

PLATFORM = Path(__file__).resolve().parents[2] / "platform" / "eldercare"
# Writing a transaction or an entry, or moving a cached balance: as SQL text, Core or ORM.
LEDGER_WRITES = re.compile(
    r"insert\s+into\s+ledger_(transactions|entries)|update\s+ledger_accounts"
    # A table handed to a writer (insert, sql.insert_rows, a {table: rows} of sql.insert_many); reading it is fine.
    r"|(insert\w*|update\w*)\(\s*(LedgerTransaction|LedgerEntry)\.__table__|(LedgerTransaction|LedgerEntry)\.__table__\s*:"
    r"|insert\(\s*(LedgerTransaction|LedgerEntry)\b"
    r"|update\(\s*LedgerAccount\b|add_to_balances\(|(?<!class )\b(LedgerTransaction|LedgerEntry)\("
    r"|\.balance_fen\s*[-+]?=[^=]|balance_fen\s*=\s*[\w.]*balance_fen\s*[-+]", re.IGNORECASE)
ONE_MONEY_PATH = {"vouchers/ledger.py", "sql.py"}


def test_only_the_ledger_writes_the_ledgers_tables():
    writers = {str(path.relative_to(PLATFORM)) for path in PLATFORM.rglob("*.py")
               if LEDGER_WRITES.search(path.read_text(encoding="utf-8"))}
    assert writers - ONE_MONEY_PATH == set()
