"""Train the detector's model from labelled call scripts and write NAME.model.json.

    .venv/bin/python scripts/train_detector_model.py            # write the shipped model
    .venv/bin/python scripts/train_detector_model.py --check    # is the shipped one current?
    .venv/bin/python scripts/train_detector_model.py --sweep    # thresholds, measured on dev

The sweep learns from scripts/calls/calls.txt (the fixtures' script) and the training
scripts (lines written for training, never rendered), and measures on the dev split
(scripts/calls/eval-dev.txt) to choose the settings; the shipped model is then fitted with
those settings on all of them, dev included. The test split (eval-test.txt) is never read
here: it is what the README reports.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts" / "calls")]

from callscript import parse  # noqa: E402

from compliance.detector.classifier import features, score  # noqa: E402
from compliance.evaluation.train import Example, Settings, eligible, train  # noqa: E402
from compliance.lexicon import CategorySpec, LexiconFile, shipped_lexicons_dir  # noqa: E402
from compliance.lexicon.trained import ClassifierModel  # noqa: E402

TRAIN = (
    ROOT / "scripts/calls/calls.txt",
    ROOT / "scripts/calls/train.txt",
    ROOT / "scripts/calls/train2.txt",
    ROOT / "scripts/calls/train3.txt",
)
DEV = ROOT / "scripts/calls/eval-dev.txt"
VERSION = "m1"
SETTINGS = Settings(strength=1.0, flag_at=0.5, review_at=0.3)
"""Chosen with --sweep on dev (see the README's detection section)."""


def examples(paths: tuple[Path, ...]) -> list[Example]:
    found: list[Example] = []
    for path in paths:
        for call in parse(path):
            found.extend(
                Example(line.speaker, call.contact_type, line.text, frozenset(line.labels))
                for line in call.lines
            )
    return found


def categories() -> dict[str, CategorySpec]:
    """The shipped lexicon's categories, read without its model (which may not exist yet)."""
    path = shipped_lexicons_dir() / "cn-default.toml"
    return dict(LexiconFile.model_validate(tomllib.loads(path.read_text("utf-8"))).categories)


def build(settings: Settings) -> ClassifierModel:
    return train(examples((*TRAIN, DEV)), categories(), VERSION, settings)


def render(model: ClassifierModel) -> str:
    return json.dumps(model.as_json(), ensure_ascii=False, indent=1) + "\n"


def sweep() -> None:
    """Model-only precision and recall on dev lines, per strength and threshold."""
    specs = categories()
    dev = examples((DEV,))
    for strength in (0.3, 1.0, 3.0):
        model = train(examples(TRAIN), specs, VERSION, Settings(strength=strength))
        for at in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            counts: Counter[str] = Counter()
            for line in dev:
                found = features(line.text)
                for name, spec in model.categories.items():
                    if not eligible(specs[name], line.speaker, line.contact_type):
                        continue
                    said = score(spec, name, line.text, found).probability >= at
                    counts[_outcome(said, name in line.labels)] += 1
            tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
            print(
                f"C={strength} at={at}: tp {tp} fp {fp} fn {fn} "
                f"P {tp / max(1, tp + fp):.3f} R {tp / max(1, tp + fn):.3f}"
            )


def _outcome(said: bool, true: bool) -> str:
    return {(True, True): "tp", (True, False): "fp", (False, True): "fn"}.get((said, true), "tn")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shipped = shipped_lexicons_dir() / "cn-default.model.json"
    parser.add_argument("--out", type=Path, default=shipped)
    parser.add_argument("--check", action="store_true", help="fail if --out is not current")
    parser.add_argument("--sweep", action="store_true", help="measure thresholds on dev")
    args = parser.parse_args()
    if args.sweep:
        sweep()
        return 0
    text = render(build(SETTINGS))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text:
            print(f"{args.out}: not what the scripts train; rerun without --check", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {text.count(chr(10))} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
