"""The admin shows the records only the services write (they audit and
announce every change) but never adds, edits or deletes them."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tenders import services
from tenders.models import Amendment, TenderDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def document(make_tender, officer) -> TenderDocument:
    tender = make_tender()
    upload = SimpleUploadedFile("spec.txt", b"Specification", content_type="text/plain")
    return services.add_document(tender.pk, by=officer, upload=upload, title="Specification")


@pytest.fixture
def amendment(make_tender, officer) -> Amendment:
    tender = make_tender()
    return services.amend_tender(tender.pk, by=officer, rationale="More time",
                                 submission_deadline=tender.submission_deadline + timedelta(days=1))


@pytest.mark.parametrize("record", ["document", "amendment"])
def test_staff_cannot_delete_a_record_the_services_wrote(record, admin_client, request):
    # given
    obj = request.getfixturevalue(record)
    path = f"/admin/tenders/{obj._meta.model_name}/{obj.pk}/"
    # when
    response = admin_client.post(path + "delete/", {"post": "yes"})
    # then
    assert response.status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert admin_client.get(path + "change/").status_code == 200  # still readable


@pytest.mark.parametrize("model", ["tenderdocument", "amendment"])
def test_staff_cannot_add_a_record_the_services_write(model, admin_client):
    assert admin_client.get(f"/admin/tenders/{model}/add/").status_code == 403

