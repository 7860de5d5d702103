"""The live path's shared model: several calls' pieces decoded at once (issue 18)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from config.settings import LiveSettings
from transcriber.asr import Audio16k, RecognisedText
from transcriber.live import LiveDeps
from transcriber.live_decode import SharedDecoder


def piece(tag: float) -> Audio16k:
    """A piece whose first sample names it, so results can be traced to their piece."""
    return np.full(160, tag, dtype=np.float32)


def text_of(audio: Audio16k) -> RecognisedText:
    return RecognisedText(f"p{audio[0]:g}", -0.1)


class Recorder:
    """Remembers every model call; the first one waits until released (a busy model)."""

    def __init__(self) -> None:
        self.calls: list[list[list[float]]] = []
        self.busy = threading.Event()
        self.release = threading.Event()
        self.fail: Exception | None = None

    def _enter(self, groups: list[list[float]]) -> None:
        self.calls.append(groups)
        if len(self.calls) == 1:
            self.busy.set()
            self.release.wait(10)
        if self.fail is not None:
            raise self.fail

    def recognise_many(self, pieces: Sequence[Audio16k]) -> list[RecognisedText]:
        self._enter([[float(p[0]) for p in pieces]])
        return [text_of(p) for p in pieces]

    def recognise_batch(self, groups: Sequence[Sequence[Audio16k]]) -> list[list[RecognisedText]]:
        self._enter([[float(p[0]) for p in g] for g in groups])
        return [[text_of(p) for p in g] for g in groups]


def _while_busy(decoder: SharedDecoder, model: Recorder, later: list[list[float]]) -> list[object]:
    """Call 1 holds the model; ``later`` calls queue meanwhile; then the model is released."""
    answers: list[object] = [None] * (1 + len(later))

    def ask(slot: int, tags: list[float]) -> None:
        try:
            answers[slot] = [r.text for r in decoder.decode([piece(t) for t in tags])]
        except Exception as exc:  # the test reads what each caller saw
            answers[slot] = exc

    threads = [threading.Thread(target=ask, args=(0, [1.0]))]
    threads[0].start()
    assert model.busy.wait(10)
    for slot, tags in enumerate(later, start=1):
        threads.append(threading.Thread(target=ask, args=(slot, tags)))
        threads[-1].start()
    while sum(len(r.pieces) for r in decoder._waiting) < sum(len(t) for t in later):
        threading.Event().wait(0.01)
    model.release.set()
    for thread in threads:
        thread.join(10)
    return answers


@pytest.mark.parametrize("across", [True, False])
def test_calls_that_wait_for_the_model_are_decoded_in_one_round(across: bool) -> None:
    model = Recorder()
    decoder = SharedDecoder(model, across_calls=across)
    answers = _while_busy(decoder, model, [[2.0, 3.0], [4.0], [5.0, 6.0]])
    assert answers == [["p1"], ["p2", "p3"], ["p4"], ["p5", "p6"]]
    assert decoder.rounds == 2
    if across:  # one group: the pieces of three calls share windows
        assert model.calls[1] == [[2.0, 3.0, 4.0, 5.0, 6.0]]
    else:  # three groups, one per call, decoded in one batch
        assert sorted(model.calls[1]) == [[2.0, 3.0], [4.0], [5.0, 6.0]]


def test_a_failed_decode_reaches_every_caller_in_it_and_the_next_round_works() -> None:
    model = Recorder()
    model.fail = RuntimeError("model gone")
    decoder = SharedDecoder(model, across_calls=True)
    answers = _while_busy(decoder, model, [[2.0], [3.0]])
    assert all(isinstance(a, RuntimeError) for a in answers)
    model.fail = None
    assert [r.text for r in decoder.decode([piece(7.0)])] == ["p7"]


def test_a_recogniser_without_batches_is_asked_call_by_call() -> None:
    class Plain:
        def __init__(self) -> None:
            self.asked: list[int] = []

        def recognise_many(self, pieces: Sequence[Audio16k]) -> list[RecognisedText]:
            self.asked.append(len(pieces))
            return [text_of(p) for p in pieces]

    plain = Plain()
    decoder = SharedDecoder(plain, across_calls=False)
    assert [r.text for r in decoder.decode([piece(1.0), piece(2.0)])] == ["p1", "p2"]
    assert plain.asked == [2]


@pytest.mark.parametrize(("after_call", "across"), [("redecode", True), ("reuse", False)])
def test_pieces_share_windows_across_calls_only_when_the_record_is_decoded_again(
    after_call: str, across: bool
) -> None:
    settings = LiveSettings.model_validate({"after_call": after_call})
    deps = LiveDeps(
        sessions=None,  # type: ignore[arg-type]
        recognizer=Recorder(),
        detect=None,  # type: ignore[arg-type]
        settings=settings,
        clock=None,  # type: ignore[arg-type]
    )
    assert deps.decoder.across_calls is across
