"""How the bundled demo recording was made: synthesised speech of a transcript, cue by cue.

Each cue is spoken by espeak-ng (one voice per speaker), sped up when it would overrun its cue,
and placed at the cue's start time, so "play from 6:29" in the portal plays what the transcript
says at 6:29. Needs Debian's `espeak-ng` and `sox` (with `libsox-fmt-mp3`); not a runtime need.

    python docs/tools/demo_audio.py content/showcases/2025-05-failover-drills.vtt
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from ingest.transcripts import parse_vtt

VOICES = ("en-gb", "en-us", "en-gb-x-rp", "en-us+f3")
RATE = 16000


def _seconds(wav: Path) -> float:
    return float(subprocess.check_output(["soxi", "-D", str(wav)], text=True))


def main(transcript: Path) -> Path:
    cues = parse_vtt(transcript.read_text(encoding="utf-8")).segments
    voices: dict[str, str] = {}
    out = transcript.with_suffix(".mp3")
    with tempfile.TemporaryDirectory() as tmp:
        placed = []
        for i, cue in enumerate(cues):
            voice = voices.setdefault(cue.speaker or "", VOICES[len(voices) % len(VOICES)])
            raw = Path(tmp) / f"{i}.wav"
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", "165", "-w", str(raw), cue.text], check=True
            )
            room = max(cue.end - cue.start, 0.5)
            tempo = min(max(_seconds(raw) / room, 1.0), 1.8)
            fitted = Path(tmp) / f"{i}-at.wav"
            subprocess.run(
                ["sox", str(raw), "-r", str(RATE), "-c", "1", str(fitted), "tempo", f"{tempo:.3f}",
                 "pad", f"{cue.start:.3f}"],
                check=True,
            )  # fmt: skip
            placed.append(str(fitted))
        mixed = Path(tmp) / "mixed.wav"
        # Mix in groups: one sox process may not open a hundred files at once.
        groups = [placed[i : i + 40] for i in range(0, len(placed), 40)]
        parts = []
        for j, group in enumerate(groups):
            part = Path(tmp) / f"part{j}.wav"
            cmd = (
                ["sox", "-m", *group, str(part)] if len(group) > 1 else ["sox", group[0], str(part)]
            )
            subprocess.run([*cmd, "norm", "-3"] if len(group) > 1 else cmd, check=True)
            parts.append(str(part))
        cmd = ["sox", "-m", *parts, str(mixed)] if len(parts) > 1 else ["sox", parts[0], str(mixed)]
        subprocess.run(cmd, check=True)
        subprocess.run(["sox", str(mixed), "-C", "16", str(out), "norm", "-1"], check=True)
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1])))
