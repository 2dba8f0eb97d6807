"""Harvester: the record model, the store, the polite HTTP client, the portal adapters and the harvest run."""

__version__ = "0.1.0"
