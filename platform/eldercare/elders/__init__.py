"""Elders: the registry of people the platform serves, their family links and assessments."""
