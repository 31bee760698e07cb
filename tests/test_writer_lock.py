"""The single-writer lock names its holder and never outlives a killed holder."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from index.errors import WriterBusyError
from index.lock import WriterLock


def test_second_writer_is_refused_with_the_holder_named(tmp_path):
    with WriterLock(tmp_path), pytest.raises(WriterBusyError, match=r"pid \d+"):
        WriterLock(tmp_path).acquire()


def test_lock_of_a_killed_process_is_free(tmp_path):
    code = (
        "import sys, time; sys.path.insert(0, '.');"
        "from index.lock import WriterLock; from pathlib import Path;"
        f"WriterLock(Path({str(tmp_path)!r})).acquire(); print('locked', flush=True); time.sleep(60)"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
            with pytest.raises(WriterBusyError):
                WriterLock(tmp_path).acquire()
        finally:
            proc.kill()
            proc.wait()
    deadline = time.time() + 5
    while True:
        try:
            WriterLock(tmp_path).acquire()
            break
        except WriterBusyError:
            assert time.time() < deadline
            time.sleep(0.05)
