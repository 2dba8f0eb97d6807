"""Profiles are data, not code: portals, indicator systems, vocabularies and the JSON Schemas they obey.

Portal profiles are searched in the operator's directories before the shipped ones: `--profiles DIR` (set with
use_profile_dirs), then ODQ_PROFILES (os.pathsep-separated), then the user directory
($XDG_CONFIG_HOME/odq/profiles, else ~/.config/odq/profiles), then profiles/portals in the package.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROFILES_DIR = Path(__file__).resolve().parent
SHIPPED_PORTALS_DIR = PROFILES_DIR / "portals"
PROFILES_ENV = "ODQ_PROFILES"

# The CLI's --profiles; a module-level setting because every command reads it and it is set once per run.
_explicit_dirs: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class ProfileDir:
    """One directory of portal profiles on the search path, with what put it there."""

    path: Path
    origin: str  # "--profiles", "ODQ_PROFILES", "user" or "shipped"


def use_profile_dirs(directories: Sequence[Path]) -> None:
    """The directories given with --profiles, searched first (an empty list clears them)."""
    global _explicit_dirs
    _explicit_dirs = tuple(Path(d).expanduser() for d in directories)


def user_profiles_dir() -> Path:
    """Where the operator's own portal profiles live (and where import-cnpds writes)."""
    config = os.environ.get("XDG_CONFIG_HOME", "")
    # The XDG spec says a relative value is to be ignored.
    base = Path(config) if config and Path(config).is_absolute() else Path.home() / ".config"
    return base / "odq" / "profiles"


def portal_dirs() -> list[ProfileDir]:
    """The portal-profile directories in search order; a directory that does not exist is left out."""
    candidates = [ProfileDir(d, "--profiles") for d in _explicit_dirs]
    candidates += [ProfileDir(Path(d).expanduser(), PROFILES_ENV)
                   for d in os.environ.get(PROFILES_ENV, "").split(os.pathsep) if d.strip()]
    candidates += [ProfileDir(user_profiles_dir(), "user"), ProfileDir(SHIPPED_PORTALS_DIR, "shipped")]
    seen: set[Path] = set()
    found = []
    for candidate in candidates:
        resolved = candidate.path.resolve()
        if resolved in seen or not candidate.path.is_dir():
            continue
        seen.add(resolved)
        found.append(candidate)
    return found
