"""The live path's pure parts on synthetic byte streams: speech pieces from PCM split
anywhere, a growing WAV read while it is written, a header rewritten at the end, a file
that stops growing, and silence; and `callwarden live` refusing an action table that names
a category or an action that does not exist."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from recorder.errors import BadRecording
from recorder.live_vad import Piece, StreamSegmenter
from recorder.tail import WavTail, audio_start
from recorder.vad import VadSettings, speech_segments
from tests.growing import directions, grow, wav_header
from tests.test_cli import run


def streamed(rate: int, pcm: bytes, sizes: list[int], max_piece_s: float = 5.0) -> list[Piece]:
    segmenter = StreamSegmenter(rate, VadSettings(), max_piece_s)
    out: list[Piece] = []
    pos = 0
    for size in sizes:
        out += segmenter.feed(pcm[pos : pos + size])
        pos += size
    out += segmenter.feed(pcm[pos:])
    return out + segmenter.finish()


def test_pieces_do_not_depend_on_how_the_bytes_were_split() -> None:
    rate, callee, _ = directions("cw34")
    pcm = callee.tobytes()
    whole = streamed(rate, pcm, [])
    rng = random.Random(7)
    odd = streamed(rate, pcm, [rng.randint(1, 999) for _ in range(400)])  # half samples too
    assert [(p.start, p.end) for p in odd] == [(p.start, p.end) for p in whole]
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(odd, whole, strict=True))
    # every stretch the batch VAD finds is covered by a live piece
    for segment in speech_segments(callee, rate, VadSettings()):
        assert any(p.start <= segment.end and p.end >= segment.start for p in whole)
    assert [p.final for p in whole] == [True] * len(whole)
    assert whole[-1].end > 9.5  # the complaint (6.75–10.21 s) is heard to its end


def test_a_piece_holds_the_audio_it_spans() -> None:
    rate, callee, _ = directions("cw34")
    for piece in streamed(rate, callee.tobytes(), []):
        assert len(piece.samples) == round((piece.end - piece.start) * rate)
        start = round(piece.start * rate)
        assert np.array_equal(piece.samples, callee[start : start + len(piece.samples)])


def test_long_speech_is_cut_into_pieces_no_longer_than_the_limit() -> None:
    rate, callee, _ = directions("cw34")
    pieces = streamed(rate, callee.tobytes(), [], max_piece_s=1.0)
    assert any(not p.final for p in pieces)
    assert all(p.end - p.start <= 1.0 + 1e-6 for p in pieces)
    cut = [p for p in pieces if not p.final]
    for piece in cut:  # the next piece starts where a cut one stopped
        assert any(abs(q.start - piece.end) < 1e-6 for q in pieces)


def test_silence_gives_no_pieces() -> None:
    silence = np.zeros(8000 * 10, dtype=np.int16).tobytes()
    assert streamed(8000, silence, [333] * 100) == []
    rng = np.random.default_rng(1)
    hiss = rng.normal(0, 30, 8000 * 10).astype(np.int16).tobytes()
    assert streamed(8000, hiss, []) == []


def test_speech_open_when_the_file_stops_growing_is_one_last_piece() -> None:
    rate, callee, _ = directions("cw34")
    cut = callee[: int(8.0 * rate)]  # the call drops in the middle of the complaint
    segmenter = StreamSegmenter(rate)
    fed = segmenter.feed(cut.tobytes())
    assert all(p.end < 6.75 for p in fed)
    [last] = segmenter.finish()
    assert last.final and last.start < 7.0 and last.end == pytest.approx(8.0, abs=0.03)
    assert segmenter.finish() == []


def test_a_bad_frame_length_is_refused() -> None:
    with pytest.raises(ValueError, match="frame_ms"):
        StreamSegmenter(8000, VadSettings(frame_ms=25))


def test_the_tail_reads_a_growing_file_and_ignores_the_header_rewrite(tmp_path: Path) -> None:
    rate, callee, agent = directions("cw35")
    rx, tx = tmp_path / "attempt-1-rx.wav", tmp_path / "attempt-1-tx.wav"
    tail = WavTail(rx)
    assert tail.read_new() == b""  # no file yet
    rx.write_bytes(wav_header(rate)[:20])  # the header half written
    assert tail.read_new() == b"" and tail.start is None
    pcm = callee.tobytes()
    got = b""
    rx.write_bytes(wav_header(rate))
    pos = 0
    rng = random.Random(3)
    while pos < len(pcm):
        size = rng.randint(1, 4001)  # odd sizes: a sample split across writes
        with rx.open("ab") as f:
            f.write(pcm[pos : pos + size])
        pos += size
        chunk = tail.read_new()
        assert len(chunk) % 2 == 0
        got += chunk
    assert not tail.closed()  # still being written: the header's sizes are 0
    with rx.open("r+b") as f:
        f.write(wav_header(rate, len(pcm)))  # MixMonitor closes the file
    got += tail.read_new()
    assert tail.closed()
    assert got == pcm and tail.read_s == pytest.approx(len(callee) / rate)
    assert tail.read_new() == b""  # a file that stopped growing
    grow(rx, tx, rate, callee, agent, speed=1000.0)
    assert WavTail(tx).read_new() == agent.tobytes()


def test_a_stereo_or_foreign_file_is_refused_with_its_reason() -> None:
    stereo = bytearray(wav_header(8000))
    stereo[22] = 2
    with pytest.raises(BadRecording, match="mono 16-bit"):
        audio_start(bytes(stereo))
    with pytest.raises(BadRecording, match="RIFF"):
        audio_start(b"x" * 5000)


def test_live_refuses_an_action_for_a_category_the_lexicon_lacks(tmp_path: Path) -> None:
    (tmp_path / "callwarden.toml").write_text(
        '[live.actions]\ncomplaint = ["hold_case"]\n', encoding="utf-8"
    )
    assert run(["init"], tmp_path).returncode == 0
    result = run(["live", "--spool", str(tmp_path)], tmp_path)
    assert result.returncode == 2
    assert "[live.actions] names categories the lexicon does not have: complaint" in result.stderr


def test_an_unknown_live_action_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "callwarden.toml").write_text(
        '[live.actions]\nthreat = ["shout"]\n', encoding="utf-8"
    )
    result = run(["init"], tmp_path)
    assert result.returncode == 3 and "live.actions.threat" in result.stderr
