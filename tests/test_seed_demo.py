"""`seed_demo` fills an empty database with tenders in every state, through
the services (so every audit chain verifies), and `--if-empty` is idempotent."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from audit.services import verify
from bids.models import Bid
from tenders.models import Status, Tender

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(capsys):
    call_command("seed_demo")
    return capsys.readouterr().out


def test_seed_demo_makes_at_least_30_tenders_in_every_state(seeded):
    assert Tender.objects.count() >= 30
    states = set(Tender.objects.values_list("status", flat=True))
    assert set(Status.values) == states


def test_seed_demo_has_every_available_method_in_every_state(seeded):
    from tenders import methods

    for method in methods.available():
        states = set(Tender.objects.filter(method=method.name).values_list("status", flat=True))
        assert states == set(Status.values), method.name
    direct = Tender.objects.filter(method="single_source", ground="failed_procurement").get()
    assert direct.failed_tender.status == Status.UNSUCCESSFUL


def test_seed_demo_audit_chains_verify(seeded):
    assert verify() == []


def test_seed_demo_tenders_have_kazakh_russian_and_english_titles(seeded):
    titles = " ".join(Tender.objects.values_list("title", flat=True))
    assert "Road repair" in titles and "Поставка" in titles and "жиһазын" in titles


def test_seed_demo_uses_kzt_and_known_cpv_codes(seeded):
    from tenders import cpv

    assert set(Tender.objects.values_list("currency", flat=True)) == {"KZT"}
    assert all(cpv.is_known(code) for code in Tender.objects.values_list("cpv", flat=True))


def test_seed_demo_active_tenders_hold_sealed_bids(seeded):
    sealed = Bid.objects.filter(tender__status=Status.ACTIVE)
    assert sealed.exists()
    assert not sealed.filter(opened_at__isnull=False).exists()
    assert not sealed.filter(amount__isnull=False).exists()


def test_seed_demo_tenders_in_evaluation_have_an_opening_record(seeded):
    for tender in Tender.objects.filter(status=Status.EVALUATION):
        assert tender.opened_at is not None
        assert Bid.objects.filter(tender=tender, opened_at__isnull=False).count() >= tender.min_bids


def test_seed_demo_prints_working_credentials(seeded, api):
    assert "demo-pass-2026" in seeded and "astana.officer" in seeded and "qazaqzhol" in seeded
    response = api.post("/api/auth/token/", {"username": "astana.officer", "password": "demo-pass-2026"},
                        format="json")
    assert response.status_code == 200
    assert User.objects.get(username="qazaqzhol").is_supplier


def test_seed_demo_if_empty_does_nothing_the_second_time(seeded, capsys):
    count = Tender.objects.count()
    call_command("seed_demo", "--if-empty")
    assert Tender.objects.count() == count
    assert "no demo data added" in capsys.readouterr().out


def test_seed_demo_refuses_a_database_with_tenders(make_tender):
    make_tender()
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert Tender.objects.count() == 1


def test_seed_demo_works_with_the_real_world_submission_period(settings, capsys):
    settings.PROCUREMENT_MIN_SUBMISSION_PERIOD = 15 * 24 * 3600
    call_command("seed_demo")
    assert Tender.objects.filter(status=Status.EVALUATION).exists()
    assert verify() == []
