"""Detector scan rate, in Chinese characters per second, with a lexicon of 1,000+ entries.

Two paths: exact text only (every phrase's pinyin thresholds set out of reach)
and the shipped one (exact + toneless pinyin + fuzzy pinyin). Baseline, in the
same run: keyword QA (``--baseline keywords``: one automaton, no context).
Three corpora: "routine" (calls of about three minutes as a working day has
them, one in twenty with a labelled call spliced in: see
:mod:`bench.routine_calls`), and two from the labelled calls' transcripts,
repeated: "dense" (every line said by the agent to a family member, so every
category is live: a stress test, far denser in violations than real calls) and
"as called" (each call with its own speakers and contact type). The labelled
calls are a few lines of traps each: there the cost is the Python work per hit,
not the scan.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from bench.routine_calls import routine_calls
from compliance.detector import CallContext, Detector, Utterance
from compliance.evaluation import KeywordBaseline
from compliance.lexicon import LexiconFile, RuleSpec, load_lexicon

CALLS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "calls"


def big_lexicon(extra: int = 1000, seed: int = 11) -> LexiconFile:
    """The shipped lexicon plus ``extra`` made-up three-character phrases (rarely heard)."""
    base = load_lexicon("cn-default")
    rng = random.Random(seed)
    phrases = tuple(
        "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(3)) for _ in range(extra)
    )
    filler = RuleSpec(id="bench.filler", category="threat", phrases=phrases)
    return base.model_copy(update={"rules": (*base.rules, filler)})


def exact_only(lexicon: LexiconFile) -> LexiconFile:
    """No phrase matched by sound (rules' own thresholds lifted too, no weak matches)."""
    rules = tuple(
        rule.model_copy(update={"pinyin_min_syllables": None, "fuzzy_min_syllables": None})
        for rule in lexicon.rules
    )
    return lexicon.model_copy(
        update={
            "rules": rules,
            "pinyin_min_syllables": 99,
            "fuzzy_min_syllables": 99,
            "weak_matches": False,
        }
    )


def corpus(min_chars: int) -> list[Utterance]:
    lines = [
        Utterance("agent", u["start"], u["end"], u["text"])
        for path in sorted(CALLS.glob("*.json"))
        for u in json.loads(path.read_text(encoding="utf-8"))["transcript"]
    ]
    out: list[Utterance] = []
    while sum(len(u.text) for u in out) < min_chars:
        out.extend(lines)
    return out


def as_called(min_chars: int) -> list[tuple[list[Utterance], CallContext]]:
    """Each labelled call as it was made: its speakers, its contact type."""
    calls = []
    for path in sorted(CALLS.glob("*.json")):
        label = json.loads(path.read_text(encoding="utf-8"))
        lines = [
            Utterance(u["speaker"], u["start"], u["end"], u["text"]) for u in label["transcript"]
        ]
        calls.append((lines, CallContext(label["contact_type"])))
    out: list[tuple[list[Utterance], CallContext]] = []
    while sum(len(u.text) for lines, _ in out for u in lines) < min_chars:
        out.extend(calls)
    return out


def rate(finder: Detector | KeywordBaseline, utterances: list[Utterance]) -> float:
    return rate_calls(finder, [(utterances, CallContext("family"))])


def rate_calls(
    finder: Detector | KeywordBaseline, calls: list[tuple[list[Utterance], CallContext]]
) -> float:
    finder.detect(calls[0][0][:50], calls[0][1])  # warm the caches
    chars = sum(len(u.text) for lines, _ in calls for u in lines)
    start = time.perf_counter()
    for lines, context in calls:
        finder.detect(lines, context)
    return chars / (time.perf_counter() - start)


def routine_findings(
    detector: Detector, calls: list[tuple[list[Utterance], CallContext]]
) -> dict[str, float]:
    """On the routine calls that carry no labelled call: flags (every one false) and the
    "listen to this" list (weak sound matches), as items and minutes of speech per 100 calls."""
    every = 20  # routine_calls' default: the 20th call of each 20 has a labelled call
    flags = review = 0
    seconds = 0.0
    routine = [call for number, call in enumerate(calls) if number % every != every - 1]
    for lines, context in routine:
        detection = detector.detect(lines, context)
        flags += len(detection.flags)
        review += len(detection.review)
        heard = {(item.start, item.end) for item in detection.review}
        seconds += sum(end - start for start, end in heard)
    return {
        "routine_only_calls": len(routine),
        "routine_only_flags": flags,
        "review_items": review,
        "review_minutes_per_100_calls": round(seconds / 60 / len(routine) * 100, 2),
    }


def run(min_chars: int) -> dict[str, Any]:
    lexicon = big_lexicon()
    entries = sum(len(r.phrases) + sum(len(g) for g in r.sequence) for r in lexicon.rules)
    utterances = corpus(min_chars)
    baseline = rate(KeywordBaseline(lexicon), utterances)
    exact = rate(Detector(exact_only(lexicon)), utterances)
    pinyin = rate(Detector(lexicon), utterances)
    routine = routine_calls(min_chars)
    calls = as_called(min_chars)
    routine_rates = {
        "keyword_baseline_chars_per_s": round(rate_calls(KeywordBaseline(lexicon), routine)),
        "exact_chars_per_s": round(rate_calls(Detector(exact_only(lexicon)), routine)),
        "pinyin_chars_per_s": round(rate_calls(Detector(lexicon), routine)),
        "mean_call_chars": round(sum(len(u.text) for c, _ in routine for u in c) / len(routine)),
        **routine_findings(Detector(load_lexicon("cn-default")), routine),
    }
    called = {
        "keyword_baseline_chars_per_s": round(rate_calls(KeywordBaseline(lexicon), calls)),
        "exact_chars_per_s": round(rate_calls(Detector(exact_only(lexicon)), calls)),
        "pinyin_chars_per_s": round(rate_calls(Detector(lexicon), calls)),
    }
    return {
        "routine": routine_rates,
        "as_called": called,
        "lexicon_entries": entries,
        "chars": sum(len(u.text) for u in utterances),
        "mean_utterance_chars": round(sum(len(u.text) for u in utterances) / len(utterances), 1),
        "keyword_baseline_chars_per_s": round(baseline),
        "exact_chars_per_s": round(exact),
        "pinyin_chars_per_s": round(pinyin),
        "exact_vs_baseline": round(exact / baseline, 3),
        "pinyin_vs_baseline": round(pinyin / baseline, 3),
    }


def report(result: dict[str, Any]) -> str:
    called, routine = result["as_called"], result["routine"]
    return (
        f"detector scan, {result['lexicon_entries']} lexicon entries:\n"
        f"  routine calls ({routine['mean_call_chars']} chars each, 1 in 20 with violations): "
        f"baseline {routine['keyword_baseline_chars_per_s']:,}, "
        f"exact {routine['exact_chars_per_s']:,}, "
        f"exact+pinyin {routine['pinyin_chars_per_s']:,} chars/s; "
        f"{routine['routine_only_flags']} flags (all false) and {routine['review_items']} "
        f"to listen to ({routine['review_minutes_per_100_calls']} min per 100 calls) on "
        f"{routine['routine_only_calls']:,} routine-only calls\n"
        f"  dense, {result['chars']:,} chars "
        f"in utterances of {result['mean_utterance_chars']} chars:\n"
        f"  keyword baseline {result['keyword_baseline_chars_per_s']:>12,} chars/s\n"
        f"  exact            {result['exact_chars_per_s']:>12,} chars/s "
        f"({result['exact_vs_baseline']}× baseline)\n"
        f"  exact+pinyin     {result['pinyin_chars_per_s']:>12,} chars/s "
        f"({result['pinyin_vs_baseline']}× baseline)\n"
        f"  as called (each call's speakers and contact): baseline "
        f"{called['keyword_baseline_chars_per_s']:,}, exact {called['exact_chars_per_s']:,}, "
        f"exact+pinyin {called['pinyin_chars_per_s']:,} chars/s"
    )
