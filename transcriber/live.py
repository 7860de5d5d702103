"""The live follower: transcribe and check calls while they are up (issue 18).

Route: MixMonitor already writes each direction of a bridged call to its own
growing file (``attempt-N-rx.wav``: the callee, ``-tx``: the agent). The
follower tails those files, so it needs nothing from Asterisk or the dial loop:
it can fall behind, die or be absent and the call still records, and the batch
pipeline transcribes the closed files as before.

Per call, one thread reads both files every ``poll_s``; each direction has its
own :class:`~recorder.live_vad.StreamSegmenter`. A piece is decoded with the
project's recogniser (shared: what several calls finished is decoded at once, see
``live_decode``), stored as a
``live_utterance``, and the detector runs over the call heard so far; a hit not
acted on before goes through the ``[live.actions]`` table.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from config.settings import LiveSettings
from recorder.audio import RecordingAudio
from recorder.live_vad import Piece, StreamSegmenter
from recorder.tail import WavTail
from recorder.vad import VadSettings
from store.contacts import attempt_contact_type
from store.db import SessionFactory
from store.live import Heard, LiveHit, act_on_hit, heard_whole, record_prompt, store_heard
from store.models import CallAttempt
from transcriber.asr import (
    Audio16k,
    RecognisedText,
    Speaker,
    SpeechRecognizer,
    TranscribedUtterance,
    to_simplified,
    to_whisper_rate,
)
from transcriber.live_decode import SharedDecoder
from transcriber.pipeline import Clock, Detect

log = logging.getLogger(__name__)

RX = re.compile(r"^attempt-(\d+)-rx\.wav$")
Recognise = Callable[[Sequence[Audio16k]], list[RecognisedText]]
MIXMONITOR_ARRIVAL_S = 2.05
"""How often MixMonitor's growing files gained audio in our measurements (see README)."""


@dataclass
class LiveDeps:
    """What every followed call shares: the database, the model, the detector, the table."""

    sessions: SessionFactory
    recognizer: SpeechRecognizer
    detect: Detect
    settings: LiveSettings
    clock: Clock
    vad: VadSettings = field(default_factory=VadSettings)
    prompt: Callable[[int], str | None] | None = None
    """Whisper the compliance reminder to call attempt N's agent (None when placed, else
    why not); None: no prompt is set up, and ``whisper_prompt`` stays not done."""
    decoder: SharedDecoder = field(init=False)
    """The model, shared by every followed call (see ``live_decode``): pieces of different
    calls share windows only where the record is decoded again after the call."""

    def __post_init__(self) -> None:
        across = self.settings.after_call == "redecode"
        self.decoder = SharedDecoder(self.recognizer, across_calls=across)


@dataclass
class _Direction:
    speaker: Speaker
    tail: WavTail
    segmenter: StreamSegmenter | None = None

    def pieces(self, deps: LiveDeps) -> list[Piece]:
        data = self.tail.read_new()
        if self.tail.start is None:
            return []
        if self.segmenter is None:
            rate = self.tail.start.rate
            self.segmenter = StreamSegmenter(rate, deps.vad, deps.settings.max_piece_s)
        return self.segmenter.feed(data) if data else []


