"""One model for every followed call: what several calls finished is decoded at once.

Whisper reads 30 s windows whatever the speech in them, so a live piece (one or two
seconds of a caller, five of a long agent line) decoded alone pays for a whole window.
With ten calls up, ten followers each asking for their own window made the live path
fall minutes behind on two cores (issue 18's bench). Here a follower queues its
pieces and waits for the model; whoever gets the model decodes everything queued by
then, for every call, in one ``recognise_batch``. A follower that finds its pieces
already decoded by another just takes its results.

Two ways to share:

- ``across_calls``: pieces of different calls packed into the same windows. The
  cheapest (ten short pieces fill one window instead of ten), but a piece's text then
  depends on what it was packed with. That is fine for what the live transcript does
  when the record is decoded again after the call (``[live] after_call = "redecode"``,
  the default): it drives holds, do-not-call and alerts while the call is up.
- per call: each call's pieces in windows of their own, the windows of all calls
  decoded in one batch (still cheaper than one by one: the decoder's vocabulary
  projection becomes a matrix product). A call's text then never depends on the other
  calls, which ``after_call = "reuse"`` needs, since there the live transcript is kept
  as the call's record (issue 15: a transcript must not depend on its neighbours).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from transcriber.asr import Audio16k, RecognisedText, SpeechRecognizer


@dataclass
class _Request:
    pieces: list[Audio16k]
    results: list[RecognisedText] | None = None
    failure: Exception | None = None


class SharedDecoder:
    """Decode followers' pieces together; ``decode`` blocks until this caller's are done."""

    def __init__(self, recognizer: SpeechRecognizer, across_calls: bool) -> None:
        self.recognizer = recognizer
        self.across_calls = across_calls
        self._model = threading.Lock()
        self._queued = threading.Lock()
        self._waiting: list[_Request] = []
        self.rounds = 0
        """Times the model ran (a measure of how much sharing happened)."""

    def decode(self, pieces: Sequence[Audio16k]) -> list[RecognisedText]:
        request = _Request(list(pieces))
        with self._queued:
            self._waiting.append(request)
        with self._model:
            if request.results is None and request.failure is None:
                with self._queued:
                    batch, self._waiting = self._waiting, []
                self._run(batch)
        if request.failure is not None:
            raise request.failure
        assert request.results is not None
        return request.results

    def _run(self, batch: list[_Request]) -> None:
        self.rounds += 1
        try:
            heard = self.recognise_groups([r.pieces for r in batch])
        except Exception as exc:  # each waiting follower raises it in its own thread
            for request in batch:
                request.failure = exc
            return
        for request, results in zip(batch, heard, strict=True):
            request.results = results

    def recognise_groups(self, groups: list[list[Audio16k]]) -> list[list[RecognisedText]]:
        """Each group's pieces recognised (a group per call), the model used once."""
        if self.across_calls:
            flat = self.recognizer.recognise_many([p for g in groups for p in g])
            out: list[list[RecognisedText]] = []
            for group in groups:
                out.append(flat[: len(group)])
                flat = flat[len(group) :]
            return out
        batch = getattr(self.recognizer, "recognise_batch", None)
        if batch is not None:
            return list(batch(groups))
        return [self.recognizer.recognise_many(g) for g in groups]
