"""Telephone-line conditions for evaluation: what a real line does to a clean recording.

``degrade`` turns a call's channels into what a mild or a bad line would have
delivered, deterministically (the randomness is seeded from the call id), and
without moving anything in time: the output has the input's length, so the
labels' times still hold. Pure numpy; no I/O.

- mild: G.711 µ-law round trip, 300–3400 Hz band-pass, noise at 25 dB SNR,
  0.5 % of 20 ms frames lost;
- bad: the same at 15 dB SNR and 1.5 % of frames lost, plus line echo of the
  other side at -24 dB.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Pcm = npt.NDArray[np.int16]
Floats = npt.NDArray[np.float64]

FRAME_S = 0.02
ECHO_DELAY_S = 0.032
"""A hybrid's echo comes back after tens of milliseconds on a short line."""
BAND_HZ = (300.0, 3400.0)
_EDGE_HZ = 50.0
"""Width of the band-pass's cosine skirts: a brick wall would ring."""
_ACTIVE_DB = -35.0
"""Frames this far below a channel's loudest frame are pauses, not speech, for SNR."""


@dataclass(frozen=True)
class Condition:
    name: str
    telephone: bool  # µ-law round trip and band-pass
    snr_db: float | None
    frame_loss: float  # share of 20 ms frames lost
    echo_db: float | None  # the other side's speech leaking back, relative to its level


CONDITIONS: dict[str, Condition] = {
    "clean": Condition("clean", telephone=False, snr_db=None, frame_loss=0.0, echo_db=None),
    "mild": Condition("mild", telephone=True, snr_db=25.0, frame_loss=0.005, echo_db=None),
    "bad": Condition("bad", telephone=True, snr_db=15.0, frame_loss=0.015, echo_db=-24.0),
}


def seed_for(call_id: str, condition: str) -> int:
    """crc32: the same seed on every machine and in every process (unlike ``hash``)."""
    return zlib.crc32(f"{call_id}\x00{condition}".encode())


def degrade(
    channels: tuple[Pcm, ...], rate: int, condition: Condition, call_id: str
) -> tuple[Pcm, ...]:
    """The call as heard through ``condition``'s line; clean returns the input itself."""
    if condition.name == "clean" or not channels:
        return channels
    rng = np.random.default_rng(seed_for(call_id, condition.name))
    signals = [c.astype(np.float64) for c in channels]
    if condition.echo_db is not None and len(signals) == 2:
        signals = [
            signals[0] + echo(signals[1], rate, condition.echo_db),
            signals[1] + echo(signals[0], rate, condition.echo_db),
        ]
    out: list[Pcm] = []
    for clean in signals:
        line = band_pass(clean, rate) if condition.telephone else clean
        if condition.snr_db is not None:
            line = add_noise(line, rate, condition.snr_db, rng)
        pcm = to_pcm(line)
        if condition.telephone:
            pcm = mu_law_decode(mu_law_encode(pcm))
        out.append(drop_frames(pcm, rate, condition.frame_loss, rng))
    return tuple(out)


def to_pcm(signal: Floats) -> Pcm:
    return np.clip(np.round(signal), -32768, 32767).astype(np.int16)


def echo(other: Floats, rate: int, level_db: float) -> Floats:
    """``other`` delayed by the hybrid's round trip and attenuated to ``level_db``."""
    delay = int(ECHO_DELAY_S * rate)
    delayed = np.zeros_like(other)
    if delay < len(other):
        delayed[delay:] = other[: len(other) - delay]
    return np.asarray(delayed * 10 ** (level_db / 20), dtype=np.float64)


