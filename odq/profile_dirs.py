"""Where the CLI finds portal profiles: the root `--profiles` option, and the listing `odq portals list` shows."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harvester.profiles import PortalEntry, portal_entries, portal_profile_paths
from profiles import ProfileDir, portal_dirs, use_profile_dirs, user_profiles_dir


def explicit_dirs(values: Iterable[str]) -> list[Path]:
    """`--profiles` values (each one directory or an os.pathsep list) set as the first directories searched."""
    directories = [Path(part).expanduser() for value in values for part in value.split(os.pathsep) if part.strip()]
    for directory in directories:
        if not directory.is_dir():
            raise ValueError(f"--profiles {directory}: not a directory")
    use_profile_dirs(directories)  # also clears what an earlier invocation in the same process set
    return directories


def origin_text(source: ProfileDir) -> str:
    return f"{source.origin} {source.path}"


def listing() -> list[dict[str, Any]]:
    """One row per portal id on the search path: the profile that wins, where it is, and what it shadows."""
    dirs = portal_dirs()
    origins = {d.path.resolve(): d for d in dirs}
    rows = []
    for entry in sorted(portal_entries(dirs), key=lambda e: e.portal_id):
        source = origins[entry.path.parent.resolve()]
        row: dict[str, Any] = {"id": entry.portal_id}
        if entry.profile is not None:
            row |= {k: entry.profile.get(k) for k in ("name", "level", "region", "software", "url")}
            row["verified"] = entry.profile.get("verified", True)
        else:
            row["error"] = entry.error
        row |= {"origin": source.origin, "directory": str(source.path), "path": str(entry.path),
                "shadows": [_shadowed(path, origins) for path in entry.shadowed]}
        rows.append(row)
    return rows


def _shadowed(path: Path, origins: dict[Path, ProfileDir]) -> dict[str, str]:
    source = origins.get(path.parent.resolve())
    return {"origin": source.origin if source else "?", "path": str(path)}


def every_profile_path() -> list[Path]:
    """Every profile file on the search path, shadowed ones too (what `odq portals validate` checks by default)."""
    return [path for source in portal_dirs() for path in portal_profile_paths(source.path)]


def winning_entries() -> list[PortalEntry]:
    """The profile of each portal id on the search path (what `harvest --all/--due` harvests)."""
    return portal_entries()


def import_target(given: Path | None) -> Path:
    """Where import-cnpds writes: the directory given, else the user directory (never the installed package)."""
    return given if given is not None else user_profiles_dir()


def other_dirs(target: Path) -> list[Path]:
    """The search path's directories other than `target`, whose profiles an import must not duplicate or shadow."""
    resolved = target.resolve()
    return [d.path for d in portal_dirs() if d.path.resolve() != resolved]
