"""Telephone-line conditions (`callwarden degrade`, `eval --condition`), FLAC calls and the CER."""

from __future__ import annotations

import json
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

from compliance.detector import Utterance
from compliance.errors import LabelledSetError
from compliance.evaluation import read_labelled_set
from compliance.evaluation.cer import cer_report, edit_distance, normalise
from compliance.evaluation.telephone import (
    CONDITIONS,
    FRAME_S,
    Condition,
    add_noise,
    band_pass,
    degrade,
    echo,
    mu_law_decode,
    mu_law_encode,
    speech_power,
)
from console.call_audio import read_call_audio
from recorder.audio import read_recording
from recorder.errors import BadRecording
from tests.conftest import FIXTURES
from tests.test_cli import run

CALLS = FIXTURES / "calls"
RATE = 8000


def speechlike(seconds: float = 6.0, seed: int = 1) -> np.ndarray:
    """Bursts of band-limited noise (0.7 s on, 0.4 s off): speech's level and its pauses."""
    rng = np.random.default_rng(seed)
    signal = band_pass(rng.standard_normal(int(seconds * RATE)) * 3000, RATE)
    period, on = int(1.1 * RATE), int(0.7 * RATE)
    mask = (np.arange(len(signal)) % period) < on
    return np.asarray(signal * mask, dtype=np.float64)


def snr_db(clean: np.ndarray, noisy: np.ndarray) -> float:
    noise = noisy.astype(np.float64) - clean.astype(np.float64)
    return float(10 * np.log10(speech_power(clean.astype(np.float64), RATE) / np.mean(noise**2)))


# ── G.711 µ-law ───────────────────────────────────────────────────────────


def test_mu_law_codes_are_the_reference_coders() -> None:
    samples = np.array([0, 1, -1, 100, -100, 1000, -1000, 8000, -8000, 32767, -32768], np.int16)
    codes = mu_law_encode(samples)
    # the values CPython's audioop.lin2ulaw / ulaw2lin (Sun's g711.c) give for these samples
    assert codes.tolist() == [255, 255, 126, 242, 114, 206, 78, 160, 32, 128, 0]
    assert mu_law_decode(codes).tolist() == [
        *(0, 0, -8, 104, -104, 988, -988, 7932, -7932, 32124, -32124)
    ]


def test_mu_law_round_trip_error_is_within_half_a_step() -> None:
    every = np.arange(-32768, 32768).astype(np.int16)
    back = mu_law_decode(mu_law_encode(every)).astype(np.int64)
    error = np.abs(back - every.astype(np.int64))
    # a segment's step is 1/16 of its range: half a step is |x|/32, plus the 14-bit rounding
    assert np.all(error <= (np.abs(every.astype(np.int64)) + 132) / 32 + 4)
    assert np.array_equal(mu_law_decode(mu_law_encode(back.astype(np.int16))), back)


# ── the stages ────────────────────────────────────────────────────────────


def tone(freq: float, seconds: float = 2.0) -> np.ndarray:
    return np.sin(2 * np.pi * freq * np.arange(int(seconds * RATE)) / RATE) * 10000


@pytest.mark.parametrize(("freq", "low_db", "high_db"), [(1000, -0.2, 0.2), (3300, -0.2, 0.2)])
def test_band_pass_keeps_the_telephone_band(freq: float, low_db: float, high_db: float) -> None:
    signal = tone(freq) + tone(100) + tone(3800)  # mains hum and what a codec's band cuts
    gain = 10 * np.log10(np.mean(band_pass(signal, RATE) ** 2) / np.mean(tone(freq) ** 2))
    assert low_db <= gain <= high_db


@pytest.mark.parametrize("target", [25.0, 15.0])
def test_noise_is_added_at_the_asked_snr_of_the_speech(target: float) -> None:
    clean = speechlike()
    noisy = add_noise(clean, RATE, target, np.random.default_rng(7))
    assert snr_db(clean, noisy) == pytest.approx(target, abs=0.3)


def test_echo_is_the_other_side_delayed_and_24_db_down() -> None:
    other = speechlike()
    leaked = echo(other, RATE, -24.0)
    delay = int(0.032 * RATE)
    assert np.allclose(leaked[delay:], other[:-delay] * 10 ** (-24 / 20))
    assert not leaked[:delay].any()


