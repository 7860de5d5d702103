"""A password an admin gives a user must be one: eight characters or more, and not only
spaces (a blank-looking password is one a colleague guesses, and a form that was left empty
by a browser's autofill of spaces)."""

from __future__ import annotations

import pytest

from console.errors import UserError
from console.users import add_user, set_password
from store.db import SessionFactory
from store.enums import Role
from store.models import User


@pytest.mark.parametrize("password", [" " * 8, "\t" * 12, "\u3000" * 8, "short"])
def test_a_password_that_is_blank_or_short_is_refused(
    sessions: SessionFactory, password: str
) -> None:
    with sessions.begin() as session, pytest.raises(UserError):
        add_user(session, "lin", Role.QA, password, "admin1")
    with sessions.begin() as session:
        user = add_user(session, "lin", Role.QA, "a good one 8", "admin1")
        with pytest.raises(UserError):
            set_password(session, user, password, "admin1")
    with sessions() as session:
        assert session.query(User).filter_by(username="lin").count() == 1
