"""The campaign hands over each finished call's recording, and survives one it cannot merge."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np

from dialer.campaign import Campaign, CampaignSettings, _Collecting
from tests.test_answer_gate import FakeLink
from tests.test_reservation import JUDGE


def _mono(path: Path, rate: int, seconds: float = 1.0) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.zeros(int(rate * seconds), dtype="<i2").tobytes())


def _campaign(tmp_path: Path, handed: list[tuple[int, Path]]) -> Campaign:
    link = FakeLink()
    sessions: Any = None  # collecting reads files only
    return Campaign(
        sessions,
        JUDGE,
        lambda: link,
        {},
        {},
        lambda: None,  # type: ignore[arg-type,return-value]
        CampaignSettings(recordings_inside="/spool", recordings_host=tmp_path),
        on_recording=lambda attempt, path: handed.append((attempt, path)),
    )


def _settled(campaign: Campaign, attempt: int, tmp_path: Path) -> None:
    sizes = tuple((tmp_path / f"attempt-{attempt}-{d}.wav").stat().st_size for d in ("rx", "tx"))
    campaign._collecting[attempt] = _Collecting(deadline=float("inf"), sizes=sizes, seen=0.0)


def test_a_pair_that_cannot_be_merged_is_handed_over_as_it_is_and_the_campaign_goes_on(
    tmp_path: Path,
) -> None:
    handed: list[tuple[int, Path]] = []
    campaign = _campaign(tmp_path, handed)
    _mono(tmp_path / "attempt-7-rx.wav", 8000)
    _mono(tmp_path / "attempt-7-tx.wav", 16000)  # the two directions disagree on the rate
    _mono(tmp_path / "attempt-8-rx.wav", 8000)
    _mono(tmp_path / "attempt-8-tx.wav", 8000)
    _settled(campaign, 7, tmp_path)
    _settled(campaign, 8, tmp_path)

    campaign._collect_ready()

    # The broken pair goes to intake as it is (stored as failed, with the reason, like the
    # sweep does); the good one is merged; nothing is left waiting.
    assert handed == [(7, tmp_path / "attempt-7-rx.wav"), (8, tmp_path / "attempt-8.wav")]
    assert campaign._collecting == {}
    assert [a for a, _ in campaign.summary.recordings] == [7, 8]
