"""Production never signs cookies with the development key or a short one (issue 19, high): such a key lets
anyone forge a session cookie, the admin's too."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eldercare import create_app
from eldercare.config import DEVELOPMENT_SECRET_KEY, TestConfig

from ..real_clock import environment

ROOT = Path(__file__).resolve().parents[2]


def _start_wsgi(**env) -> subprocess.CompletedProcess:
    """Import wsgi.py as gunicorn would, with only these settings in the environment."""
    environ = {k: v for k, v in environment().items()
               if k not in ("SECRET_KEY", "FIELD_KEY", "LOOKUP_KEY", "ELDERCARE_ENV", "DATABASE_URL")}
    environ.update(env, DATABASE_URL="sqlite://")
    # No timeout: a timed wait fails with EINVAL in CI's runs under libfaketime (tests/real_clock.py); importing
    # wsgi either fails at once or returns.
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=environ, capture_output=True,
                          text=True)


def test_production_without_a_secret_key_refuses_to_start():
    started = _start_wsgi(ELDERCARE_ENV="production")
    assert started.returncode != 0
    assert "SECRET_KEY" in started.stderr


def test_production_with_a_long_random_key_starts():
    # With the keys that seal ID numbers and phones, which production needs too (tests/security/test_sealed.py).
    started = _start_wsgi(ELDERCARE_ENV="production", SECRET_KEY="k" * 16 + os.urandom(16).hex(),
                          FIELD_KEY=os.urandom(32).hex(), LOOKUP_KEY=os.urandom(32).hex())
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize("key", [DEVELOPMENT_SECRET_KEY, "short-but-set", "x" * 31, ""])
def test_production_refuses_the_development_key_and_short_keys(key):
    config = type("Production", (TestConfig,), {"ELDERCARE_ENV": "production", "SECRET_KEY": key})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_development_and_tests_keep_their_convenient_keys():
    # A developer's machine starts without any setting; only production is strict.
    config = type("Development", (TestConfig,), {"ELDERCARE_ENV": "development",
                                                 "SECRET_KEY": DEVELOPMENT_SECRET_KEY})
    assert create_app(config).config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