# ── degrade: the whole line ───────────────────────────────────────────────


def test_degrade_is_deterministic_keeps_length_and_differs_per_call() -> None:
    audio = read_recording(CALLS / "cw07.wav")
    first = degrade(audio.channels, audio.rate, CONDITIONS["bad"], "cw07")
    again = degrade(audio.channels, audio.rate, CONDITIONS["bad"], "cw07")
    other = degrade(audio.channels, audio.rate, CONDITIONS["bad"], "cw08")
    assert [c.tobytes() for c in first] == [c.tobytes() for c in again]
    assert [len(c) for c in first] == [len(c) for c in audio.channels]
    assert first[0].dtype == np.int16 and first[0].tobytes() != other[0].tobytes()
    assert degrade(audio.channels, audio.rate, CONDITIONS["clean"], "cw07") is audio.channels


@pytest.mark.parametrize(("name", "share"), [("mild", 0.005), ("bad", 0.015)])
def test_the_condition_loses_its_share_of_20_ms_frames(name: str, share: float) -> None:
    audio = read_recording(CALLS / "cw07.wav")
    heard = degrade(audio.channels, audio.rate, CONDITIONS[name], "cw07")
    size = int(FRAME_S * RATE)
    frames = len(heard[0]) // size
    for channel in heard:
        silent = ~channel[: frames * size].reshape(frames, size).any(axis=1)
        # the line hisses everywhere else, so the only all-zero frames are the lost ones
        assert int(silent.sum()) == round(share * frames)


def test_the_noise_of_a_degraded_call_is_at_the_conditions_snr() -> None:
    audio = read_recording(CALLS / "cw07.wav")
    noise_only = Condition("noise", telephone=False, snr_db=25.0, frame_loss=0.0, echo_db=None)
    heard = degrade(audio.channels, audio.rate, noise_only, "cw07")
    for clean, noisy in zip(audio.channels, heard, strict=True):
        assert snr_db(clean, noisy) == pytest.approx(25.0, abs=0.5)


# ── FLAC calls ────────────────────────────────────────────────────────────


def flac_copy(call_id: str, folder: Path) -> Path:
    audio = read_recording(CALLS / f"{call_id}.wav")
    target = folder / f"{call_id}.flac"
    soundfile.write(target, np.stack(audio.channels, axis=1), audio.rate, subtype="PCM_16")
    shutil.copyfile(CALLS / f"{call_id}.json", folder / f"{call_id}.json")
    return target


def test_a_flac_call_reads_as_the_same_samples_as_its_wav(tmp_path: Path) -> None:
    flac = flac_copy("cw07", tmp_path)
    assert flac.stat().st_size < (CALLS / "cw07.wav").stat().st_size * 0.6
    wav, lossless = read_recording(CALLS / "cw07.wav"), read_call_audio(flac)
    assert lossless.rate == wav.rate == RATE
    assert [c.tobytes() for c in lossless.channels] == [c.tobytes() for c in wav.channels]
    calls = read_labelled_set(tmp_path, need_audio=True)
    assert [(c.call_id, c.audio) for c in calls] == [("cw07", flac)]


def test_bad_flac_files_and_ambiguous_pairs_are_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "x.flac"
    garbage.write_bytes(b"fLaC not really")
    with pytest.raises(BadRecording, match=r"x\.flac: not a readable FLAC"):
        read_call_audio(garbage)
    deep = tmp_path / "deep.flac"
    soundfile.write(deep, np.zeros((800, 2)), RATE, subtype="PCM_24")
    with pytest.raises(BadRecording, match="PCM_24 FLAC; only 16-bit"):
        read_call_audio(deep)
    both = tmp_path / "both"
    both.mkdir()
    flac_copy("cw07", both)
    shutil.copyfile(CALLS / "cw07.wav", both / "cw07.wav")
    with pytest.raises(LabelledSetError, match=r"cw07\.json: both cw07\.wav and cw07\.flac"):
        read_labelled_set(both, need_audio=True)


# ── the commands ──────────────────────────────────────────────────────────


