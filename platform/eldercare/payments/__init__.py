"""Payments of the co-pay: online through Stripe, or recorded offline at the door; reversals and refunds."""
