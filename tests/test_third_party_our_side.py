"""The third-party gate and failures on our side: calls that failed in our trunk, our network
or our dialer (the callee's phone never rang) are not the debtor out of reach, so they never
open the gate, on both roads (dial time and worklists), on SQLite and PostgreSQL; caps still
count them. The causes are written as the dialer writes them (``dialer.outcomes``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.outcomes import from_hangup, from_originate_response
from store.db import SessionFactory
from store.enums import AttemptStatus
from tests.dbdata import add_attempts
from tests.test_third_party_debtor_called_in import at, book, both_roads

OUR_SIDE = [
    from_hangup({"Cause": "34", "Cause-txt": "Circuit/channel congestion"}, False).cause,
    from_hangup({"Cause": "38", "Cause-txt": "Network out of order"}, False).cause,
    from_originate_response({"Response": "Failure", "Reason": "0"}).cause,
    "AMI link lost",
    "expired in flight",
    "",
]
CLOSED = "debtor answered 2026-12-02 09:00, third parties not yet allowed"


@pytest.mark.parametrize("cause", OUR_SIDE)
def test_failures_on_our_side_never_open_the_gate(
    sessions: SessionFactory, tmp_path: Path, cause: str
) -> None:
    debtor, family, _ = book(sessions, tmp_path)
    add_attempts(sessions, debtor, [at(9)], AttemptStatus.ANSWERED)
    add_attempts(sessions, debtor, [at(10), at(11), at(12)], AttemptStatus.FAILED, cause=cause)
    assert both_roads(sessions, family, at(13)) == (CLOSED, CLOSED)


def test_failures_on_the_callees_side_open_it(sessions: SessionFactory, tmp_path: Path) -> None:
    debtor, family, _ = book(sessions, tmp_path)
    add_attempts(sessions, debtor, [at(9)], AttemptStatus.ANSWERED)
    unallocated = from_hangup({"Cause": "1", "Cause-txt": "Unallocated"}, False)
    assert unallocated.status is AttemptStatus.FAILED
    add_attempts(sessions, debtor, [at(10)], AttemptStatus.FAILED, cause=unallocated.cause)
    add_attempts(sessions, debtor, [at(11)], AttemptStatus.BUSY)
    out_of_order = from_hangup({"Cause": "27", "Cause-txt": "Destination out of order"}, False)
    add_attempts(sessions, debtor, [at(12)], AttemptStatus.FAILED, cause=out_of_order.cause)
    assert both_roads(sessions, family, at(13)) == ("allowed", "allowed")
