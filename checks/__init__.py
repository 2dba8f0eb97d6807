"""Checks: the six measure families over a harvest, link and file checks, GX suites, and the scorer."""
