"""The bureau's reports (voucher spend, coverage, orders, providers) and its dashboard."""
