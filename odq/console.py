"""rich's Console and markup escaping for the CLI, loaded on first use: importing rich is a quarter of the time of
`odq --help`, which never prints through it."""

from __future__ import annotations

from typing import Any


class Console:
    """A rich Console made on first use, with the arguments it was declared with."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def rich(self) -> Any:
        """The rich Console itself, for what rich drives (a Progress, a Live)."""
        if self._console is None:
            from rich.console import Console as RichConsole

            self._console = RichConsole(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich(), name)


def escape(text: str) -> str:
    """Text shown literally in rich markup (portal names may hold "[bold]")."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)
