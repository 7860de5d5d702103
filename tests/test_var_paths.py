"""Every path under ``var/`` comes from one :class:`config.VarPaths`, and the composition
root looks up profiles and lexicons in the admins' copies there before the shipped ones."""

from __future__ import annotations

import re
from pathlib import Path

from compliance.lexicon import shipped_lexicons_dir
from compliance.policy.profile import shipped_profiles_dir
from config import Settings, VarPaths
from config.settings import PathSettings
from console.app import build_app


def _paths(var: VarPaths) -> dict[str, Path]:
    named = {
        name: getattr(var, name)
        for name in dir(VarPaths)
        if isinstance(getattr(VarPaths, name), property)
    }
    return named | {f"admin_dir({k})": var.admin_dir(k) for k in ("policy", "lexicon", "phrases")}


def test_every_named_path_is_its_own_child_of_var(tmp_path: Path) -> None:
    var = VarPaths(tmp_path / "var")
    found = _paths(var)
    assert all(path.parent == var.root for path in found.values()), found
    assert len(set(found.values())) == len(found)


def test_the_root_and_the_default_database_use_the_configured_var_dir(tmp_path: Path) -> None:
    settings = Settings(paths=PathSettings(var_dir=tmp_path / "v"))
    app = build_app(settings)
    try:
        assert app.paths == VarPaths(tmp_path / "v") == settings.var()
        assert settings.database_url() == f"sqlite:///{app.paths.database.as_posix()}"
    finally:
        app.engine.dispose()


def test_the_admins_copy_is_loaded_before_the_shipped_one(tmp_path: Path) -> None:
    app = build_app(Settings(paths=PathSettings(var_dir=tmp_path / "var")))
    try:
        shipped_profile, shipped_lexicon = app.profile(), app.lexicon()
        assert str(app.paths.root) not in " ".join(shipped_profile.files)
        policy, lexicon = app.paths.admin_dir("policy"), app.paths.admin_dir("lexicon")
        policy.mkdir(parents=True)
        lexicon.mkdir(parents=True)
        profile_text = (shipped_profiles_dir() / "cn-default.toml").read_text(encoding="utf-8")
        (policy / "cn-default.toml").write_text(profile_text, encoding="utf-8")
        lexicon_text = (shipped_lexicons_dir() / "cn-default.toml").read_text(encoding="utf-8")
        edited = re.sub(
            r'^version = ".*"$', 'version = "admins-copy"', lexicon_text, count=1, flags=re.M
        )
        (lexicon / "cn-default.toml").write_text(edited, encoding="utf-8")
        assert str(policy / "cn-default.toml") in app.profile().files
        assert app.lexicon().version == "admins-copy" != shipped_lexicon.version
    finally:
        app.engine.dispose()
