"""Fixtures of the organization tests (helpers: org_harness.py)."""
