"""kyudo/allocator.py: imported before pyarrow, kyudo has mimalloc keep freed
pages and leaves no trace in the environment; imported after, it can do
nothing; a user's own setting wins. Each case needs a fresh interpreter, since
mimalloc reads its options once."""
import os
import platform
import subprocess
import sys

import pytest

PROBE = ("import os, kyudo; "
         "print(os.environ.get('MIMALLOC_PURGE_DELAY'), kyudo.allocator.mimalloc_tuned, kyudo.allocator.glibc_tuned)")


def _run(code: str, **env: str) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if k != "MIMALLOC_PURGE_DELAY"} | env
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True)
    return done.stdout.split()


GLIBC = str(sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc")


def test_imported_first_kyudo_keeps_mimalloc_pages_and_tunes_glibc():
    """The variable is gone again: child processes see the user's environment."""
    assert _run(PROBE) == ["None", "True", GLIBC]


def test_imported_after_pyarrow_kyudo_is_too_late_for_mimalloc():
    assert _run("import pyarrow; " + PROBE) == ["None", "False", GLIBC]


def test_a_users_own_purge_delay_is_kept():
    assert _run(PROBE, MIMALLOC_PURGE_DELAY="50") == ["50", "False", GLIBC]
    assert _run(PROBE, MIMALLOC_PURGE_DELAY="-1") == ["-1", "True", GLIBC]


def test_mimalloc_reads_the_setting_when_pyarrow_loads():
    """mimalloc's own report of its options (MIMALLOC_VERBOSE) shows the purge delay."""
    done = subprocess.run([sys.executable, "-c", "import kyudo, pyarrow; pyarrow.array([1])"],
                          capture_output=True, text=True, check=True,
                          env={k: v for k, v in os.environ.items() if k != "MIMALLOC_PURGE_DELAY"} | {"MIMALLOC_VERBOSE": "1"})
    report = done.stderr + done.stdout
    if "mimalloc" not in report:
        pytest.skip("this pyarrow's default pool is not mimalloc")
    assert "option 'purge_delay': -1" in report
