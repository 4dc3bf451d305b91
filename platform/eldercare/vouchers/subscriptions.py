"""What vouchers do when the registry changes: open a new elder's accounts; issue at once to an elder who has
just become eligible.
(Suspension needs nothing here: eligibility requires an active elder, so no new grant is made.)"""
from ..elders.registry import elder_registered, eligibility_may_have_changed
from . import ledger
from .issuance import issue_now_if_eligible


@elder_registered.connect
def open_account(elder, **_):
    ledger.open_elder_accounts([elder.id])


@eligibility_may_have_changed.connect
def issue_the_month(elder, *, actor=None, **_):
    issue_now_if_eligible(elder, actor=actor)
