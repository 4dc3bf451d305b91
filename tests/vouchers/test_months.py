"""A month is one type, parsed once from ASCII digits, and only the current month is issued: the API, the bureau's
pages, the command line and the registry's same-day grant refuse another spelling of a month and any other month,
with a 422 naming the field, and write nothing."""
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import func, select

from eldercare.clock import LOCAL, Month
from eldercare.errors import Invalid
from eldercare.extensions import db
from eldercare.vouchers import issuance, ledger
from eldercare.vouchers.models import LedgerAccount, LedgerTransaction, VoucherGrant, VoucherPolicy

from ..factories import UserFactory
from .test_api import policy_body

# The issue's moment: 28 November, in the evening in Beijing (a Saturday).
NOVEMBER_28 = datetime(2026, 11, 28, 20, 30, tzinfo=LOCAL)
DECEMBER_15 = datetime(2026, 12, 15, 10, 0, tzinfo=LOCAL)
# December 2026 in full-width, Arabic-Indic and Devanagari digits, and one full-width digit among ASCII ones:
# `\d` and int() take each for 2026-12, and the once-per-month key was the raw string.
DECEMBER_SPELT_OTHERWISE = ["２０２６-１２", "٢٠٢٦-١٢", "२०२६-१२", "2026-1２"]


def available(elder) -> int:
    return db.session.scalar(select(LedgerAccount.balance_fen).where(
        LedgerAccount.kind == "elder_available", LedgerAccount.owner_id == elder.id)) or 0


def written() -> tuple[int, int]:
    """(grants, ledger transactions) in the database."""
    return (db.session.scalar(select(func.count()).select_from(VoucherGrant)),
            db.session.scalar(select(func.count()).select_from(LedgerTransaction)))


@pytest.fixture
def december():
    with time_machine.travel(DECEMBER_15):
        yield


@pytest.fixture
def november_28():
    with time_machine.travel(NOVEMBER_28):
        yield


@pytest.mark.parametrize("spelling", DECEMBER_SPELT_OTHERWISE)
def test_december_in_other_digits_is_a_422_and_issues_nothing_more(api, town, december, spelling):
    elder = town.elder("moderate")
    assert api.as_(town.bureau).post("/api/v1/voucher-issuances", json={"period": "2026-12"}).status_code == 201
    again = api.as_(town.bureau).post("/api/v1/voucher-issuances", json={"period": spelling})
    assert again.status_code == 422, again.json
    assert list(again.json["errors"]) == ["period"]
    assert available(elder) == 30000 and written() == (1, 1)
    assert ledger.check().ok


@pytest.mark.parametrize("field", ["valid_from", "valid_to"])
@pytest.mark.parametrize("spelling", ["２０２７-０１", "٢٠٢٧-٠١", "२०२७-०१"])
def test_a_policys_months_in_other_digits_are_a_422_naming_the_field(api, town, field, spelling):
    town.policy.valid_to = town.policy.valid_from.replace(month=12)
    db.session.commit()
    response = api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(town, **{field: spelling}))
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == [field]
    assert db.session.scalar(select(func.count()).select_from(VoucherPolicy)) == 1


@pytest.mark.parametrize("spelling", DECEMBER_SPELT_OTHERWISE)
def test_the_issuance_page_refuses_december_in_other_digits(pages, town, december, spelling):
    elder = town.elder("moderate")
    pages.login(town.bureau.username)
    page = "/bureau/vouchers?period=2026-12"
    assert pages.client.post(page, data={"csrf_token": pages.token(page), "confirmed": "yes"}).status_code == 302
    assert available(elder) == 30000
    odd = pages.client.post("/bureau/vouchers", query_string={"period": spelling},
                            data={"csrf_token": pages.token(page)})
    assert odd.status_code == 422
    assert "月份的写法是YYYY-MM" in odd.get_data(as_text=True)
    assert available(elder) == 30000 and written() == (1, 1)
    shown = pages.client.get("/bureau/vouchers", query_string={"period": spelling})
    assert shown.status_code == 422 and "月份的写法是YYYY-MM" in shown.get_data(as_text=True)


@pytest.mark.parametrize("spelling", ["２０２７-０１", "٢٠٢٧-٠١"])
def test_the_policy_page_refuses_a_month_in_other_digits(pages, town, spelling):
    town.policy.valid_to = town.policy.valid_from.replace(month=12)
    db.session.commit()
    pages.login(town.bureau.username)
    page = "/bureau/voucher-policies"
    form = {"csrf_token": pages.token(page), "region_id": str(town.district.id), "name": "2027年服务券",
            "valid_from": spelling, "valid_to": "", "carry_over_months": "0", "fen_moderate_any": "300",
            "copay_moderate_any": "30", "categories": ["meal"]}
    response = pages.client.post(page, data=form)
    assert response.status_code == 422
    assert "月份的写法是YYYY-MM" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(VoucherPolicy)) == 1


