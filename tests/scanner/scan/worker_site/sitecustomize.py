"""Loaded by the `pvscan worker` processes the distributed tests start (through
``PYTHONPATH``), to give a worker what a test needs and nothing real can provide on
cue: items that take a while (so a kill lands mid-scan), an item that hangs, an item
that takes the whole worker down with it, and a worker that claims another version.
Keyed on environment variables and file names only; a plain worker is unchanged."""

import os
import signal
import time

if os.environ.get("PVSCAN_TEST_SLOW") or os.environ.get("PVSCAN_TEST_VERSION"):
    import pvscan
    import pvscan.engine.process as _process

    if os.environ.get("PVSCAN_TEST_VERSION"):
        pvscan.__version__ = os.environ["PVSCAN_TEST_VERSION"]

    _original = _process.Engine.process
    _delay = float(os.environ.get("PVSCAN_TEST_SLOW") or 0)

    def _process_item(self, ref):  # type: ignore[no-untyped-def]
        name = ref.display.rsplit("/", 1)[-1]
        if name.startswith("hang"):
            time.sleep(3600)
        if name.startswith("killer"):
            os.killpg(os.getpgid(0), signal.SIGKILL)  # the whole worker, as the OOM killer would
        time.sleep(_delay)
        return _original(self, ref)

    _process.Engine.process = _process_item
