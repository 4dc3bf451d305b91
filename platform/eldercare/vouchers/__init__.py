"""Service vouchers (养老服务券): policies, eligibility, monthly issuance and the double-entry ledger."""
