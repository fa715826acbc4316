"""``manage.py check --deploy`` reports nothing for the production
environment the README documents."""

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
    "PROCUREMENT_PLATFORM_KEY": base64.b64encode(os.urandom(32)).decode(),
    "DJANGO_ALLOWED_HOSTS": "tenders.example.org",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
    "DJANGO_SSL_REDIRECT": "1",
    "DJANGO_HSTS_SECONDS": "31536000",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "1",
    "DJANGO_HSTS_PRELOAD": "1",
}


def production_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]


def test_the_readme_documents_the_production_environment_checked_here():
    section = production_section()
    for name in PRODUCTION_ENV:
        assert re.search(rf"\b{name}=", section), f"{name} is not in the README's production set-up"


def test_check_deploy_reports_nothing_for_the_documented_production_environment():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "PROCUREMENT_PLATFORM_KEY"))}
    env.update(PRODUCTION_ENV)
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
