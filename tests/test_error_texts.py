"""Every error code the platform raises has its detail in Kazakh and Russian
(codes stay English): a new code without a text fails here."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from core.error_texts import LOCALISED_AT_SOURCE, TEXTS, localise

ROOT = Path(__file__).resolve().parent.parent
# DRF's own field codes come with DRF's own Kazakh and Russian messages.
DRF_CODES = {"invalid", "invalid_choice", "required"}


def raised_codes() -> set[str]:
    codes = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {".venv", "tests", "bench"}:
            continue
        codes.update(re.findall(r'code="([a-z_]+)"', path.read_text()))
    return codes


def test_every_raised_code_has_a_translated_detail():
    missing = sorted(raised_codes() - set(TEXTS) - LOCALISED_AT_SOURCE - DRF_CODES)

    assert missing == []


@pytest.mark.parametrize("language, expected", [("ru", "Укажите причину"), ("kk", "Себебін көрсетіңіз")])
def test_a_detail_is_given_in_the_request_language(language, expected):
    with translation.override(language):
        assert localise("reason_required", "Give a reason.").startswith(expected)