def band_pass(signal: Floats, rate: int, band: tuple[float, float] = BAND_HZ) -> Floats:
    """Zero-phase band-pass by FFT, with cosine skirts ``_EDGE_HZ`` wide (no scipy)."""
    if len(signal) == 0:
        return signal
    spectrum = np.fft.rfft(signal)
    freqs = np.fft.rfftfreq(len(signal), 1 / rate)
    low, high = band
    gain = np.ones_like(freqs)
    gain[freqs < low - _EDGE_HZ] = 0.0
    gain[freqs > high + _EDGE_HZ] = 0.0
    for edge, rising in ((low, True), (high, False)):
        skirt = np.abs(freqs - edge) <= _EDGE_HZ
        phase = (freqs[skirt] - edge) / _EDGE_HZ  # -1 … 1 across the skirt
        rise = 0.5 * (1 + np.sin(phase * np.pi / 2))
        gain[skirt] = rise if rising else 1 - rise
    return np.asarray(np.fft.irfft(spectrum * gain, n=len(signal)), dtype=np.float64)


def speech_power(signal: Floats, rate: int) -> float:
    """Mean power over the frames that carry speech (pauses would flatter the SNR)."""
    size = max(1, int(FRAME_S * rate))
    frames = len(signal) // size
    if frames == 0:
        return float(np.mean(signal**2)) if len(signal) else 0.0
    power = np.mean(signal[: frames * size].reshape(frames, size) ** 2, axis=1)
    loudest = float(power.max())
    if loudest <= 0.0:
        return 0.0
    return float(power[power >= loudest * 10 ** (_ACTIVE_DB / 10)].mean())


def add_noise(signal: Floats, rate: int, snr_db: float, rng: np.random.Generator) -> Floats:
    """Line noise in the telephone band, ``snr_db`` below the channel's speech.

    A silent channel gets the noise floor of a quiet line (-60 dBFS), not none:
    a real line hisses whether or not anyone talks.
    """
    noise = band_pass(rng.standard_normal(len(signal)), rate)
    power = speech_power(signal, rate)
    target = power / 10 ** (snr_db / 10) if power > 0 else (32768 * 10 ** (-60 / 20)) ** 2
    current = float(np.mean(noise**2)) or 1.0
    return np.asarray(signal + noise * np.sqrt(target / current), dtype=np.float64)


def drop_frames(pcm: Pcm, rate: int, share: float, rng: np.random.Generator) -> Pcm:
    """Silence ``share`` of the 20 ms frames (a lost packet without concealment).

    Exactly round(share × frames) frames, chosen at random: the loss rate is the
    condition's, not a draw around it.
    """
    size = int(FRAME_S * rate)
    frames = len(pcm) // size
    lost = round(share * frames)
    if lost == 0:
        return pcm
    out = pcm.copy()
    for frame in rng.choice(frames, size=lost, replace=False):
        out[int(frame) * size : (int(frame) + 1) * size] = 0
    return out


# ── G.711 µ-law (ITU-T G.711; the classic 14-bit segment coder, in numpy) ──

_BIAS = 0x84
_CLIP14 = 8159
_SEGMENT = np.array([max(0, n.bit_length() - 1) for n in range(256)], dtype=np.int32)
"""The segment (exponent) of a biased 14-bit magnitude, indexed by magnitude >> 5."""


def mu_law_encode(pcm: Pcm) -> npt.NDArray[np.uint8]:
    """16-bit linear to 8-bit µ-law codes.

    On the top 14 bits, as the reference coder does: ``x >> 2`` floors, so a
    negative sample's magnitude rounds up (-1 codes as 0x7E, not 0x7F).
    """
    x = pcm.astype(np.int32) >> 2
    sign = np.where(x < 0, 0x80, 0)
    # a full-scale sample would land in a ninth segment: it clips to the top code instead
    magnitude = np.minimum(np.minimum(np.abs(x), _CLIP14) + (_BIAS >> 2), 0x1FFF)
    exponent = _SEGMENT[magnitude >> 5]
    mantissa = (magnitude >> (exponent + 1)) & 0x0F
    codes = ~(sign | (exponent << 4) | mantissa) & 0xFF
    return np.asarray(codes, dtype=np.uint8)


def mu_law_decode(codes: npt.NDArray[np.uint8]) -> Pcm:
    """8-bit µ-law codes to 16-bit linear."""
    u = ~codes.astype(np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    magnitude = ((((u & 0x0F) << 3) + _BIAS) << exponent) - _BIAS
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)
