"""``cli._parser``: every command has examples and every option help; the README documents
the command line."""

from __future__ import annotations

import argparse

import pytest

from rds_job_analytics import cli
from rds_job_analytics.cli import main
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("env")  # token credentials only


def test_every_command_has_an_example_and_every_option_help():
    def parsers(p):
        yield p
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sp in action.choices.values():
                    yield from parsers(sp)

    seen = []
    for p in parsers(cli._parser.build_parser()):
        seen.append(p.prog)
        assert p.epilog and p.epilog.startswith("examples:\n"), p.prog
        assert p.prog.split()[-1] in p.epilog or p.prog == "rds-jobs", p.prog
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(a.help for a in action._choices_actions)
                continue
            assert action.help and action.help != argparse.SUPPRESS, (p.prog, action.dest)
    assert len(seen) == 9  # rds-jobs and its eight commands


def test_help_reads_well(capsys):
    with pytest.raises(SystemExit) as info:
        main(["fetch", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:\n  rds-jobs fetch " in text  # the examples keep their lines
    assert "130 interrupted" in " ".join(main.__doc__.split())


def test_readme_documents_the_command_line():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Command line") : text.index("### The emulator")]
    for words in ("64 usage error", "130", "--version", "--debug", "# comment", "job_id",
                  "-o -", "--iam-endpoint"):  # fmt: skip
        assert words in section, words


@pytest.mark.parametrize("command", ["fetch", "sync", "export", "report"])
def test_archive_help_names_both_backends(command):
    """--archive takes a SQLite file or a postgresql:// URL on every command."""
    from rds_job_analytics.cli._parser import build_parser

    sub = build_parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    archive = next(a for a in sub._actions if "--archive" in a.option_strings)
    assert "SQLite file" in archive.help and "postgresql://" in archive.help
