"""Tender documents: upload by the owning officer (size and type limits),
public listing and download, refusals for everyone else."""

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bids.models import Bid
from core.errors import WrongState
from tenders import services
from tenders.models import Amendment

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name="specification.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def upload(client, tender, **data):
    data.setdefault("file", pdf())
    return client.post(f"/api/tenders/{tender.pk}/documents/", data, format="multipart")


def test_the_owner_uploads_a_document(make_tender, as_user, officer):
    tender = make_tender()
    response = upload(as_user(officer), tender, title="Technical specification",
                      document_type="technicalSpecifications")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["title"] == "Technical specification"
    assert body["document_type"] == "technicalSpecifications"
    assert body["filename"] == "specification.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_a_document_is_listed_and_downloaded_by_the_public(make_tender, as_user, officer):
    tender = make_tender()
    document = upload(as_user(officer), tender).json()
    public = as_user(None)
    listed = public.get(f"/api/tenders/{tender.pk}/documents/").json()
    assert [d["id"] for d in listed] == [document["id"]]
    response = public.get(document["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]


def test_a_document_shows_on_the_tender(make_tender, as_user, officer):
    tender = make_tender()
    upload(as_user(officer), tender)
    assert len(as_user(None).get(f"/api/tenders/{tender.pk}/").json()["documents"]) == 1


def test_the_title_defaults_to_the_filename(make_tender, as_user, officer):
    tender = make_tender(publish=False)
    body = upload(as_user(officer), tender, file=pdf("Техникалық ерекшелік.pdf")).json()
    assert body["title"] == "Техникалық ерекшелік.pdf"


@pytest.mark.parametrize("name, content_type", [
    ("bill.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("notes.txt", "text/plain"),
    ("drawing.png", "image/png"),
])
def test_accepted_document_types(make_tender, as_user, officer, name, content_type):
    tender = make_tender()
    response = upload(as_user(officer), tender, file=SimpleUploadedFile(name, b"content", content_type))
    assert response.status_code == 201
    assert response.json()["content_type"] == content_type


def test_a_too_large_document_is_refused(make_tender, as_user, officer, settings):
    settings.PROCUREMENT_MAX_DOCUMENT_BYTES = len(PDF) - 1
    tender = make_tender()
    response = upload(as_user(officer), tender)
    assert response.status_code == 400
    assert response.json()["code"] == "document_too_large"


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "script.js", "noextension"])
def test_a_document_of_another_type_is_refused(make_tender, as_user, officer, name):
    tender = make_tender()
    response = upload(as_user(officer), tender,
                      file=SimpleUploadedFile(name, b"MZ\x90\x00", content_type="application/octet-stream"))
    assert response.status_code == 400
    assert response.json()["code"] == "document_type_not_allowed"


def test_an_empty_document_is_refused(make_tender, as_user, officer):
    tender = make_tender()
    response = upload(as_user(officer), tender, file=pdf(content=b""))
    assert response.status_code == 400
    assert response.json()["code"] == "document_empty"


def test_an_unknown_document_type_code_is_refused(make_tender, as_user, officer):
    tender = make_tender()
    response = upload(as_user(officer), tender, document_type="secretSauce")
    assert response.status_code == 400
    assert response.json()["code"] == "document_type_unknown"


def test_an_upload_without_a_file_is_refused(make_tender, as_user, officer):
    tender = make_tender()
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/documents/", {"title": "x"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "required"


def test_a_json_upload_is_415(make_tender, as_user, officer):
    tender = make_tender()
    response = as_user(officer).post(f"/api/tenders/{tender.pk}/documents/", {"file": "x"}, format="json")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("role, status", [("public", 401), ("supplier", 403), ("staff", 403),
                                          ("other_officer", 403)])
def test_no_one_else_uploads(make_tender, as_user, request, role, status):
    tender = make_tender()
    user = None if role == "public" else request.getfixturevalue(role)
    assert upload(as_user(user), tender).status_code == status
    assert not tender.documents.exists()


def test_another_officer_does_not_see_a_drafts_documents(make_tender, as_user, officer, other_officer):
    tender = make_tender(publish=False)
    document = upload(as_user(officer), tender).json()
    stranger = as_user(other_officer)
    assert stranger.get(f"/api/tenders/{tender.pk}/documents/").status_code == 404
    assert stranger.get(document["url"]).status_code == 404
    assert upload(stranger, tender).status_code == 404


def test_an_unknown_document_is_404(make_tender, api):
    tender = make_tender()
    assert api.get(f"/api/tenders/{tender.pk}/documents/12345/download/").status_code == 404


def test_a_cancelled_tender_takes_no_documents(make_tender, as_user, officer):
    tender = make_tender()
    services.cancel_tender(tender.pk, by=officer, reason="Budget withdrawn")
    response = upload(as_user(officer), tender)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"


def test_no_document_after_the_submission_deadline(make_tender, officer):
    tender = make_tender()
    with pytest.raises(WrongState) as refused:
        services.add_document(tender.pk, by=officer, upload=pdf(),
                              now=tender.submission_deadline + timedelta(seconds=1))
    assert refused.value.code == "deadline_passed"


def test_an_upload_is_audited_with_its_hash(make_tender, as_user, officer):
    tender = make_tender()
    upload(as_user(officer), tender)
    entries = as_user(None).get(f"/api/tenders/{tender.pk}/audit/").json()["entries"]
    entry = next(e for e in entries if e["event"] == "document_added")
    assert entry["data"]["sha256"] == hashlib.sha256(PDF).hexdigest()


# --- a document added to an active tender is an amendment ----------------------------

def bid_on(tender, supplier):
    from bids import services as bid_services
    return bid_services.submit_bid(tender.pk, by=supplier, content=bid_services.BidContent(
        amount=Decimal("100.00"), currency="KZT", answers={}, documents=[]))


def test_a_document_added_close_to_the_deadline_extends_it_and_bids_must_be_confirmed(
        make_tender, as_user, officer, supplier, settings):
    # given an active tender closing sooner than the amendment period, with a bid on it
    now = timezone.now()
    period = timedelta(seconds=settings.PROCUREMENT_MIN_AMENDMENT_PERIOD)
    tender = make_tender(now=now - timedelta(days=20), clarification_deadline=now + period / 4,
                         submission_deadline=now + period / 2)
    receipt = bid_on(tender, supplier)
    # when the officer adds a document, saying why
    response = upload(as_user(officer), tender, title="Revised drawings", rationale="Drawings corrected")
    # then it is an amendment: recorded with the reason, the deadline pushed out, the bid to be confirmed
    assert response.status_code == 201
    tender.refresh_from_db()
    assert tender.submission_deadline >= now + timedelta(seconds=settings.PROCUREMENT_MIN_AMENDMENT_PERIOD)
    amendment = as_user(None).get(f"/api/tenders/{tender.pk}/").json()["amendments"][-1]
    assert amendment["rationale"] == "Drawings corrected" and amendment["deadline_extended"] is True
    assert amendment["changes"]["documents"]["to"]["title"] == "Revised drawings"
    assert Bid.objects.get(pk=receipt.bid).needs_confirmation is True


def test_a_document_added_long_before_the_deadline_moves_nothing_but_is_still_an_amendment(
        make_tender, as_user, officer, supplier):
    tender = make_tender()
    deadline = tender.submission_deadline
    receipt = bid_on(tender, supplier)
    assert upload(as_user(officer), tender, title="Annex 2").status_code == 201
    tender.refresh_from_db()
    amendment = as_user(None).get(f"/api/tenders/{tender.pk}/").json()["amendments"][-1]
    assert tender.submission_deadline == deadline and amendment["deadline_extended"] is False
    assert amendment["rationale"] == "Document added: Annex 2"
    assert Bid.objects.get(pk=receipt.bid).needs_confirmation is True


def test_a_document_added_to_a_draft_is_not_an_amendment(make_tender, as_user, officer):
    tender = make_tender(publish=False)
    assert upload(as_user(officer), tender).status_code == 201
    assert not Amendment.objects.filter(tender=tender).exists()


def test_no_document_is_added_to_an_active_tender_after_its_clarification_deadline(make_tender, as_user, officer,
                                                                                   settings):
    # given an active tender whose clarification deadline has passed (questions are closed)
    now = timezone.now()
    tender = make_tender(now=now - timedelta(days=20), clarification_deadline=now + timedelta(minutes=10),
                         submission_deadline=now + timedelta(days=2))
    later = now + timedelta(minutes=20)
    # when the officer adds a document then: refused, as an amendment leaving no time for questions is
    with pytest.raises(WrongState) as refused:
        services.add_document(tender.pk, by=officer, upload=pdf(), now=later)
    assert refused.value.code == "clarification_deadline_past"
    assert not Amendment.objects.filter(tender=tender).exists()
