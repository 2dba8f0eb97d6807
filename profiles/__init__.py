"""Profiles are data, not code: portals, indicator systems, vocabularies and the JSON Schemas they obey."""

from pathlib import Path

PROFILES_DIR = Path(__file__).resolve().parent
