"""Console passwords are stored as argon2id at the shipped cost; the tests run a cheaper one
(tests/conftest.py), so this checks what a real console stores, in a process of its own."""

from __future__ import annotations

import subprocess
import sys

from console.users import password_matches

SHIPPED = "$argon2id$v=19$m=65536,t=3,p=4$"


def _hash_as_shipped(password: str) -> str:
    code = "import sys; from console.users import hash_password; print(hash_password(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", code, password], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_console_stores_argon2id_at_the_shipped_cost() -> None:
    stored = _hash_as_shipped("correct horse")
    assert stored.startswith(SHIPPED)
    assert password_matches(stored, "correct horse")
    assert not password_matches(stored, "correct hors")
