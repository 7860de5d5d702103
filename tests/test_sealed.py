"""The sealed recording format and the master keys (recorder.sealed, recorder.keys)."""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recorder.errors import KeyProblem, Tampered
from recorder.keys import (
    MASTER_KEY_ENV,
    LocalKeys,
    MasterKey,
    load_keys,
    read_key_file,
    wrap_with,
    write_key_file,
)
from recorder.sealed import Header, SealedReader, make_header, parse_header, seal
from tests.conftest import ROOT

KEY = bytes(range(32, 64))


def _sealed(tmp: Path, plain: bytes, chunk: int) -> tuple[Path, Header]:
    sha = hashlib.sha256(plain).hexdigest()
    header = make_header(len(plain), sha, os.urandom(8), chunk)
    out = io.BytesIO()
    seal(io.BytesIO(plain), out, KEY, header)
    path = tmp / f"{sha}.cwa"
    path.write_bytes(out.getvalue())
    return path, header


def _reader(path: Path) -> SealedReader:
    return SealedReader(path, KEY, parse_header(path.read_bytes()[:60], path.name))


def test_the_documented_vector_is_what_the_code_writes() -> None:
    text = (ROOT / "docs" / "sealed-recordings.md").read_text(encoding="utf-8")
    vector = dict(re.findall(r"^(\w+): (.+)$", text.split("## Test vector")[1], re.M))
    plain = vector["plain_ascii"].replace("\\n", "\n").encode()
    master = MasterKey(bytes.fromhex(vector["master_key"]))
    assert master.key_id == vector["key_id"]
    assert hashlib.sha256(plain).hexdigest() == vector["sha256"]
    header = make_header(len(plain), vector["sha256"], bytes.fromhex(vector["prefix"]), 16)
    out = io.BytesIO()
    seal(io.BytesIO(plain), out, bytes.fromhex(vector["data_key"]), header)
    assert out.getvalue().hex() == vector["sealed"]
    wrapped = wrap_with(
        master,
        bytes.fromhex(vector["wrap_nonce"]),
        bytes.fromhex(vector["data_key"]),
        vector["sha256"],
    )
    assert wrapped.blob.hex() == vector["wrapped"]
    assert LocalKeys(master).unwrap(wrapped, vector["sha256"]).hex() == vector["data_key"]


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 64, 100])
def test_every_range_reads_back_the_plain_bytes(tmp_path: Path, size: int) -> None:
    plain = os.urandom(size)
    path, _ = _sealed(tmp_path, plain, 16)
    reader = _reader(path)
    assert reader.read_all() == plain
    for first in range(size):
        for last in range(first, size):
            assert b"".join(reader.chunks(first, last)) == plain[first : last + 1]


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=1, max_size=300), where=st.integers(min_value=0))
def test_any_flipped_byte_is_caught(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, where: int
) -> None:
    path, _ = _sealed(tmp_path_factory.mktemp("flip"), data, 16)
    raw = bytearray(path.read_bytes())
    raw[where % len(raw)] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(Tampered):
        # a flip in the magic is "not a sealed recording", elsewhere a tag that fails
        _reader(path).read_all()


def test_chunks_cannot_be_swapped_dropped_or_appended(tmp_path: Path) -> None:
    plain = os.urandom(64)  # four chunks of 16
    path, header = _sealed(tmp_path, plain, 16)
    raw = path.read_bytes()
    step = 16 + 16
    head, chunks = raw[:60], [raw[60 + i * step : 60 + (i + 1) * step] for i in range(4)]
    cases = {
        "swapped": head + chunks[1] + chunks[0] + chunks[2] + chunks[3],
        "last dropped": head + b"".join(chunks[:3]),
        "appended": raw + chunks[3],
    }
    for name, altered in cases.items():
        path.write_bytes(altered)
        with pytest.raises(Tampered):
            _reader(path).read_all()
        assert name
    # a shorter file whose header also claims fewer bytes: the header is bound to every tag
    short = make_header(48, header.sha256, header.prefix, 16).raw + b"".join(chunks[:3])
    path.write_bytes(short)
    with pytest.raises(Tampered):
        _reader(path).read_all()


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    key = write_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_key_file(path) == key
    path.chmod(0o644)
    with pytest.raises(KeyProblem, match="chmod 600"):
        read_key_file(path)
    with pytest.raises(KeyProblem, match="never overwritten"):
        write_key_file(path)


def test_keys_come_from_the_file_else_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    key = write_key_file(path)
    env = {MASTER_KEY_ENV: path.read_text()}
    from_env = load_keys(None, (), env)
    assert from_env is not None and from_env.current_id == key.key_id
    assert load_keys(None, (), {}) is None
    with pytest.raises(KeyProblem, match="not base64"):
        load_keys(None, (), {MASTER_KEY_ENV: "not a key!"})


def test_a_wrapped_key_opens_only_for_its_recording_and_under_a_known_master(
    tmp_path: Path,
) -> None:
    old, new = MasterKey(os.urandom(32)), MasterKey(os.urandom(32))
    wrapped = LocalKeys(old).wrap(KEY, "a" * 64)
    assert LocalKeys(new, [old]).unwrap(wrapped, "a" * 64) == KEY
    with pytest.raises(KeyProblem, match="not this recording"):
        LocalKeys(old).unwrap(wrapped, "b" * 64)
    with pytest.raises(KeyProblem, match=old.key_id):
        LocalKeys(new).unwrap(wrapped, "a" * 64)
