"""The files admins edit in the console: dial-policy profiles, lexicons and the approved
phrases that go with a lexicon, with every version kept.

The file in ``<var_dir>/policy`` (or ``lexicon``, ``phrases``) is what the dialer, the
workers and the agents' pages load; the ``config_version`` table keeps every version that was saved,
so any two can be compared and an old one put back. A version is validated as
the engine will load it before anything is written: an invalid one is refused
with its reasons and the file in force stays as it was.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compliance.detector import Detector
from compliance.errors import LexiconError, PhrasesError, ProfileError
from compliance.lexicon import load_lexicon, parse_lexicon, shipped_lexicons_dir
from compliance.phrases import load_phrases, parse_phrases, shipped_phrases_dir, tripped
from compliance.policy import load_profile
from compliance.policy.profile import shipped_profiles_dir
from compliance.problems import Problem, at, relocated
from compliance.said import N_, Said
from config.var_paths import AdminKind, VarPaths
from console.errors import EditRefused
from console.i18n import _
from store.audit import record_audit
from store.models import ConfigVersion

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # used with fullmatch: "$" lets a "\n" through
KINDS = ("policy", "lexicon", "phrases")
FILE_KIND_ZH = {
    "policy": N_("拨打策略文件"),
    "lexicon": N_("质检词库文件"),
    "phrases": N_("合规话术文件"),
}
"""One file of each kind, named (a page's title, a refusal)."""
BEFORE_FIRST_EDIT = "(before first edit)"
"""Who saved version 1: the shipped text in force before an admin's first edit (stored; the
console names it in its reader's language)."""
_ID_NOT_NAME = N_("应为 %(name)s，即策略的名字（现为 %(got)s）")
_BUILDS_ON = N_("%(other)s（继承自 %(name)s）")
_THROUGH = N_("%(who)s：%(what)s")
_LEXICON_BROKEN = N_("与它配套的词库 %(name)s 无法载入")


@dataclass(frozen=True)
class Editable:
    kind: AdminKind
    shipped: Path
    check: Callable[[str, str, VarPaths], list[Problem]]
    """(name, content, var/ paths) → problems; empty when the engine can use it."""

    def admin_dir(self, paths: VarPaths) -> Path:
        return paths.admin_dir(self.kind)


def _check_profile(name: str, content: str, paths: VarPaths) -> list[Problem]:
    """Load it as the dialer will, and every other profile too: one may extend this one."""
    admin_dir = paths.admin_dir("policy")
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp)
        if admin_dir.is_dir():
            for existing in admin_dir.glob("*.toml"):
                shutil.copyfile(existing, staged / existing.name)
        path = staged / f"{name}.toml"
        path.write_text(content, encoding="utf-8")
        try:
            profile = load_profile(path, search=(staged,))
        except ProfileError as exc:
            # the staged copy stands for the admins' folder: name that, not the scratch one
            return [
                relocated(relocated(line, str(path), f"{name}.toml"), tmp, str(admin_dir))
                for line in exc.problems
            ]
        if profile.id != name:
            wrong = Said(_ID_NOT_NAME, {"name": repr(name), "got": repr(profile.id)})
            return [at(f"{name}.toml: id", wrong)]
        names = {p.stem for d in (staged, shipped_profiles_dir()) for p in d.glob("*.toml")}
        problems: list[Problem] = []
        for other in sorted(names - {name}):
            try:
                load_profile(other, search=(staged,))
            except ProfileError as exc:
                if not _loads(other, admin_dir):
                    continue  # broken before this save: not this save's fault
                builds_on = Said(_BUILDS_ON, {"other": other, "name": name})
                problems += [
                    Said(_THROUGH, {"who": builds_on, "what": relocated(line, f"{staged}/", "")})
                    for line in exc.problems
                ]
        return problems


def _loads(name: str, admin_dir: Path) -> bool:
    try:
        load_profile(name, search=(admin_dir,))
    except ProfileError:
        return False
    return True


def _check_lexicon(name: str, content: str, paths: VarPaths) -> list[Problem]:
    """Load it as the workers will; the approved phrases that go with it must stay unflagged."""
    try:
        detector = Detector(parse_lexicon(Path(f"{name}.toml"), content.encode("utf-8")))
    except LexiconError as exc:
        return exc.problems
    try:
        book = load_phrases(name, search=paths.search("phrases"))
    except PhrasesError:
        return []  # no phrases go with this lexicon (or they are broken: their own save says)
    source = f"phrases/{name}.toml"
    return list(tripped(book, detector, source))


