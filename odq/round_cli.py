"""`odq round …`: create an evaluation round that pins every portal's numbers, list and show rounds, write their
results (HTML zh/en, XLSX, JSON). Mounted by the main CLI as `app.add_typer(round_app, name="round")`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from odq.console import Console, escape

round_app = typer.Typer(help="Evaluation rounds: freeze the results of many portals and publish them.",
                        no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False,
                     rich_markup_mode=None)
err = Console(stderr=True, soft_wrap=True)
out = Console()

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (default: ODQ_DATABASE_URL or "
                                              "~/.local/share/odq/odq.sqlite).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")]


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _store(db: str | None) -> Any:
    from harvester.store import Store

    return Store(db)


def _split(values: list[str] | None) -> list[str]:
    """Repeatable options that also take comma-separated lists."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _results(db: str | None, name: str) -> Any:
    from reports.rounds.results import results_for
    from reports.rounds.store import UnknownRound

    try:
        return results_for(_store(db), name)
    except UnknownRound as exc:
        _fail(str(exc))


@round_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The round's name, e.g. 2026-H1 (rounds never change: a new name each).")],
    system: Annotated[str, typer.Option(help="Indicator system id, e.g. cstc2019-website.")],
    level: Annotated[list[str] | None, typer.Option(help="Only portals of this level (repeatable).")] = None,
    portals: Annotated[list[str] | None, typer.Option(help="Only these portal ids (repeatable or comma-separated; "
                                                      "default: every portal in the store).")] = None,
    facts: Annotated[Path | None, typer.Option(help="The evaluator's facts (.yaml or .csv): kept in the round and "
                                               "scored with provenance.")] = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Pin, per portal, its current complete harvest, its scores and the evaluator's facts."""
    from checks.facts import FactsError
    from harvester.profiles import ProfileError, schema
    from reports.rounds.build import RoundError, create_round
    from reports.rounds.store import RoundExists

    levels = _split(level)
    known_levels = schema("portal")["properties"]["level"]["enum"]
    for value in levels:
        if value not in known_levels:
            _fail(f"--level: expected one of {', '.join(known_levels)}, got {value!r}")
    if facts is not None and not facts.is_file():
        _fail(f"--facts: {facts} is not a file")
    try:
        made = create_round(_store(db), name, system, levels=levels, portals=_split(portals), facts_path=facts)
    except (FactsError, ProfileError, RoundError, RoundExists) as exc:
        _fail(str(exc))
    evaluated = [p for p in made.portals if p.evaluated]
    if json_output:
        _print_json({"round": made.name, "id": made.id, "system": made.system_id, "portals": len(made.portals),
                     "evaluated": len(evaluated),
                     "not_evaluated": {p.portal_id: p.reason for p in made.portals if not p.evaluated}})
        return
    err.print(f"round {escape(made.name)} ({made.system_id}): {len(made.portals)} portals, {len(evaluated)} "
              "evaluated", highlight=False)
    for entry in made.portals:
        if not entry.evaluated:
            err.print(f"  · not evaluated: {escape(entry.portal_id)} ({entry.reason})", highlight=False)


@round_app.command("list")
def list_rounds(db: DbOption = None, json_output: JsonOption = False) -> None:
    """List the rounds in the store."""
    from reports.rounds.store import RoundStore

    rows = RoundStore(_store(db)).names()
    if json_output:
        _print_json(rows)
        return
    from rich.table import Table

    table = Table("name", "system", "created (UTC)", "levels", "portals", "evaluated")
    for row in rows:
        table.add_row(escape(row["name"]), row["system_id"], row["created_at"].isoformat(timespec="seconds"),
                      ", ".join(row["levels"]) or "all", str(row["portals"]), str(row["evaluated"]))
    out.print(table)


@round_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Round name.")],
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """The round's ranking per level, and the portals it could not evaluate with the reason."""
    from reports.rounds.render import rank_label, reason_text

    results = _results(db, name)
    if json_output:
        _print_json(results.to_dict())
        return
    out.print(f"{escape(results.name)} · {escape(results.system_name)} · {results.created_at} UTC · "
              f"{results.evaluated}/{results.portals} evaluated", highlight=False)
    for level in results.levels:
        from rich.table import Table

        table = Table("rank", "portal", "composite", "tier", title=f"{level.name_zh} ({level.level})")
        for row in level.ranking:
            table.add_row(rank_label(row.rank, row.tied, "zh"), escape(row.name), f"{row.composite:.4f}",
                          row.tier or "—")
        for row in level.not_evaluated:
            table.add_row("—", escape(row.name), "—", escape(reason_text(row.reason, "en")))
        out.print(table)


@round_app.command("report")
def report(
    name: Annotated[str, typer.Argument(help="Round name.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for index.html (zh), index.en.html and "
                                          "round.json.")],
    lang: Annotated[list[str] | None, typer.Option(help="zh and/or en (default: both).")] = None,
    db: DbOption = None,
) -> None:
    """Write the round's results pages (Chinese and English) and their JSON."""
    from reports.rounds.render import write_report

    langs = tuple(_split(lang)) or ("zh", "en")
    for value in langs:
        if value not in ("zh", "en"):
            _fail(f"--lang: expected zh or en, got {value!r}")
    for path in write_report(_results(db, name), out_dir, langs):
        print(path.resolve())


@round_app.command("export")
def export(
    name: Annotated[str, typer.Argument(help="Round name.")],
    out_file: Annotated[Path, typer.Option("--out", help="Output file: .xlsx or .json.")],
    lang: Annotated[str, typer.Option(help="Language of the XLSX headers and labels: zh or en.")] = "zh",
    db: DbOption = None,
) -> None:
    """Export the round's results as XLSX (a sheet per table, plus metadata) or JSON."""
    from reports.rounds.render import write_export

    if lang not in ("zh", "en"):
        _fail(f"--lang: expected zh or en, got {lang!r}")
    if out_file.suffix.lower() not in (".xlsx", ".json"):
        _fail(f"--out: expected a .xlsx or .json file, got {out_file.name!r}")
    print(write_export(_results(db, name), out_file, lang).resolve())


@round_app.command("evidence")
def evidence(
    name: Annotated[str, typer.Argument(help="Round name.")],
    portal: Annotated[str, typer.Argument(help="Portal id, as the round pinned it.")],
    out: Annotated[Path, typer.Option("--out", help="A folder, or a .zip file, for the evidence pack.")],
    lang: Annotated[str, typer.Option(help="Language of index.html and the CSV's finding texts: zh or en.")] = "zh",
    db: DbOption = None,
) -> None:
    """Write a portal's evidence pack for appeals: every finding of the round with the dataset's landing URL, the
    record as harvested, the harvest time, the rule and the values; the evaluator's facts with their evidence."""
    from reports.rounds.evidence import NotInRound, evidence_for, write_evidence
    from reports.rounds.store import UnknownRound

    if lang not in ("zh", "en"):
        _fail(f"--lang: expected zh or en, got {lang!r}")
    if out.exists() and out.is_file() and out.suffix.lower() != ".zip":
        _fail(f"--out {out}: is a file; give a folder or a .zip file")
    try:
        pack = evidence_for(_store(db), name, portal)
    except (UnknownRound, NotInRound) as exc:
        _fail(str(exc))
    print(write_evidence(pack, out, lang).resolve())
