"""Shared pytest fixtures: a started hookd with the default Flagright configuration."""
import pytest

from harness import Hookd


@pytest.fixture
def hookd(tmp_path):
    d = Hookd(tmp_path).start()
    yield d
    d.stop()


@pytest.fixture
def make_hookd(tmp_path):
    """Factory for daemons with custom configurations; all are stopped afterwards."""
    made = []

    def make(config=None, plugins=None, env=None, start=True, sub=None):
        path = tmp_path / (sub or "d%d" % len(made))
        path.mkdir(exist_ok=True)
        d = Hookd(path, config, plugins, env)
        made.append(d)
        return d.start() if start else d

    yield make
    for d in made:
        if d.proc and d.proc.poll() is None:
            d.stop()
