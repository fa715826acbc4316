"""The buyer's legal time zone (issue 23 item 2): the setting, the time zone
data the server reads, and the first paint's times named in it."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from frontend.templatetags.frontend import when, zone_label


def test_kazakhstan_is_one_zone_utc_plus_5_since_1_march_2024():
    # The tzdata this runs on (Debian's tzdata 2025b here; 2024a+ has the change)
    almaty = ZoneInfo("Asia/Almaty")
    assert datetime(2024, 2, 29, 12, tzinfo=UTC).astimezone(almaty).utcoffset().total_seconds() == 6 * 3600
    assert datetime(2024, 3, 1, 12, tzinfo=UTC).astimezone(almaty).utcoffset().total_seconds() == 5 * 3600
    assert datetime(2026, 12, 5, 12, tzinfo=UTC).astimezone(ZoneInfo("Asia/Qostanay")).utcoffset() \
        == datetime(2026, 12, 5, 12, tzinfo=UTC).astimezone(almaty).utcoffset()


def test_the_legal_time_zone_is_a_setting_defaulting_to_almaty(settings):
    assert settings.PROCUREMENT_LEGAL_TIME_ZONE == "Asia/Almaty"


def test_the_first_paint_writes_a_time_in_the_legal_zone_and_names_it(settings):
    with translation.override("en"):
        assert when("2026-12-05T12:00:00Z") == "Dec 5, 2026, 5:00:00\u202fPM (UTC+5, Almaty)"
    settings.PROCUREMENT_LEGAL_TIME_ZONE = "Europe/Berlin"
    with translation.override("ru"):
        assert when("2026-12-05T12:00:00Z").endswith("13:00:00 (UTC+1, Berlin)")


def test_zone_labels():
    moment = datetime(2026, 7, 1, tzinfo=UTC)
    assert zone_label(moment, "Asia/Kolkata") == "UTC+5:30, Kolkata"
    assert zone_label(moment, "America/New_York") == "UTC−4, New York"
    assert zone_label(moment, "UTC") == "UTC"


def test_the_registers_deadline_days_are_days_of_the_legal_time(settings):
    from django.http import QueryDict

    from frontend.params import api_query

    query = api_query(QueryDict("deadline_after=2026-12-25&deadline_before=2026-12-25"))
    assert query == {"deadline_after": "2026-12-25T00:00:00+05:00", "deadline_before": "2026-12-25T23:59:59+05:00"}
    assert api_query(QueryDict("deadline_after=2026-13-45")) == {"deadline_after": "2026-13-45"}  # the API's 400


@pytest.mark.django_db
def test_a_deadline_after_midnight_in_almaty_is_in_the_next_days_register(client, make_tender):
    # given a deadline at 20:00 UTC: 01:00 the next day in Almaty
    day = (timezone.now() + timedelta(days=20)).date()
    make_tender(title="Late-evening deadline",
                submission_deadline=datetime.combine(day, time(20, 0), tzinfo=UTC),
                clarification_deadline=timezone.now() + timedelta(days=10))
    # then the register page lists it under the Almaty day, not the UTC day
    assert "Late-evening deadline" not in client.get(f"/?deadline_before={day}").content.decode()
    assert "Late-evening deadline" in client.get(f"/?deadline_after={day + timedelta(days=1)}").content.decode()


def test_a_notification_names_the_deadline_in_the_legal_time():
    from core.isotime import legal

    assert legal(datetime(2026, 12, 25, 8, 0, tzinfo=UTC)) == "2026-12-25 13:00 (UTC+5, Asia/Almaty; 2026-12-25T08:00:00Z)"
