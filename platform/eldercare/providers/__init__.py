"""Providers: service organisations, their service areas and caregivers."""
