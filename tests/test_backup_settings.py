"""The [backup] settings are validated at load, a repository's password is refused from a file
others can read, and the settings a backup keeps hold no URL password. No restic runs here."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, Settings, load_settings
from config.settings import DatabaseSettings, PathSettings
from console.app import build_app
from console.backup import PasswordProblem, Repository, write_password_file


def _load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "callwarden.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, environ={})


def test_two_repositories_by_default_each_with_its_own_password_file(tmp_path: Path) -> None:
    app = build_app(Settings(paths=PathSettings(var_dir=tmp_path / "var")))
    try:
        repos = app.backup_repositories()
    finally:
        app.engine.dispose()
    assert [r.name for r in repos] == ["a", "b"]
    assert repos[0].location == str((tmp_path / "var" / "backup" / "a").absolute())
    assert repos[0].password_file != repos[1].password_file


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[[backup.repositories]]\nname = "a"\n[[backup.repositories]]\nname = "a"\n', "repeat"),
        (
            '[[backup.repositories]]\nname = "a"\npassword_env = "X"\npassword_file = "/p"\n',
            "not both",
        ),
        ('[[backup.repositories]]\nname = "a"\npassword_env = "CALLWARDEN_PW"\n', "CALLWARDEN_"),
        ('[[backup.repositories]]\nname = "a"\nplace = "/x"\n', "unknown key"),
        ("[backup]\nrepositories = []\n", "at least 1"),
    ],
)
def test_a_wrong_backup_section_is_refused_at_load(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        _load(tmp_path, text)


def test_a_password_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.password"
    write_password_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    repo = Repository("a", str(tmp_path / "repo"), password_file=path)
    assert repo.environment({}) == {"RESTIC_PASSWORD_FILE": str(path)}
    path.chmod(0o644)
    with pytest.raises(PasswordProblem, match="chmod 600"):
        repo.environment({})
    with pytest.raises(PasswordProblem, match="is not set"):
        Repository("b", "/r", password_env="B_PW").environment({})


def test_the_settings_a_backup_keeps_have_no_url_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://cw:s3cret@db.example:5432/cw"
    settings = Settings(
        database=DatabaseSettings(url=url), paths=PathSettings(var_dir=tmp_path / "var")
    )
    app = build_app(settings)
    try:
        kept = app.backup_sources().settings
    finally:
        app.engine.dispose()
    assert kept["database"]["url"] == "postgresql+psycopg://cw:***@db.example:5432/cw"
    assert "s3cret" not in repr(kept)
