"""odq — the open-data portal quality evaluator (the CLI is the composition root)."""

__version__ = "0.1.0"
