"""The user-facing documents describe what the code does."""

from __future__ import annotations

from store.case_import.columns import COLUMNS
from tests.conftest import ROOT


def test_case_file_reference_lists_every_column_and_alias() -> None:
    text = (ROOT / "config" / "samples" / "README.md").read_text(encoding="utf-8")
    for column in COLUMNS:
        if column.name[:8] in {"contact2", "contact3", "contact4", "contact5"}:
            continue
        assert f"`{column.name}`" in text, column.name
        for alias in column.aliases:
            assert alias in text, alias


def test_readme_gives_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text


def test_readme_cli_reference_covers_every_command() -> None:
    import argparse  # noqa: PLC0415

    from console.cli import build_parser  # noqa: PLC0415

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    missing = [name for name in commands.choices if f"`callwarden {name}" not in text]
    assert missing == []


def test_payment_file_reference_lists_every_column_and_alias() -> None:
    from store.payments.validate import COLUMNS as PAYMENT_COLUMNS  # noqa: PLC0415

    text = (ROOT / "config" / "samples" / "README.md").read_text(encoding="utf-8")
    payments = text[text.index("# Payment files") :]
    for column in PAYMENT_COLUMNS:
        assert f"`{column.name}`" in payments, column.name
        for alias in column.aliases:
            assert alias in payments, alias
