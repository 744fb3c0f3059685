"""Small, real audio files for demo recordings.

A pool of distinct short WAV clips (8 kHz, mono, 16-bit PCM, 2-10 s of tones and noise)
is written once per recordings directory; every recording then gets its own path as a
hard link to one pool clip (a copy where hard links are impossible). Each recording is a
real, playable file that can be deleted on its own, while the demo uses only the disk
space of the pool (a few MB) however many recordings there are.
"""

from __future__ import annotations

import os
import shutil
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 8000
POOL_DIR = ".demo-pool"  # inside the recordings directory (same file system: hard links work)
POOL_SIZE = 16


@dataclass(frozen=True)
class Clip:
    path: Path
    duration_s: int
    size_bytes: int


def _clip_samples(index: int, seconds: int) -> np.ndarray:
    """A voice-like signal: two alternating 'speakers' of formant tones, pauses, line noise."""
    rng = np.random.default_rng(10_000 + index)
    t = np.arange(seconds * SAMPLE_RATE) / SAMPLE_RATE
    base_a, base_b = 110 + 15 * (index % 5), 190 + 20 * (index % 4)
    turn = (np.floor(t / rng.uniform(0.9, 1.8)) % 2).astype(bool)
    f0 = np.where(turn, base_a, base_b) * (1 + 0.08 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    voice = np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase)
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(3, 5) * t) ** 2
    pauses = (np.sin(2 * np.pi * 0.3 * t + index) > -0.7).astype(float)
    signal = 0.25 * voice * syllables * pauses + 0.02 * rng.standard_normal(t.size)
    return (np.clip(signal, -1, 1) * 32767).astype("<i2")


def write_wav(path: Path, samples: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(samples.tobytes())


def ensure_pool(recordings_dir: Path, size: int = POOL_SIZE) -> list[Clip]:
    """The clip pool under ``recordings_dir/.demo-pool``, created when missing."""
    pool = Path(recordings_dir) / POOL_DIR
    clips = []
    for i in range(size):
        seconds = 2 + (i * 5) % 9  # 2..10 s, all distinct pairs of (index, length)
        path = pool / f"clip_{i:02d}_{seconds}s.wav"
        if not path.exists():
            write_wav(path, _clip_samples(i, seconds))
        clips.append(Clip(path=path, duration_s=seconds, size_bytes=path.stat().st_size))
    return clips


def place(clip: Clip, target: Path) -> None:
    """Make ``target`` a hard link to the clip (copy when linking is not possible)."""
    try:
        target.unlink()
    except FileNotFoundError:
        pass
    try:
        os.link(clip.path, target)
    except OSError:
        shutil.copyfile(clip.path, target)
