"""Samples for follow-up calls: the same seed draws the same orders (those random.Random(seed) picks from the
frame sorted by id), 5% but at least 10 or all; the calls' answers or "not reached"; the failure rate's Wilson
interval, right for 0 of 10, 3 of 30 and 30 of 30; the proposed deduction from the lower bound, confirmed once."""
import math
import random

import pytest
from sqlalchemy import select

from eldercare.audit import samples
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db

from ..factories import UserFactory
from .conftest import DAY, at


@pytest.fixture
def month(world):
    """40 confirmed visits of the provider in November, 1,000 fen of vouchers each, and one in October."""
    carer = world.caregiver("刘")
    orders = [world.visit(carer, start=at(DAY, 6) + n * (at(DAY, 7) - at(DAY, 6)) / 4, minutes=10, status="confirmed",
                          voucher_fen=1000, elder=world.elder(n % 5), commit=False) for n in range(40)]
    world.visit(carer, start=at(DAY.replace(month=10), 9), status="confirmed", commit=False)
    world.visit(carer, start=at(DAY, 22), status="completed", commit=False)  # not confirmed: not in the frame
    db.session.commit()
    return sorted(o.id for o in orders)


def draw(api, world, **body):
    body = {"provider_id": world.provider.id, "period": "2026-11", **body}
    return api.as_(world.bureau).post("/api/v1/audit/samples", json=body)


def test_the_same_seed_draws_the_same_orders(api, world, month):
    first = draw(api, world, seed=20261128)
    assert first.status_code == 201, first.json
    again = draw(api, world, seed=20261128)
    assert first.json["order_ids"] == again.json["order_ids"]
    assert first.json["seed"] == 20261128
    # Exactly what random.Random(seed) draws from the frame sorted by id: 5% of 40 is 2, at least 10.
    assert first.json["order_ids"] == sorted(random.Random(20261128).sample(month, 10))  # nosec B311
    assert first.json["frame_size"] == 40
    other = draw(api, world, seed=7)
    assert other.json["order_ids"] != first.json["order_ids"]
    chosen = draw(api, world)  # no seed: one is chosen, and shown
    assert isinstance(chosen.json["seed"], int) and len(chosen.json["order_ids"]) == 10


def test_sample_sizes():
    assert samples.sample_size(1000, 5) == 50
    assert samples.sample_size(201, 5) == 11  # rounded up
    assert samples.sample_size(100, 5) == 10  # at least 10
    assert samples.sample_size(7, 5) == 7  # or all
    assert samples.sample_size(0, 5) == 0
    assert samples.sample_size(40, 50) == 20


def test_a_month_not_begun_or_a_provider_out_of_sight(api, world, month):
    assert draw(api, world, period="2026-12").status_code == 422
    assert draw(api, world, period="２０２６-11").status_code == 422
    assert draw(api, world, percent=0).status_code == 422
    assert draw(api, world, provider_id=999_999).status_code == 404


def independent_wilson(failed, n, z=1.96):
    """Wilson's interval written the other way round: (f + z²/2 ± z·sqrt(f(n−f)/n + z²/4)) / (n + z²)."""
    root = z * math.sqrt(failed * (n - failed) / n + z * z / 4)
    return (failed + z * z / 2 - root) / (n + z * z), (failed + z * z / 2 + root) / (n + z * z)


@pytest.mark.parametrize("failed,n,low,high", [(0, 10, 0.0, 0.2775), (3, 30, 0.0346, 0.2562),
                                               (30, 30, 0.8865, 1.0)])
def test_the_wilson_interval(failed, n, low, high):
    got = samples.wilson(failed, n)
    expected = independent_wilson(failed, n)
    assert got == pytest.approx(expected, abs=1e-12)
    assert got == pytest.approx((low, high), abs=5e-5)  # as published tables give them
    assert samples.wilson(0, 0) == (None, None)


def call(api, user, sample_id, order_id, **answers):
    return api.as_(user).post(f"/api/v1/audit/samples/{sample_id}/calls", json={"order_id": order_id, **answers})