def test_degrade_writes_the_same_bytes_twice_and_keeps_the_labels(tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    for call_id in ("cw07", "cw08"):
        for suffix in (".wav", ".json"):
            shutil.copyfile(CALLS / f"{call_id}{suffix}", source / f"{call_id}{suffix}")
    for out in ("a", "b"):
        done = run(["degrade", str(source), str(tmp_path / out), "--condition", "mild"], tmp_path)
        assert done.returncode == 0, done.stderr
        assert "2 个通话" in done.stdout
    for call_id in ("cw07", "cw08"):
        a, b = tmp_path / "a" / f"{call_id}.wav", tmp_path / "b" / f"{call_id}.wav"
        assert a.read_bytes() == b.read_bytes()
        assert a.read_bytes() != (source / f"{call_id}.wav").read_bytes()
        label = (tmp_path / "a" / f"{call_id}.json").read_bytes()
        assert label == (source / f"{call_id}.json").read_bytes()
        with wave.open(str(a)) as degraded, wave.open(str(source / f"{call_id}.wav")) as clean:
            assert degraded.getparams() == clean.getparams()  # same frames: the times hold
    # one file, seeded by the call id in the JSON beside it: the same audio as in the set
    single = tmp_path / "single.wav"
    done = run(["degrade", str(source / "cw07.wav"), str(single), "--condition", "mild"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert single.read_bytes() == (tmp_path / "a" / "cw07.wav").read_bytes()
    assert json.loads(single.with_suffix(".json").read_text("utf-8"))["call_id"] == "cw07"


def test_degrade_flac_to_flac_and_refusals(tmp_path: Path) -> None:
    flac = flac_copy("cw07", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    done = run(["degrade", str(flac), str(out), "--condition", "bad"], tmp_path)
    assert done.returncode == 0, done.stderr
    wav = read_recording(CALLS / "cw07.wav")
    expected = degrade(wav.channels, wav.rate, CONDITIONS["bad"], "cw07")
    got = read_call_audio(out / "cw07.flac").channels
    assert [c.tobytes() for c in got] == [c.tobytes() for c in expected]
    same = run(["degrade", str(tmp_path), str(tmp_path), "--condition", "bad"], tmp_path)
    assert same.returncode != 0 and "must not be the input" in same.stderr
    missing = run(["degrade", str(tmp_path / "nope"), str(out), "--condition", "bad"], tmp_path)
    assert missing.returncode != 0 and "no such file" in missing.stderr


def test_eval_reads_flac_sets_and_condition_needs_audio(tmp_path: Path) -> None:
    flac_copy("cw07", tmp_path)
    done = run(["eval", str(tmp_path), "--text-only", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["overall"]["tp"] >= 1
    mixed = run(["eval", str(tmp_path), "--text-only", "--condition", "mild"], tmp_path)
    assert mixed.returncode != 0 and "--condition" in mixed.stderr


# ── character error rate ──────────────────────────────────────────────────


def test_cer_normalises_punctuation_width_and_case() -> None:
    assert normalise("你好， 世界！ＡＢＣ １２?") == "你好世界abc12"
    assert edit_distance("公安局经侦支队", "公安及精精之对") == 5
    assert edit_distance("", "多余") == 2 and edit_distance("漏掉", "") == 2


def test_cer_is_counted_per_speaker_channel() -> None:
    said = [
        Utterance("agent", 0.0, 2.0, "我是公安局的。"),
        Utterance("callee", 2.0, 3.0, "你好，哪位？"),
        Utterance("agent", 3.0, 4.0, "请还款"),
    ]
    heard = [
        Utterance("callee", 2.0, 3.0, "你好哪位"),
        Utterance("agent", 0.0, 2.0, "我是公安及的"),
        Utterance("agent", 3.0, 4.0, "请还款"),
    ]
    report = cer_report([(said, heard)])
    assert report.per_speaker["agent"].edits == 1 and report.per_speaker["agent"].reference == 9
    assert report.per_speaker["callee"].rate == 0.0
    assert report.overall.rate == pytest.approx(1 / 13)
    # the callee's words on the agent's channel are errors on both channels
    swapped = [Utterance("agent", 2.0, 3.0, "你好哪位")]
    assert cer_report([(said[1:2], swapped)]).overall.edits == 8
    mono = cer_report([(said, [Utterance("unknown", 0.0, 4.0, "我是公安局的你好哪位请还款")])])
    assert mono.overall.edits == 0 and set(mono.per_speaker) == {"unknown"}
