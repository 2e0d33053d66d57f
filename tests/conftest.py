"""Test-wide settings: no per-example deadline for hypothesis (the shared CI machine's
load makes timings meaningless; speed is measured in benchmarks/, not in tests)."""

from hypothesis import settings

settings.register_profile("fasthpo", deadline=None)
settings.load_profile("fasthpo")


import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server_url():
    """A Redis server on loopback: ``FASTHPO_TEST_REDIS_URL`` (set by .ci/run), else one started here."""
    url = os.environ.get("FASTHPO_TEST_REDIS_URL")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no Redis server: install redis-server or set FASTHPO_TEST_REDIS_URL (.ci/run does)")
    port = _free_port()
    folder = tempfile.mkdtemp()
    server = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly",
                               "no", "--dir", folder], stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_prefix(redis_server_url):
    """A key prefix of its own for each test."""
    return f"test-{uuid.uuid4().hex}"
