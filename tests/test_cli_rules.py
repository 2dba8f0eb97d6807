"""`odq assess --rules FILE`: a bad rules file is one line naming the file, the key and the expectation."""

from __future__ import annotations

from typer.testing import CliRunner

from odq.cli import app


def test_a_misspelled_rule_parameter_is_one_line_naming_file_and_key(tmp_path):
    rules = tmp_path / "strict.yaml"
    rules.write_text("id: strict\nparameters:\n  usage:\n    reply_dayz: {value: 20, reason: stricter}\n",
                     encoding="utf-8")
    result = CliRunner().invoke(app, ["assess", "tokyo", "--db", f"sqlite:///{tmp_path / 'odq.sqlite'}",
                                      "--rules", str(rules)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: {rules}: key 'parameters.usage.reply_dayz': unknown key (allowed: reply_days)"]


def test_a_missing_rules_file_is_one_line(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    result = CliRunner().invoke(app, ["assess", "tokyo", "--db", f"sqlite:///{tmp_path / 'odq.sqlite'}",
                                      "--rules", str(missing)])
    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith(f"error: {missing}: cannot be read"), line
