"""What vouchers do when the registry changes: issue at once to an elder who has just become eligible.
(Suspension needs nothing here: eligibility requires an active elder, so no new grant is made.)"""
from ..elders.registry import eligibility_may_have_changed
from .issuance import issue_now_if_eligible


@eligibility_may_have_changed.connect
def issue_the_month(elder, *, actor=None, **_):
    issue_now_if_eligible(elder, actor=actor)
