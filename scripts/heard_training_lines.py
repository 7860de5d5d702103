"""Write the lines of rendered, ASR-heard calls as a TSV the detector's model trains on.

    .venv/bin/python scripts/heard_training_lines.py SCRIPT RENDERED HEARD --condition C > OUT.tsv

SCRIPT is the call script (scripts/calls/*.txt) the calls were rendered from with
``render.py --vary --flac``; RENDERED the folder of its NAME.json (the lines' times);
HEARD what ``callwarden eval RENDERED --condition C --heard HEARD`` wrote (the ASR's
utterances). Each heard utterance goes to the script line it overlaps most
(compliance.evaluation.train.heard_lines) and takes that line's speaker, the call's contact
type and the line's labels. The TSV is committed (scripts/calls/heard/), the audio is not:
scripts/train_detector_model.py retrains from it without audio or a model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts" / "calls")]

from callscript import parse  # noqa: E402

from compliance.detector import Utterance  # noqa: E402
from compliance.detector.findings import Speaker  # noqa: E402
from compliance.evaluation.train import heard_lines  # noqa: E402

COLUMNS = ("call_id", "speaker", "contact_type", "labels", "text")


def rows(script: Path, rendered: Path, heard: Path) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for call in parse(script):
        heard_json = heard / f"{call.call_id}.json"
        if not heard_json.is_file():
            continue  # not rendered and heard: the TSV holds a subset of the script
        times = json.loads((rendered / f"{call.call_id}.json").read_text("utf-8"))["transcript"]
        lines = [
            Utterance(cast(Speaker, line.speaker), t["start"], t["end"], line.text)
            for line, t in zip(call.lines, times, strict=True)
        ]
        said = [
            Utterance(u["speaker"], u["start"], u["end"], u["text"])
            for u in json.loads(heard_json.read_text("utf-8"))["transcript"]
        ]
        for i, text in heard_lines(lines, said):
            labels = ",".join(call.lines[i].labels) or "-"
            clean = " ".join(text.split())
            out.append((call.call_id, call.lines[i].speaker, call.contact_type, labels, clean))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("script", type=Path)
    parser.add_argument("rendered", type=Path)
    parser.add_argument("heard", type=Path)
    parser.add_argument("--condition", required=True, choices=["clean", "mild", "bad"])
    parser.add_argument("--asr", default="Whisper base (faster-whisper int8, greedy, no prompt)")
    args = parser.parse_args()
    found = rows(args.script, args.rendered, args.heard)
    calls = len({row[0] for row in found})
    print(f"# {args.script.name}: {calls} calls rendered with render.py --vary --flac,")
    print(f"# heard through the {args.condition} line (callwarden eval --condition")
    print(f"# {args.condition} --heard) by {args.asr};")
    print("# each heard utterance on the script line it overlaps most")
    print("# (scripts/heard_training_lines.py). Labels: the line's, '-' for none.")
    print("\t".join(COLUMNS))
    for row in found:
        print("\t".join(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