@pytest.mark.parametrize("spelling", DECEMBER_SPELT_OTHERWISE)
def test_the_command_refuses_december_in_other_digits(app, town, december, spelling):
    elder = town.elder("moderate")
    assert app.test_cli_runner().invoke(args=["issue-vouchers", "--period", "2026-12"]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["issue-vouchers", "--period", spelling])
    assert result.exit_code == 1 and "YYYY-MM" in result.output
    assert available(elder) == 30000 and written() == (1, 1)


# Only the current month: a month that has not begun, next month on 28 November, a month already over.
@pytest.mark.parametrize("period", ["2999-01", "2026-12", "2026-10"])
def test_only_the_current_month_can_be_issued_through_the_api(api, town, november_28, period):
    elder = town.elder("moderate")
    response = api.as_(town.bureau).post("/api/v1/voucher-issuances", json={"period": period})
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == ["period"] and "2026-11" in response.json["errors"]["period"][0]
    assert available(elder) == 0 and written() == (0, 0)
    assert api.as_(town.bureau).post("/api/v1/voucher-issuances", json={"period": "2026-11"}).status_code == 201
    assert available(elder) == 30000


def test_a_lapsed_month_cannot_be_issued_again(api, town):
    elder = town.elder("moderate")
    with time_machine.travel(NOVEMBER_28):
        assert api.as_(town.bureau).post("/api/v1/voucher-issuances", json={"period": "2026-11"}).status_code == 201
    with time_machine.travel(DECEMBER_15):
        assert issuance.lapse_period(Month(2026, 12)) == 30000  # no carry-over: November's money lapses
        late = api.as_(town.bureau).post("/api/v1/voucher-issuances", json={"period": "2026-11"})
        assert late.status_code == 422 and "period" in late.json["errors"]
    assert available(elder) == 0
    assert ledger.check().ok


@pytest.mark.parametrize("period", ["2026-12", "2026-10"])
def test_only_the_current_month_can_be_issued_or_lapsed_from_the_command_line(app, town, november_28, period):
    elder = town.elder("moderate")
    assert app.test_cli_runner().invoke(args=["issue-vouchers", "--period", "2026-11"]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["issue-vouchers", "--period", period])
    assert result.exit_code == 1 and "2026-11" in result.output
    # December's run on 28 November lapsed November's money and issued December's.
    assert available(elder) == 30000 and written() == (1, 1)


def test_only_the_current_month_can_be_issued_from_the_page(pages, town, november_28):
    elder = town.elder("moderate")
    pages.login(town.bureau.username)
    page = "/bureau/vouchers?period=2026-12"
    html = pages.client.get(page).get_data(as_text=True)
    assert "立即发放" not in html  # no button for a month other than this one
    response = pages.client.post(page, data={"csrf_token": pages.token(page)})
    assert response.status_code == 422 and "2026-11" in response.get_data(as_text=True)
    assert available(elder) == 0 and written() == (0, 0)


@pytest.mark.parametrize("month", [Month(2026, 12), Month(2026, 10)])
def test_the_services_refuse_another_month_and_write_nothing(town, november_28, month):
    elder = town.elder("moderate")
    for call in (issuance.issue_period, issuance.lapse_period):
        with pytest.raises(Invalid) as refused:
            call(month)
        assert list(refused.value.errors) == ["period"]
    with pytest.raises(Invalid):
        issuance.issue_now_if_eligible(elder, month=month)
    db.session.rollback()
    assert available(elder) == 0 and written() == (0, 0)


def test_a_month_as_text_is_refused_by_the_services(town, november_28):
    # The month is parsed once, where it comes in: a string reaching issuance is a programming error.
    with pytest.raises(TypeError):
        issuance.issue_period("2026-11")
    with pytest.raises(TypeError):
        issuance.lapse_period("2026-11")


def test_a_missed_first_is_caught_up_in_the_same_month(town):
    elder = town.elder("moderate")
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=LOCAL)):  # the scheduler was down on the 1st
        assert issuance.lapse_period(Month.current()) == 0
        assert issuance.issue_period(Month.current()).issued == 1
    assert db.session.scalar(select(VoucherGrant.period)) == "2026-12"
    assert available(elder) == 30000


def test_the_scheduler_turns_the_month_at_00_05_in_beijing(town):
    # 00:05 on the 1st in Beijing is 16:05 on the last day of the month in UTC: the month is Beijing's.
    elder = town.elder("moderate")
    with time_machine.travel(datetime(2026, 12, 1, 0, 5, tzinfo=LOCAL)):
        assert issuance.issue_period(Month.current()).issued == 1
    assert db.session.scalar(select(VoucherGrant.period)) == "2026-12" and available(elder) == 30000


def test_an_elder_eligible_mid_month_gets_only_this_months_vouchers(town, november_28):
    elder = town.elder("moderate")
    assert issuance.issue_now_if_eligible(elder, actor=UserFactory(role="operator")) is not None
    db.session.commit()
    assert db.session.scalar(select(VoucherGrant.period)) == "2026-11" and available(elder) == 30000
