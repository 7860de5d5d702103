"""The layout of a RIFF/WAVE file from its bytes (pure: no I/O).

Asterisk writes a WAV header with zero sizes when a MixMonitor file is opened
and corrects it when the file is closed; killed in between, it leaves a header
that understates the audio, with every sample after it on disk. So the sizes
in the header are checked against the bytes present:

- ``data`` says less than the file holds, and what follows is not well-formed
  chunks (a ``LIST`` tag after the audio is legitimate): the header is stale,
  the audio runs to the end of the file (``repair`` says so);
- ``data`` says more than the file holds: the file is truncated (an error);
- 0xFFFFFFFF, a streaming writer's "unknown": to the end of the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from recorder.errors import BadRecording

PCM, EXTENSIBLE = 1, 0xFFFE
UNKNOWN_SIZE = 0xFFFFFFFF


@dataclass(frozen=True)
class WavLayout:
    format_tag: int
    channels: int
    rate: int
    width: int
    """Bytes per sample."""
    data_offset: int
    data_bytes: int
    """The audio to read: whole frames only."""
    repair: str | None
    """Why ``data_bytes`` is not what the header said; None when the header was right."""


def wav_layout(raw: bytes) -> WavLayout:
    """Where the audio is in ``raw``; :class:`BadRecording` (no file name) otherwise."""
    fmt, body, size = _data_chunk(raw)
    return _with_data(fmt, raw, body, size)


def audio_format(head: bytes) -> tuple[int, int, int, int]:
    """(channels, rate, bytes per sample, offset of the audio) from the first bytes of a file
    still being written: the sizes in its header are not checked (they are not final yet)."""
    (_, channels, rate, width), body, _ = _data_chunk(head)
    return channels, rate, width, body


def _data_chunk(raw: bytes) -> tuple[tuple[int, int, int, int], int, int]:
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise BadRecording("not a PCM WAV file (no RIFF/WAVE header)")
    fmt: tuple[int, int, int, int] | None = None
    pos = 12
    while pos + 8 <= len(raw):
        ident, size = raw[pos : pos + 4], struct.unpack_from("<I", raw, pos + 4)[0]
        body = pos + 8
        if ident == b"data":
            if fmt is None:
                raise BadRecording("no fmt chunk before the audio")
            return fmt, body, size
        if ident == b"fmt ":
            fmt = _format(raw, body, size)
        pos = body + size + (size & 1)
    raise BadRecording("no data chunk: the file ends before any audio")


def _format(raw: bytes, body: int, size: int) -> tuple[int, int, int, int]:
    if size < 16 or body + size > len(raw):
        raise BadRecording(f"fmt chunk runs past the end of the file ({size} bytes)")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", raw, body)
    if tag not in (PCM, EXTENSIBLE):
        raise BadRecording(f"not PCM (format {tag}); only 16-bit PCM is taken")
    return tag, channels, rate, (bits + 7) // 8


def _with_data(fmt: tuple[int, int, int, int], raw: bytes, body: int, declared: int) -> WavLayout:
    tag, channels, rate, width = fmt
    frame = max(channels * width, 1)
    present = len(raw) - body
    repair = None
    size = declared
    if declared == UNKNOWN_SIZE or (declared < present and not _chunks_fill(raw, body, declared)):
        size = present - present % frame
        repair = _stale(declared, present, frame, rate)
    elif declared > present:
        raise BadRecording(
            f"truncated: header says {declared // frame} frames, file has {present // frame}"
        )
    return WavLayout(tag, channels, rate, width, body, size - size % frame, repair)


def _chunks_fill(raw: bytes, body: int, declared: int) -> bool:
    """Whether the bytes after the declared audio are whole chunks up to the end of the file
    (a missing last pad byte forgiven): then the header is right and they are not audio."""
    pos = body + declared + (declared & 1)
    while pos + 8 <= len(raw):
        ident = raw[pos : pos + 4]
        if not all(0x20 <= b <= 0x7E for b in ident):
            return False
        size = struct.unpack_from("<I", raw, pos + 4)[0]
        pos += 8 + size + (size & 1)
    return pos in (len(raw), len(raw) + 1)


def _stale(declared: int, present: int, frame: int, rate: int) -> str:
    said = "an unknown size" if declared == UNKNOWN_SIZE else _seconds(declared, frame, rate)
    note = (
        f"stale WAV header: it said {said} of audio, the file holds "
        f"{_seconds(present, frame, rate)}; read to the end of the file"
    )
    if present % frame:
        note += f" ({present % frame} bytes of a partial frame dropped)"
    return note


def _seconds(size: int, frame: int, rate: int) -> str:
    return f"{size // frame / rate if rate else 0.0:.1f} s ({size} bytes)"
