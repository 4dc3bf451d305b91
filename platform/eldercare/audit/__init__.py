"""Audit: the log of who changed what."""
