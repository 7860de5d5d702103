"""How far apart two Mandarin syllables sound, and how far a phrase may drift and still match.

A syllable is an initial and a final. Changing a part costs ``CONFUSED`` when
the two are a known confusion and ``UNRELATED`` otherwise; a syllable costs the
sum of its parts, at most ``WHOLE`` (a whole syllable substituted). The pairs:

- the standard "fuzzy pinyin" merges: zh/z, ch/c, sh/s, n/l, l/r, f/h, and the
  nasal codas in/ing, en/eng, an/ang, ian/iang, uan/uang;
- measured on Whisper base over 8 kHz telephone audio (issue 15 and
  shared/notes/asr.md): j/q/x (欠款 → 舰款, 分期 → 分析), ü/i (逾期 → 一期,
  欠款 → 捐款, 全程 → 前程), ou/ong (工号 → 勾号), i/ing (分期 → 分清), and
  n/m with ao/ang (闹 → 忙): a band-limited line blurs nasals and codas.

Every part that is not a known confusion costs ``UNRELATED``, so a syllable
that costs less than ``UNRELATED`` has each part equal or confused: its
``coarse_key`` (the parts' confusion classes) equals the phrase syllable's.
That is what lets :mod:`compliance.detector.index` find candidates by exact
matching of coarse keys and lose none (see ``pieces``).

``UNRELATED`` is more than two confusions: 去你公司闹 heard as 去你公司忙 (n/m,
ao/ang) is within a five-syllable phrase's budget, 到你公司拿 (ao → a, not a
known confusion) is not, nor is any other syllable that merely starts with n.
"""

from __future__ import annotations

from functools import cache

CONFUSED = 0.25
UNRELATED = 0.6
WHOLE = 1.0

_INITIAL_PAIRS = ("zh z", "ch c", "sh s", "n l", "l r", "f h", "j q", "q x", "j x", "n m")
_FINAL_PAIRS = (
    "in ing",
    "en eng",
    "an ang",
    "ian iang",
    "uan uang",
    "v i",
    "ve ie",
    "vn in",
    "van ian",
    "ou ong",
    "i ing",
    "ao ang",
)
# two-letter initials first, so zh is not read as z + h…
_INITIALS = ("zh", "ch", "sh", *"bpmfdtnlgkhjqxrzcs")

_BUDGETS = (0.0, 0.0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75)


def budget(syllables: int) -> float:
    """The most a phrase of this many syllables may cost and still match.

    Short phrases get little: a two-syllable word has homophones and near
    neighbours everywhere (无赖 ~ 无奈), while one confused syllable of six
    still leaves five that were heard right. Up to five syllables only
    confusions fit; from six one unrelated part, from eight a whole syllable.
    """
    return _BUDGETS[syllables] if syllables < len(_BUDGETS) else WHOLE


def review_budget(syllables: int) -> float:
    """The most a weak match may cost: one confusion past :func:`budget`, unless that lets
    one more unrelated part in. The candidate search would then cut the phrase into more,
    shorter pieces (银行, 利息, 给你: in every call) and price hundreds of candidates a call."""
    base = budget(syllables)
    wider = base + CONFUSED
    return wider if wider // UNRELATED == base // UNRELATED else base


def pieces(length: int, allowed: float) -> list[tuple[int, int]]:
    """[start, end) of the pieces a phrase of ``length`` characters is cut into so that one
    of them is heard with every coarse key right whenever its cost is at most ``allowed``.

    Each character with another coarse key costs at least ``UNRELATED``, so at most
    ``allowed // UNRELATED`` of them fit; cut into one piece more than that, one piece
    has none (pigeonhole).
    """
    count = min(int(allowed // UNRELATED) + 1, length)
    bounds = [length * i // count for i in range(count + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(count)]


def syllable_cost(a: str, b: str) -> float:
    """What it costs to hear syllable ``b`` where ``a`` was said (symmetric)."""
    if a == b:
        return 0.0
    return _cost(*sorted((a, b)))


@cache
def _cost(a: str, b: str) -> float:
    (ia, fa), (ib, fb) = split(a), split(b)
    return min(WHOLE, _part(ia, ib, _initial_pairs()) + _part(fa, fb, _final_pairs()))


def coarse_key(syllable: str) -> str:
    """The syllable's initial and final, each replaced by its confusion class."""
    initial, final = split(syllable)
    return (
        _classes(_INITIAL_PAIRS).get(initial, initial)
        + "|"
        + _classes(_FINAL_PAIRS).get(final, final)
    )


def _part(a: str, b: str, pairs: frozenset[tuple[str, str]]) -> float:
    if a == b:
        return 0.0
    return CONFUSED if (a, b) in pairs else UNRELATED


@cache
def _initial_pairs() -> frozenset[tuple[str, str]]:
    return _pairs(_INITIAL_PAIRS)


@cache
def _final_pairs() -> frozenset[tuple[str, str]]:
    return _pairs(_FINAL_PAIRS)


def _pairs(spec: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for pair in spec:
        a, b = pair.split()
        out |= {(a, b), (b, a)}
    return frozenset(out)


@cache
def _classes(spec: tuple[str, ...]) -> dict[str, str]:
    """Each part → a name for its class: parts joined by a chain of confusions share one."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for pair in spec:
        a, b = pair.split()
        parent[root(a)] = root(b)
    return {part: root(part) for part in parent}


def split(syllable: str) -> tuple[str, str]:
    """Initial and final, with y/w spelled out and ü written v (yu → v, ju → jv)."""
    if syllable.startswith("y"):
        rest = syllable[1:]
        final = (
            "v" + rest[1:] if rest.startswith("u") else rest if rest.startswith("i") else "i" + rest
        )
        return "", final
    if syllable.startswith("w"):
        rest = syllable[1:]
        return "", rest if rest.startswith("u") else "u" + rest
    for initial in _INITIALS:
        if syllable.startswith(initial):
            final = syllable[len(initial) :]
            if initial in ("j", "q", "x") and final.startswith("u"):
                final = "v" + final[1:]
            return initial, final
    return "", syllable
