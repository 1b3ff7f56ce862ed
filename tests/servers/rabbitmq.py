"""A real RabbitMQ broker on 127.0.0.1 for the distributed scans (Celery's broker).

A node of its own: its name, AMQP and distribution ports, its own ``epmd`` (started
here, so nothing outlives the tests), data (``RABBITMQ_MNESIA_BASE``), logs, cookie and
configuration in a temporary folder. :meth:`Broker.restart` stops and starts the same
node on the same port with the same data (durable queues survive), for the tests of a
broker that goes away mid-scan.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from servers.common import die_with_parent, free_port, stop, tmpdir, unavailable, wait_listening

RABBIT = "/usr/lib/rabbitmq/bin/rabbitmq-server"
#: A broker's consumer timeout must exceed the longest a task may take (see the README).
CONSUMER_TIMEOUT_MS = 600_000


@dataclass
class Broker:
    port: int
    base: Path
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [RABBIT],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
            )
        # An Erlang node boots in 5-15 s, longer on a busy machine.
        wait_listening(self.proc, self.port, self.log, timeout=120)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        time.sleep(0.5)
        self.start()

    def ctl(self, *args: str) -> str:
        """``rabbitmqctl`` against this node (queue depths in the tests)."""
        return subprocess.run(
            ["/usr/lib/rabbitmq/bin/rabbitmqctl", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout


@pytest.fixture(scope="session")
def rabbitmq() -> Iterator[Broker]:
    with rabbitmq_node() as broker:
        yield broker


@contextlib.contextmanager
def rabbitmq_node() -> Iterator[Broker]:
    """A new node, started; stopped and removed on exit (also for ``tools``)."""
    if not os.access(RABBIT, os.X_OK):
        unavailable("rabbitmq-server is not installed (apt-get install rabbitmq-server)")
    epmd_bin = shutil.which("epmd") or "/usr/bin/epmd"
    if not os.access(epmd_bin, os.X_OK):
        unavailable("epmd (erlang-base) is not installed")
    base = tmpdir("pvscan-rabbit-")
    port, dist, epmd_port = free_port(), free_port(), free_port()
    (base / "rabbitmq.conf").write_text(
        "loopback_users = none\n"
        f"consumer_timeout = {CONSUMER_TIMEOUT_MS}\n"
        "log.console = true\nlog.file = false\n"
        "vm_memory_high_watermark.relative = 0.2\n"
        "disk_free_limit.absolute = 50MB\n"
    )
    (base / "enabled_plugins").write_text("[].\n")
    cookie = base / ".erlang.cookie"
    cookie.write_text(os.urandom(10).hex())
    cookie.chmod(0o400)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(base),
        "LANG": "C.UTF-8",
        "RABBITMQ_NODENAME": f"pvscan{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist),
        "ERL_EPMD_PORT": str(epmd_port),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(base / "rabbit.pid"),
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
    }
    epmd = subprocess.Popen(
        [epmd_bin, "-port", str(epmd_port), "-address", "127.0.0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    broker = Broker(port, base, env, base / "rabbitmq.out")
    try:
        wait_listening(epmd, epmd_port, base / "rabbitmq.out")
        broker.start()
        yield broker
    finally:
        broker.stop()
        stop(epmd)
        shutil.rmtree(base, ignore_errors=True)
