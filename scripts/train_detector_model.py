"""Train the detector's model from labelled call scripts and write NAME.model.json.

    .venv/bin/python scripts/train_detector_model.py            # write the shipped model
    .venv/bin/python scripts/train_detector_model.py --check    # is the shipped one current?
    .venv/bin/python scripts/train_detector_model.py --sweep    # thresholds, measured on dev

The sweep learns from scripts/calls/calls.txt (the fixtures' script), the training
scripts (lines written for training) and those lines as Whisper heard them
(scripts/calls/heard/train*.tsv: a subset rendered to audio and heard through the clean,
mild and bad lines, see scripts/heard_training_lines.py), and measures on the dev split
(scripts/calls/eval-dev.txt, and heard: heard/dev-*.tsv) to choose the settings; the shipped
model is then fitted with those settings on all of them, dev included. At run time the model
reads what the ASR heard, not what was written: the heard lines teach it the substitutions
and garbles it will meet. The test split (eval-test.txt) is never read here: it is what the
README reports.
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
HEARD = ROOT / "scripts/calls/heard"
HEARD_TRAIN = tuple(sorted(HEARD.glob("train*.tsv")))
HEARD_DEV = tuple(sorted(HEARD.glob("dev-*.tsv")))
VERSION = "m3.1"
SETTINGS = Settings(
    strength=1.0,
    flag_at=0.45,
    review_at=0.3,
    flag_at_by_category={
        "induce_borrowing": 0.3,
        "waiver_promise": 0.38,
        "threat": 0.35,
        "impersonation": 0.4,
    },
)
"""Chosen on dev (--sweep, and end to end on the dev calls as heard, model fitted without dev):
of the 102 dev labels heard under clean, mild and bad, the written-only model at 0.5 found 91
(1 false flag), at 0.45 92 (2), with the heard lines at 0.45 94 (2); at 0.4 96, but it flags
praise as an insult on the written dev calls. Per category (m3), cross-fitted end to end on
45 train2/train3 calls heard through the mild line (3 folds by call, each scored by a model
fitted without its calls' written and heard lines) and on dev: induce_borrowing found 17 of
28 at 0.3 against 11 at 0.45, waiver_promise 3 of 3 on the bad dev line at 0.35 against 1,
threat and impersonation one more each at 0.35 and 0.4, each with no more false flags there;
lower, impersonation and private_payment begin to flag compliant lines."""


def examples(paths: tuple[Path, ...]) -> list[Example]:
    found: list[Example] = []
    for path in paths:
        if path.suffix == ".tsv":
            found.extend(heard(path))
            continue
        for call in parse(path):
            found.extend(
                Example(line.speaker, call.contact_type, line.text, frozenset(line.labels))
                for line in call.lines
            )
    return found


def heard(path: Path) -> list[Example]:
    """The lines of a heard TSV (scripts/heard_training_lines.py): call_id, speaker,
    contact_type, labels ('-' for none), text; '#' lines are its header."""
    rows = [line.split("\t") for line in path.read_text("utf-8").splitlines()]
    body = [row for row in rows if row[0] and not row[0].startswith("#")][1:]
    return [
        Example(speaker, contact, text, frozenset(labels.split(",")) - {"-"})
        for _, speaker, contact, labels, text in body
    ]


def categories() -> dict[str, CategorySpec]:
    """The shipped lexicon's categories, read without its model (which may not exist yet)."""
    path = shipped_lexicons_dir() / "cn-default.toml"
    return dict(LexiconFile.model_validate(tomllib.loads(path.read_text("utf-8"))).categories)


def build(settings: Settings, with_heard: bool = True) -> ClassifierModel:
    heard = (*HEARD_TRAIN, *HEARD_DEV) if with_heard else ()
    return train(examples((*TRAIN, DEV, *heard)), categories(), VERSION, settings)


def render(model: ClassifierModel) -> str:
    return json.dumps(model.as_json(), ensure_ascii=False, indent=1) + "\n"


def sweep(with_heard: bool) -> None:
    """Model-only precision and recall on dev lines (as written, and as heard under each
    line condition), per strength and threshold."""
    specs = categories()
    sources = [DEV, *HEARD_DEV]
    for strength in (0.3, 1.0, 3.0):
        learn = (*TRAIN, *HEARD_TRAIN) if with_heard else TRAIN
        model = train(examples(learn), specs, VERSION, Settings(strength=strength))
        for at in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            for source in sources:
                counts = _measure(model, specs, examples((source,)), at)
                tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
                print(
                    f"C={strength} at={at} {source.name}: tp {tp} fp {fp} fn {fn} "
                    f"P {tp / max(1, tp + fp):.3f} R {tp / max(1, tp + fn):.3f}"
                )


def _measure(
    model: ClassifierModel, specs: dict[str, CategorySpec], lines: list[Example], at: float
) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in lines:
        found = features(line.text)
        for name, spec in model.categories.items():
            if not eligible(specs[name], line.speaker, line.contact_type):
                continue
            said = score(spec, name, line.text, found).probability >= at
            counts[_outcome(said, name in line.labels)] += 1
    return counts


def _outcome(said: bool, true: bool) -> str:
    return {(True, True): "tp", (True, False): "fp", (False, True): "fn"}.get((said, true), "tn")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shipped = shipped_lexicons_dir() / "cn-default.model.json"
    parser.add_argument("--out", type=Path, default=shipped)
    parser.add_argument("--check", action="store_true", help="fail if --out is not current")
    parser.add_argument("--sweep", action="store_true", help="measure thresholds on dev")
    parser.add_argument(
        "--written-only", action="store_true", help="leave out the heard lines (to compare)"
    )
    args = parser.parse_args()
    if args.sweep:
        sweep(not args.written_only)
        return 0
    text = render(build(SETTINGS, not args.written_only))
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
