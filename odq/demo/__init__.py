"""Offline demo portal: a generated, deterministic CKAN-shaped catalogue and its data files."""