class CallFollower:
    """Follows one call's two direction files until they stop growing (or ``stop``)."""

    def __init__(self, deps: LiveDeps, attempt_id: int, rx: Path, tx: Path) -> None:
        self.deps = deps
        self.attempt_id = attempt_id
        self.sides = [_Direction("callee", WavTail(rx)), _Direction("agent", WavTail(tx))]
        self.heard: list[TranscribedUtterance] = []
        self.acted: set[tuple[str, str, float]] = set()
        self.stop = threading.Event()
        with deps.sessions() as session:
            attempt = session.get_one(CallAttempt, attempt_id)
            self.contact_type = attempt_contact_type(session, attempt)

    def run(self) -> None:
        settings = self.deps.settings
        last_growth = time.monotonic()
        while not self.stop.is_set():
            before = [side.tail.read_s for side in self.sides]
            self._take([(side.speaker, p) for side in self.sides for p in side.pieces(self.deps)])
            if any(side.tail.read_s > b for side, b in zip(self.sides, before, strict=True)):
                last_growth = time.monotonic()
            elif all(side.tail.closed() for side in self.sides):
                break  # MixMonitor wrote the final headers: the call is over
            elif time.monotonic() - last_growth > settings.idle_end_s:
                break  # files that stop without a final header: a killed Asterisk
            self.stop.wait(settings.poll_s)
        if self.stop.is_set():
            return  # killed: the batch pipeline has the whole call after it ends
        self._take(
            [(s.speaker, p) for s in self.sides if s.segmenter for p in s.segmenter.finish()]
        )
        with self.deps.sessions.begin() as session:
            heard_whole(session, self.attempt_id, self.deps.clock())

    def _take(self, pieces: list[tuple[Speaker, Piece]]) -> None:
        """Decode what both directions finished since the last poll, together: the recogniser
        packs several pieces into one window, so a backlog costs little more than one piece."""
        if not pieces:
            return
        rate = next(side.tail.start.rate for side in self.sides if side.tail.start)
        fresh = decode_pieces(self.deps.decoder.decode, pieces, rate)
        if not fresh:
            return
        self.heard = sorted(
            [*self.heard, *(u for u, _ in fresh)], key=lambda u: (u.start, u.speaker)
        )
        found = self.deps.detect(self.heard, self.contact_type)
        prompt = self.deps.prompt
        later = ("whisper_prompt",) if prompt is not None else ()
        prompts: list[tuple[LiveHit, int]] = []
        with self.deps.sessions.begin() as session:
            for u, partial in fresh:
                heard = Heard(u.speaker, u.start, u.end, u.text, u.avg_logprob, partial)
                store_heard(session, self.attempt_id, heard, self.deps.clock())
            for flag in found.flags:
                key = (flag.category, flag.speaker, flag.start)
                if key in self.acted:
                    continue
                self.acted.add(key)
                hit = LiveHit(flag.category, flag.rule_id, flag.speaker, flag.start, flag.evidence)
                actions = self.deps.settings.actions.get(flag.category, [])
                taken = act_on_hit(session, self.attempt_id, hit, actions, self.deps.clock(), later)
                if "whisper_prompt" in actions and later:
                    prompts.append((hit, taken.alert_row))
        if prompt is not None:
            for hit, alert_row in prompts:  # committed first: no lock is held meanwhile
                self._whisper(prompt, hit, alert_row)

    def _whisper(self, prompt: Callable[[int], str | None], hit: LiveHit, alert_row: int) -> None:
        refused = prompt(self.attempt_id)
        if refused is not None:
            log.warning("whisper prompt for attempt %s not placed: %s", self.attempt_id, refused)
        with self.deps.sessions.begin() as session:
            record_prompt(session, self.attempt_id, hit, alert_row, refused)


def decode_pieces(
    recognise: Recognise, pieces: Sequence[tuple[Speaker, Piece]], rate: int
) -> list[tuple[TranscribedUtterance, bool]]:
    """What was said in pieces finished together, decoded together; True where a piece goes on."""
    return _said(pieces, recognise([to_whisper_rate(p.samples, rate) for _, p in pieces]))


def _said(
    pieces: Sequence[tuple[Speaker, Piece]], results: Sequence[RecognisedText]
) -> list[tuple[TranscribedUtterance, bool]]:
    fresh: list[tuple[TranscribedUtterance, bool]] = []
    for (speaker, piece), result in zip(pieces, results, strict=True):
        text = to_simplified(result.text).strip()
        if text:
            said = TranscribedUtterance(speaker, piece.start, piece.end, text, result.avg_logprob)
            fresh.append((said, not piece.final))
    return fresh


class _Arriving:
    """A finished recording read the way the follower reads a growing one: ``arrival_s`` at
    a time (MixMonitor's write cadence), each direction through its own segmenter."""

    def __init__(
        self, audio: RecordingAudio, agent_channel: int, settings: tuple[VadSettings, float],
        arrival_s: float,
    ) -> None:  # fmt: skip
        vad, max_piece_s = settings
        self.audio = audio
        self.speakers: tuple[Speaker, ...] = tuple(
            "agent" if n == agent_channel else "callee" for n in range(len(audio.channels))
        )
        self.segmenters = [StreamSegmenter(audio.rate, vad, max_piece_s) for _ in audio.channels]
        self.step = max(1, int(arrival_s * audio.rate))
        self.first = 0
        self.done = False

    def arrive(self) -> list[tuple[Speaker, Piece]]:
        """The pieces both directions finished with the next arrival (the rest at the end)."""
        self.done = len(self.audio.channels[0]) <= self.first
        first, self.first = self.first, self.first + self.step
        return [
            (speaker, piece)
            for speaker, segmenter, samples in zip(
                self.speakers, self.segmenters, self.audio.channels, strict=True
            )
            for piece in (
                segmenter.finish()
                if self.done
                else segmenter.feed(samples[first : first + self.step].tobytes())
            )
        ]


