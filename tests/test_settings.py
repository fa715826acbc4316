"""A misconfigured environment stops the process with a message that names
the variable, whichever kind of value it holds."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    base.update(DJANGO_DEBUG="1", **env)
    return subprocess.run([sys.executable, "-c", "import procurement.settings"], env=base, cwd=ROOT,
                          capture_output=True, text=True)


@pytest.mark.parametrize(("name", "expected"), [
    ("EMAIL_PORT", "EMAIL_PORT must be a whole number, got 'abc'"),
    ("PROCUREMENT_SCHEDULER_INTERVAL", "PROCUREMENT_SCHEDULER_INTERVAL must be a number, got 'abc'"),
])
def test_a_malformed_number_is_refused_by_name(name, expected):
    result = load_settings(**{name: "abc"})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {expected}" in result.stderr


def test_a_fractional_scheduler_interval_is_accepted():
    result = load_settings(PROCUREMENT_SCHEDULER_INTERVAL="0.5")

    assert result.returncode == 0, result.stderr
