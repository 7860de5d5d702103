"""Checks every cell gets before its column's own rules: characters and length.

The length limits are read from the SQLAlchemy models each column is stored in,
so the importer and the schema cannot drift apart; a column stored in more than
one place gets the smallest limit (a client bank code is also its name).
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import InstrumentedAttribute

from store.case_import.columns import COLUMNS, MAX_CONTACTS
from store.models import Campaign, Case, ClientBank, Person
from store.safe_text import describe, first_forbidden

PARSED_LIMIT = 100
"""Phones, amounts, days, classes, statuses, relations and resident IDs are parsed into
short values; a longer cell is no value of theirs, and is refused before a parser sees it."""


def _length(*attributes: InstrumentedAttribute[str] | InstrumentedAttribute[str | None]) -> int:
    lengths = []
    for attribute in attributes:
        kind = attribute.property.columns[0].type
        assert isinstance(kind, String) and kind.length, attribute
        lengths.append(kind.length)
    return min(lengths)


def _limits() -> dict[str, int]:
    stored: dict[str, int] = {
        "client_bank": _length(ClientBank.code, ClientBank.name),
        "account_no": _length(Case.account_no),
        "debtor_name": _length(Person.name),
        "campaign": _length(Campaign.code, Campaign.name),
        **{f"contact{n}_name": _length(Person.name) for n in range(1, MAX_CONTACTS + 1)},
    }
    return {column.name: stored.get(column.name, PARSED_LIMIT) for column in COLUMNS}


FIELD_LIMITS = _limits()


def cell_problems(
    values: dict[str, str], limits: dict[str, int] = FIELD_LIMITS
) -> list[tuple[str, str]]:
    """(column, message) for each cell with a forbidden character or too many characters.

    Surrounding white space, tabs and line breaks included, is not looked at: validation
    strips it before storing, and exports from Chinese banking systems often lead an
    account number with a tab so that Excel keeps its digits.
    """
    problems: list[tuple[str, str]] = []
    for column, raw in values.items():
        text = raw.strip()
        char = first_forbidden(text)
        if char is not None:
            problems.append((column, f"{describe(char)} is not allowed in a value"))
            continue
        limit = limits.get(column, PARSED_LIMIT)
        if len(text) > limit:
            problems.append((column, f"longer than {limit} characters ({len(text)})"))
    return problems