def test_calls_the_result_and_the_proposed_deduction(api, world, month):
    sample = draw(api, world, seed=1).json
    operator = UserFactory(role="operator", scope_region_id=world.street.id)
    ids = sample["order_ids"]
    happened = dict(reached=True, service_happened=True, asked_to_pay_extra=False, satisfaction=5)
    for order_id in ids[:7]:
        assert call(api, operator, sample["id"], order_id, **happened).status_code == 201
    assert call(api, operator, sample["id"], ids[7], reached=True, service_happened=False,
                asked_to_pay_extra=False, satisfaction=1, note="那天没人来").status_code == 201
    assert call(api, operator, sample["id"], ids[8], reached=True, service_happened=True,
                asked_to_pay_extra=True, note="要求另付20元").status_code == 201
    assert call(api, operator, sample["id"], ids[9], reached=False).status_code == 201
    # A later attempt that reaches nobody does not undo an answer.
    assert call(api, operator, sample["id"], ids[0], reached=False).status_code == 201

    result = api.as_(world.bureau).get(f"/api/v1/audit/samples/{sample['id']}")
    assert result.status_code == 200
    r = result.json
    assert (r["reviewed"], r["failed"], r["not_reached"], r["uncalled"]) == (9, 2, 1, 0)
    assert r["failure_rate"] == pytest.approx(2 / 9)
    low, high = independent_wilson(2, 9)
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    # Unreviewed: the 40 orders of the month less the 9 that calls reviewed; the lower bound of their vouchers.
    assert r["unreviewed_orders"] == 31 and r["unreviewed_fen"] == 31_000
    assert r["proposed_deduction_fen"] == math.floor(low * 31_000)
    assert len(r["calls"]) == 11 and r["calls"][7]["failed"] is True

    decided = api.as_(world.bureau).post(f"/api/v1/audit/samples/{sample['id']}/decision",
                                         json={"decision": "confirm", "note": "按下限扣减"})
    assert decided.status_code == 200
    assert decided.json["deduction_status"] == "confirmed"
    assert decided.json["deduction_fen"] == math.floor(low * 31_000)
    assert samples.confirmed_deductions(world.provider.id, "2026-11") == math.floor(low * 31_000)
    assert api.as_(world.bureau).post(f"/api/v1/audit/samples/{sample['id']}/decision",
                                      json={"decision": "reject", "note": "x"}).status_code == 409
    assert call(api, operator, sample["id"], ids[9], reached=False).status_code == 409
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "audit.deduction_confirmed")) \
        ["deduction_fen"] == math.floor(low * 31_000)


def test_a_call_records_the_whole_script_or_not_reached(api, world, month):
    sample = draw(api, world, seed=3).json
    order_id = sample["order_ids"][0]
    bureau = world.bureau
    answer = call(api, bureau, sample["id"], order_id, reached=True, service_happened=True)
    assert answer.status_code == 422 and "asked_to_pay_extra" in answer.json["errors"]
    answer = call(api, bureau, sample["id"], order_id, reached=False, service_happened=True)
    assert answer.status_code == 422 and "service_happened" in answer.json["errors"]
    answer = call(api, bureau, sample["id"], order_id, reached=True, service_happened=True,
                  asked_to_pay_extra=False, satisfaction=6)
    assert answer.status_code == 422 and "satisfaction" in answer.json["errors"]
    outside = next(o for o in month if o not in sample["order_ids"])
    answer = call(api, bureau, sample["id"], outside, reached=False)
    assert answer.status_code == 422 and "order_id" in answer.json["errors"]
    assert not samples.visible_sample(sample["id"], bureau).calls


def test_operators_call_only_their_regions_elders(api, world, month):
    sample = draw(api, world, seed=5).json
    elsewhere = UserFactory(role="operator", scope_region_id=world.other_street.id)
    answer = call(api, elsewhere, sample["id"], sample["order_ids"][0], reached=False)
    assert answer.status_code == 404
    assert api.as_(elsewhere).get(f"/api/v1/audit/samples/{sample['id']}").status_code == 403  # the bureau's
    assert api.as_(world.other_street_officer).get(f"/api/v1/audit/samples/{sample['id']}").status_code == 404
