"""Regions: district → street → community."""