def hear_calls_as_live(
    recognise: Callable[[list[list[Audio16k]]], list[list[RecognisedText]]],
    calls: Sequence[tuple[RecordingAudio, int]],
    settings: tuple[VadSettings, float],
    arrival_s: float = MIXMONITOR_ARRIVAL_S,
) -> list[list[TranscribedUtterance]]:
    """Finished recordings (each with its agent's channel) heard as calls up at once: they
    arrive together, and what all of them finish in one arrival goes to ``recognise`` in one
    call, one group per call (what :class:`~transcriber.live_decode.SharedDecoder` does)."""
    arriving = [_Arriving(audio, agent, settings, arrival_s) for audio, agent in calls]
    heard: list[list[TranscribedUtterance]] = [[] for _ in calls]
    while not all(a.done for a in arriving):
        ready = [(k, p) for k, a in enumerate(arriving) if not a.done if (p := a.arrive())]
        if not ready:
            continue
        groups = [
            [to_whisper_rate(p.samples, arriving[k].audio.rate) for _, p in pieces]
            for k, pieces in ready
        ]
        for (k, pieces), results in zip(ready, recognise(groups), strict=True):
            heard[k] += [u for u, _ in _said(pieces, results)]
    return [sorted(h, key=lambda u: (u.start, u.speaker)) for h in heard]


def hear_as_live(
    recognizer: SpeechRecognizer,
    audio: RecordingAudio,
    agent_channel: int,
    settings: tuple[VadSettings, float],
    arrival_s: float = MIXMONITOR_ARRIVAL_S,
) -> list[TranscribedUtterance]:
    """A finished two-channel recording transcribed the way the follower hears a call: what
    both directions finish in one arrival is decoded together. The transcript ``[live]
    after_call = "reuse"`` keeps, measured against the batch decode (``eval --live``)."""

    def alone(groups: list[list[Audio16k]]) -> list[list[RecognisedText]]:
        return [recognizer.recognise_many(g) for g in groups]

    return hear_calls_as_live(alone, [(audio, agent_channel)], settings, arrival_s)[0]


class SpoolWatcher:
    """Starts a :class:`CallFollower` for each new recording pair in MixMonitor's spool."""

    def __init__(self, deps: LiveDeps, spool: Path, on_error: Callable[[int, Exception], None]):
        self.deps, self.spool, self.on_error = deps, spool, on_error
        self.followers: dict[int, CallFollower] = {}
        self.threads: list[threading.Thread] = []
        self.stop = threading.Event()

    def scan(self) -> None:
        fresh_after = time.time() - self.deps.settings.idle_end_s
        for rx in sorted(self.spool.glob("attempt-*-rx.wav")):
            match = RX.match(rx.name)
            if match is None or int(match.group(1)) in self.followers:
                continue
            if rx.stat().st_mtime < fresh_after:
                continue  # a closed call: the batch pipeline's
            attempt_id = int(match.group(1))
            follower = CallFollower(
                self.deps, attempt_id, rx, rx.with_name(f"attempt-{attempt_id}-tx.wav")
            )
            self.followers[attempt_id] = follower
            thread = threading.Thread(
                target=self._guarded, args=(follower,), name=f"live-{attempt_id}", daemon=True
            )
            self.threads.append(thread)
            thread.start()

    def _guarded(self, follower: CallFollower) -> None:
        try:
            follower.run()
        except Exception as exc:  # one call's failure must not stop the others
            log.exception("live follower for attempt %s failed", follower.attempt_id)
            self.on_error(follower.attempt_id, exc)

    def run(self) -> None:
        while not self.stop.is_set():
            self.scan()
            self.stop.wait(self.deps.settings.poll_s)
        self.close()

    def close(self) -> None:
        for follower in self.followers.values():
            follower.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
