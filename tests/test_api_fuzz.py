"""schemathesis against the live schema, on a real server process.

The demo data (``seed_demo``: tenders in every state) is loaded into this
run's test database, an ASGI server process serves it, and the schemathesis
CLI runs every phase (the schema's own examples, coverage, fuzzing, stateful
links) with every check, four times: as an anonymous visitor, a supplier, an
officer and an evaluator of a committee that has declared. Each run is
bounded (``API_FUZZ_SECONDS`` per role, 60 by default; ``API_FUZZ_EXAMPLES``
cases per operation and phase). It must find nothing: no server error, no
response outside the schema (status, content type, body), no valid request
refused nor invalid one accepted.

Heavy: PostgreSQL + Redis only (the CI's second run), like the other
live-server tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from accounts import tokens

from accounts.models import User
from tests.test_multiprocess import processes, wait_until_serving  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

pytestmark = [
    pytest.mark.live_server_pg,
    pytest.mark.skipif(not (os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
                            and os.environ.get("REDIS_URL")),
                       reason="needs DATABASE_URL on PostgreSQL and REDIS_URL"),
    pytest.mark.timeout(900),
]

# Every check about a single response. ``valid_data_accepted``
# (tests/schemathesis_hooks.py) stands in for ``positive_data_acceptance``:
# it also fails a valid request refused with a validation code, and lets
# through only the operation's documented domain refusals. Checks that need
# a second identity or a resource model schemathesis cannot infer are out.
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance,negative_data_rejection,valid_data_accepted,"
          "missing_required_header,unsupported_method,allow_header_conformance")


def _evaluator() -> User:
    """An officer of the buyer, named to a best-value committee in evaluation, declared."""
    from evaluation import services as evaluation
    from tenders.models import Status, Tender
    officer = User.objects.get(username="astana.officer")
    deputy = User.objects.get(username="astana.deputy")
    tender = Tender.objects.filter(status=Status.EVALUATION, award_method="best_value",
                                   buyer_id=officer.organisation_id).order_by("pk").first()
    if tender is not None:
        evaluation.add_evaluators(tender.pk, by=officer, user_ids=[officer.pk, deputy.pk])
        evaluation.declare_no_conflict(tender.pk, by=deputy, statement="No conflict.")
    return deputy


@pytest.fixture
def seeded(db):
    from django.core.management import call_command
    call_command("seed_demo", verbosity=0)
    return {
        "anonymous": None,
        "supplier": User.objects.get(username="qazaqzhol"),
        "officer": User.objects.get(username="astana.officer"),
        "evaluator": _evaluator(),
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["anonymous", "supplier", "officer", "evaluator"])
def test_schemathesis_finds_nothing(role, seeded, processes, tmp_path):  # noqa: F811
    address = processes.server()
    wait_until_serving(address)
    user = seeded[role]
    headers = [] if user is None else ["-H", f"Authorization: Token {tokens.issue(user)}"]
    seconds = os.environ.get("API_FUZZ_SECONDS", "60")
    command = [str(SCHEMATHESIS), "run", f"http://{address}/api/schema/?format=json", "--checks", CHECKS,
               "--max-time", seconds, "--max-examples", os.environ.get("API_FUZZ_EXAMPLES", "30"),
               "--workers", "1", "--request-timeout", "20", "--seed", os.environ.get("API_FUZZ_SEED", "1"),
               "--suppress-health-check", "all", "--no-color", "--output-truncate", "true",
               "--report", "junit", "--report-dir", str(tmp_path), *headers]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=int(seconds) * 3 + 300,
                          env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks", "PYTHONPATH": str(ROOT)})
    report = done.stdout[-20000:] + done.stderr[-5000:]
    assert done.returncode == 0, f"schemathesis as {role} found problems:\n{report}\n{processes.output()}"