def _check_phrases(name: str, content: str, paths: VarPaths) -> list[Problem]:
    """Valid, and none of them flagged by the lexicon of the same name (the admins' copy
    first): an approved phrase the detector flags would teach agents to be flagged."""
    try:
        book = parse_phrases(Path(f"{name}.toml"), content.encode("utf-8"))
    except PhrasesError as exc:
        return exc.problems
    try:
        detector = Detector(load_lexicon(name, search=paths.search("lexicon")))
    except LexiconError as exc:
        broken = Said(_LEXICON_BROKEN, {"name": repr(name)})
        return [at(f"{name}.toml", broken), *exc.problems]
    return list(tripped(book, detector, f"{name}.toml"))


EDITABLE = {
    "policy": Editable("policy", shipped_profiles_dir(), _check_profile),
    "lexicon": Editable("lexicon", shipped_lexicons_dir(), _check_lexicon),
    "phrases": Editable("phrases", shipped_phrases_dir(), _check_phrases),
}


def editable(kind: str) -> Editable:
    if kind not in EDITABLE:
        raise LookupError(f"nothing called {kind!r} is edited here")
    return EDITABLE[kind]


def names(kind: str, paths: VarPaths) -> list[str]:
    spec = editable(kind)
    found = {
        p.stem
        for d in (spec.shipped, spec.admin_dir(paths))
        if d.is_dir()
        for p in d.glob("*.toml")
    }
    return sorted(n for n in found if NAME.fullmatch(n))


def _file(kind: str, name: str, paths: VarPaths) -> Path:
    if not NAME.fullmatch(name):
        raise LookupError(f"{name!r} is not a {kind} name")
    spec = editable(kind)
    for folder in (*paths.search(spec.kind), spec.shipped):
        if (folder / f"{name}.toml").is_file():
            return folder / f"{name}.toml"
    raise LookupError(f"no {kind} called {name!r}")


def in_force(kind: str, name: str, paths: VarPaths) -> str:
    """The text the engine loads now for this name."""
    return _file(kind, name, paths).read_text(encoding="utf-8")


def versions(session: Session, kind: str, name: str) -> list[ConfigVersion]:
    return list(
        session.scalars(
            select(ConfigVersion)
            .where(ConfigVersion.kind == kind, ConfigVersion.name == name)
            .order_by(ConfigVersion.version.desc())
        )
    )


def add_version(  # noqa: PLR0917 (one version's fields)
    session: Session, kind: str, name: str, content: str, author: str, note: str, now: datetime
) -> ConfigVersion:
    last = session.scalar(
        select(func.max(ConfigVersion.version)).where(
            ConfigVersion.kind == kind, ConfigVersion.name == name
        )
    )
    row = ConfigVersion(
        kind=kind,
        name=name,
        version=(last or 0) + 1,
        content=content,
        sha256=hashlib.sha256(content.encode()).hexdigest(),
        author=author,
        note=note,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def save(  # noqa: PLR0917 (what a save is made of)
    session: Session,
    paths: VarPaths,
    kind: str,
    name: str,
    content: str,
    author: str,
    note: str,
    now: datetime,
) -> ConfigVersion | None:
    """Validate, keep as a new version and put in force; None when nothing changed."""
    spec = editable(kind)
    content = content.replace("\r\n", "\n")
    current = in_force(kind, name, paths)
    problems = spec.check(name, content, paths)
    if problems:
        raise EditRefused(problems)
    if content == current:
        return None
    if not versions(session, kind, name):
        # The text in force before the first edit is version 1, so the first diff shows the edit.
        add_version(session, kind, name, current, BEFORE_FIRST_EDIT, "", now)
    row = add_version(session, kind, name, content, author, note, now)
    record_audit(
        session,
        author,
        f"{kind}.save",
        object_type=kind,
        object_id=name,
        detail={"version": row.version, "sha256": row.sha256, "note": note},
    )
    _write_atomically(spec.admin_dir(paths) / f"{name}.toml", content)
    return row


def _write_atomically(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def diff(old: ConfigVersion | None, new: ConfigVersion) -> list[str]:
    """A unified diff from ``old`` (or nothing) to ``new``, line by line."""
    before = old.content.splitlines() if old else []
    return list(
        difflib.unified_diff(
            before,
            new.content.splitlines(),
            fromfile=f"{new.name} v{old.version}" if old else _("（无）"),
            tofile=f"{new.name} v{new.version}",
            lineterm="",
        )
    )
