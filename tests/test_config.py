"""Settings are validated at load; every error names the file (or variable) and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigFileError, ConfigValueError, load_settings


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "callwarden.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_use_sqlite_under_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.database_url() == "sqlite:///var/callwarden.db"
    assert settings.policy.profile == "cn-default"
    assert settings.source == "<defaults>"


def test_file_then_environment_override(tmp_path: Path) -> None:
    path = _toml(tmp_path, '[database]\nurl = "sqlite:///x.db"\n[paths]\nvar_dir = "/srv/cw"\n')
    settings = load_settings(path, environ={"CALLWARDEN_DATABASE_URL": "postgresql+psycopg://h/db"})
    assert settings.database_url() == "postgresql+psycopg://h/db"
    assert settings.paths.var_dir == Path("/srv/cw")
    assert settings.source == str(path)


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    path = _toml(tmp_path, '[policy]\nprofile = "us-regf"\n')
    assert load_settings(environ={"CALLWARDEN_CONFIG": str(path)}).policy.profile == "us-regf"


def test_unknown_key_and_wrong_type_are_both_reported(tmp_path: Path) -> None:
    path = _toml(tmp_path, "[database]\nurl = 5\ncolour = 'red'\n[logging]\nlevel = 'LOUD'\n")
    with pytest.raises(ConfigValueError) as info:
        load_settings(path, environ={})
    problems = info.value.problems
    assert f"{path}: database.colour: unknown key" in problems
    assert any(
        p.startswith(f"{path}: database.url: Input should be a valid string") for p in problems
    )
    assert any(p.startswith(f"{path}: logging.level:") for p in problems)
    assert len(problems) == 3


def test_unknown_section(tmp_path: Path) -> None:
    path = _toml(tmp_path, "[dialer2]\nrate = 3\n")
    with pytest.raises(ConfigValueError, match=r"dialer2: unknown key"):
        load_settings(path, environ={})


def test_bad_environment_values_name_the_variable() -> None:
    with pytest.raises(ConfigValueError) as info:
        load_settings(
            environ={"CALLWARDEN_DATABASE_BUSY_TIMEOUT_S": "soon", "CALLWARDEN_DATABASE_PORT": "1"}
        )
    assert info.value.problems == [
        "$CALLWARDEN_DATABASE_BUSY_TIMEOUT_S: database.busy_timeout_s: expected a number, "
        "got 'soon'",
        "$CALLWARDEN_DATABASE_PORT: unknown setting database.port",
    ]


def test_unrelated_callwarden_variables_are_not_settings() -> None:
    settings = load_settings(environ={"CALLWARDEN_TEST_POSTGRES_URL": "x"})
    assert settings.database.url == ""


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigFileError, match="not valid TOML"):
        load_settings(_toml(tmp_path, "[database\n"), environ={})


def test_settings_are_frozen() -> None:
    settings = load_settings(environ={})
    with pytest.raises(ValueError, match="frozen"):
        settings.database.url = "x"  # type: ignore[misc]


def test_infinite_durations_are_refused_naming_the_key(tmp_path: Path) -> None:
    path = _toml(tmp_path, "[database]\nbusy_timeout_s = inf\n[queue]\nlease_s = inf\n")
    with pytest.raises(ConfigValueError) as info:
        load_settings(path, environ={})
    keys = sorted(p.split(": ")[1] for p in info.value.problems)
    assert keys == ["database.busy_timeout_s", "queue.lease_s"]
    with pytest.raises(ConfigValueError, match=r"queue\.lease_s"):
        load_settings(environ={"CALLWARDEN_QUEUE_LEASE_S": "inf"})


def test_only_a_small_regular_file_is_read_as_settings(tmp_path: Path) -> None:
    # /dev/zero as --config was read for ever (memory without bound); a FIFO blocks on open.
    huge = _toml(tmp_path, "# padding\n" * 200_000)
    with pytest.raises(ConfigFileError, match=r"more than 1 MiB: not a settings file"):
        load_settings(huge, environ={})
    device = tmp_path / "zero.toml"
    device.symlink_to("/dev/zero")
    with pytest.raises(ConfigFileError, match=r"zero\.toml: not a regular file"):
        load_settings(device, environ={})
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"[policy]\nprofile = 'caf\xe9'\n")
    with pytest.raises(ConfigFileError, match="not valid TOML: not UTF-8"):
        load_settings(latin, environ={})


def test_calls_are_decoded_again_after_the_live_follower_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Live pieces read worse than the whole call (README: eval --live on the dev split), so
    the record keeps the whole-call decode unless an admin asks for reuse."""
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).live.after_call == "redecode"
    reuse = tmp_path / "reuse.toml"
    reuse.write_text('[live]\nafter_call = "reuse"\n', encoding="utf-8")
    assert load_settings(reuse, environ={}).live.after_call == "reuse"


def test_a_live_encoder_shorter_than_a_piece_is_refused(tmp_path: Path) -> None:
    """Whisper would read only the first ``encoder_s`` of a longer piece: the rest lost."""
    assert load_settings(_toml(tmp_path, ""), environ={}).live.encoder_s == 30.0
    ok = _toml(tmp_path, "[live]\nencoder_s = 10\nmax_piece_s = 5\n")
    assert load_settings(ok, environ={}).live.encoder_s == 10.0
    cut = _toml(tmp_path, "[live]\nencoder_s = 10\nmax_piece_s = 9\n")
    with pytest.raises(ConfigValueError, match=r"encoder_s 10\.0 must be at least max_piece_s"):
        load_settings(cut, environ={})


def test_an_empty_optional_path_is_unset_not_the_current_folder(tmp_path: Path) -> None:
    # `CALLWARDEN_ARCHIVE_KEY_FILE=` (or key_file = "") was Path("."): the key provider then
    # refused "." for its mode 0755 and told the admin to `chmod 600 .`.
    path = _toml(tmp_path, '[backup]\nrestic = ""\n')
    settings = load_settings(path, environ={"CALLWARDEN_ARCHIVE_KEY_FILE": ""})
    assert settings.archive.key_file is None
    assert settings.backup.restic is None
