"""Make ``mock_server/assets/speech.mp3``: one cycle of the mock's "speech", from which it builds every
text-to-speech MP3 (``mock_server/speech.py``) by repeating its frames.

    .venv/bin/python scripts/make_speech_asset.py   # needs PyAV (the dev extra), not the mock

The cycle is one syllable: 240 ms of a voiced sound (a gliding 150 Hz fundamental and four harmonics, under a
rising and falling envelope), then 48 ms of silence: 288 ms, twelve MP3 frames of 24 ms (MPEG-2 Layer III, 24
kHz, mono, 48 kbit/s constant: 144 bytes each). LAME's bit reservoir is off, so no frame borrows bits from the
one before: any run of them, in cycle order, is a valid MP3 that decodes to exactly 576 samples a frame. The
frames are taken from the middle of six encoded cycles, where the encoder has settled, so the cycle joins
itself without a click.
"""

from __future__ import annotations

import array
import math
from pathlib import Path

import av

RATE = 24_000
FRAME_SAMPLES = 576
CYCLE_FRAMES = 12
VOICED_SECONDS = 0.240
OUT = Path(__file__).resolve().parents[1] / "mock_server" / "assets" / "speech.mp3"


def syllable() -> list[float]:
    samples = FRAME_SAMPLES * CYCLE_FRAMES
    voiced = int(VOICED_SECONDS * RATE)
    out, phase = [], 0.0
    for i in range(samples):
        phase += 2 * math.pi * (150 + 30 * math.sin(2 * math.pi * i / samples)) / RATE
        envelope = math.sin(math.pi * i / voiced) ** 0.5 if i < voiced else 0.0
        harmonics = 0.5 * math.sin(phase) + 0.25 * math.sin(2 * phase) + 0.12 * math.sin(3 * phase)
        out.append(envelope * (harmonics + 0.06 * math.sin(5 * phase)))
    return out


def encode(signal: list[float]) -> list[bytes]:
    """The MP3 frames (one packet each) of ``signal``."""
    pcm = array.array("h", (int(x * 0.6 * 32767) for x in signal)).tobytes()
    codec = av.CodecContext.create("libmp3lame", "w")
    codec.sample_rate, codec.layout, codec.format, codec.bit_rate = RATE, "mono", "s16p", 48_000
    codec.options = {"reservoir": "0"}
    codec.open()
    packets: list[bytes] = []
    step = codec.frame_size
    for start in range(0, len(signal), step):
        chunk = pcm[2 * start : 2 * (start + step)]
        frame = av.AudioFrame(format="s16p", layout="mono", samples=len(chunk) // 2)
        frame.planes[0].update(chunk)
        frame.sample_rate, frame.pts = RATE, start
        packets += [bytes(packet) for packet in codec.encode(frame)]
    packets += [bytes(packet) for packet in codec.encode(None)]
    return packets


def main() -> None:
    packets = encode(syllable() * 6)
    cycle = packets[2 * CYCLE_FRAMES : 3 * CYCLE_FRAMES]
    assert {len(p) for p in cycle} == {144}, "constant bit rate: frames of one size"
    assert all(p[4] == 0 for p in cycle), "main_data_begin 0: no frame borrows bits from the one before"
    OUT.write_bytes(b"".join(cycle))
    print(f"{OUT}: {len(cycle)} frames, {len(cycle) * 144} bytes")


if __name__ == "__main__":
    main()
