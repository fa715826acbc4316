import hashlib
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bids import services
from bids.models import Bid, BidVersion
from tenders.models import Tender

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender(make_tender):
    now = timezone.now()
    return make_tender(now=now - timedelta(hours=2), submission_deadline=now + timedelta(minutes=10),
                       clarification_deadline=now + timedelta(minutes=5))


def url(tender, suffix=""):
    return f"/api/tenders/{tender.pk}/{suffix}"


def submit(client, tender, amount="1000.00", **extra):
    return client.post(url(tender, "bids/"), {"amount": amount, "currency": "KZT", "answers": {}}, format="json",
                       **extra)


def test_submission_returns_a_signed_receipt(tender, supplier, as_user):
    response = submit(as_user(supplier), tender, "123.45")

    assert response.status_code == 201
    receipt = response.json()
    assert hashlib.sha256(receipt["content"].encode()).hexdigest() == receipt["sha256"]
    assert json.loads(receipt["content"])["amount"] == "123.45"
    verify = as_user(None).get("/api/receipts/verify/", {k: receipt[k] for k in
                                                         ("tender", "bid", "sha256", "received_at", "signature")})
    assert verify.json()["valid"] is True


def test_tampered_receipt_fails_verification(tender, supplier, as_user):
    receipt = submit(as_user(supplier), tender).json()
    later = receipt["received_at"].replace("Z", "1Z") if "." in receipt["received_at"] else receipt["received_at"]
    for field, value in [("sha256", "0" * 64), ("bid", receipt["bid"] + 1), ("received_at", later + "x")]:
        params = {k: receipt[k] for k in ("tender", "bid", "sha256", "received_at", "signature")}
        params[field] = value
        assert as_user(None).get("/api/receipts/verify/", params).json()["valid"] is False


def test_verify_rejects_malformed_input_with_400(api):
    response = api.get("/api/receipts/verify/", {"tender": "x", "signature": "zz"})
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid", "required"}


def test_platform_public_key_is_published(api, tender, supplier, as_user):
    receipt = submit(as_user(supplier), tender).json()
    key = api.get("/api/receipts/public-key/").json()
    assert key["algorithm"] == "Ed25519" and key["public_key"] == receipt["public_key"]


def test_idempotent_retry_returns_the_same_receipt_and_stores_once(tender, supplier, as_user):
    client = as_user(supplier)
    first = submit(client, tender, HTTP_IDEMPOTENCY_KEY="k-1")
    again = submit(client, tender, HTTP_IDEMPOTENCY_KEY="k-1")

    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert {k: again.json()[k] for k in ("bid", "sha256", "received_at", "signature")} == \
        {k: first.json()[k] for k in ("bid", "sha256", "received_at", "signature")}
    assert BidVersion.objects.count() == 1 and Tender.objects.get(pk=tender.pk).bid_count == 1


def test_idempotency_key_with_another_body_is_refused(tender, supplier, as_user):
    client = as_user(supplier)
    submit(client, tender, "10.00", HTTP_IDEMPOTENCY_KEY="k-2")
    response = submit(client, tender, "11.00", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"


def test_replace_and_withdraw_through_the_api(tender, supplier, as_user):
    client = as_user(supplier)
    bid = submit(client, tender, "10.00").json()["bid"]

    replaced = client.put(url(tender, f"bids/{bid}/"), {"amount": "9.00", "currency": "KZT"}, format="json")
    assert replaced.status_code == 201 and replaced.json()["version"] == 2

    withdrawn = client.post(url(tender, f"bids/{bid}/withdraw/"))
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert len(withdrawn.json()["versions"]) == 2


def test_supplier_sees_only_its_own_sealed_bid(tender, supplier, make_supplier, as_user):
    submit(as_user(supplier), tender, "10.00")
    other = make_supplier()
    submit(as_user(other), tender, "20.00")

    own = as_user(supplier).get(url(tender, "bids/")).json()
    assert len(own) == 1 and own[0]["supplier"]["id"] == supplier.organisation_id
    assert own[0]["sealed"] is True and "amount" not in own[0]


@pytest.mark.parametrize("role", ["public", "officer", "staff"])
def test_before_opening_others_see_only_the_count(role, tender, supplier, officer, staff, as_user):
    bid = submit(as_user(supplier), tender).json()["bid"]
    viewer = {"public": None, "officer": officer, "staff": staff}[role]
    client = as_user(viewer)

    assert client.get(url(tender, "bids/")).json() == []
    assert client.get(url(tender, f"bids/{bid}/")).status_code == 404
    assert client.get(url(tender)).json()["bid_count"] == 1
    opening = client.get(url(tender, "opening/"))
    assert opening.status_code == 409 and opening.json()["code"] == "not_opened"


def test_officer_cannot_bid(tender, officer, as_user):
    response = submit(as_user(officer), tender)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_anonymous_cannot_bid(tender, api):
    response = submit(api, tender)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("body, code", [
    ({"amount": "abc", "currency": "KZT"}, "invalid"),
    ({"amount": "-5", "currency": "KZT"}, "min_value"),
    ({"amount": "1.001", "currency": "KZT"}, "max_decimal_places"),
    ({"currency": "KZT"}, "required"),
    ({"amount": "5", "currency": "kzt"}, "invalid"),
    ({"amount": "5", "currency": "USD"}, "currency_mismatch"),
    ({"amount": "5", "currency": "KZT", "answers": [1, 2]}, "answers_invalid"),
    ({"amount": "1e400", "currency": "KZT"}, "max_digits"),
])
def test_bad_bids_get_400_with_a_code(body, code, tender, supplier, as_user):
    response = as_user(supplier).post(url(tender, "bids/"), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert not Bid.objects.exists()


def test_late_bid_gets_409_deadline_passed(make_tender, supplier, as_user):
    now = timezone.now()
    tender = make_tender(now=now - timedelta(hours=2), submission_deadline=now - timedelta(seconds=1),
                         clarification_deadline=now - timedelta(minutes=1))
    response = submit(as_user(supplier), tender)
    assert response.status_code == 409
    assert response.json()["code"] == "deadline_passed" and "deadline" in response.json()


def test_bid_with_documents_over_multipart(tender, supplier, as_user):
    document = SimpleUploadedFile("offer.txt", b"technical offer", content_type="text/plain")
    response = as_user(supplier).post(url(tender, "bids/"), {"amount": "77.00", "currency": "KZT",
                                                             "answers": "{}", "documents": [document]},
                                      format="multipart")
    assert response.status_code == 201, response.content
    sent = json.loads(response.json()["content"])["documents"]
    assert sent == [{"name": "offer.txt", "size": 15, "content_type": "text/plain",
                     "sha256": hashlib.sha256(b"technical offer").hexdigest()}]


def test_after_opening_bids_and_documents_are_public(tender, supplier, api, as_user):
    document = SimpleUploadedFile("offer.txt", b"technical offer", content_type="text/plain")
    as_user(supplier).post(url(tender, "bids/"), {"amount": "77.00", "currency": "KZT", "documents": [document]},
                           format="multipart")
    services.open_tender(tender.pk, now=Tender.objects.get(pk=tender.pk).submission_deadline)

    bids = api.get(url(tender, "bids/")).json()
    assert bids[0]["amount"] == "77.00" and bids[0]["sealed"] is False
    downloaded = api.get(bids[0]["documents"][0]["url"])
    assert downloaded.status_code == 200 and b"".join(downloaded) == b"technical offer"
    opening = api.get(url(tender, "opening/")).json()
    assert opening["bids"][0]["amount"] == "77.00"


def test_receipt_round_trip_through_the_opening_record(tender, supplier, api, as_user):
    # given a bidder keeps what it sent
    sent = {"amount": "1500.50", "currency": "KZT", "answers": {}}
    receipt = as_user(supplier).post(url(tender, "bids/"), sent, format="json").json()
    # when the bidder rebuilds the canonical content itself (README: canonical form), from what it sent
    # and the platform's nonce for this submission
    nonce = json.loads(receipt["content"])["nonce"]
    rebuilt = json.dumps({"tender": tender.pk, "supplier": supplier.organisation.tax_id,
                          "amount": sent["amount"], "currency": sent["currency"], "answers": {},
                          "documents": [], "nonce": nonce}, sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False)
    mine = hashlib.sha256(rebuilt.encode()).hexdigest()
    services.open_tender(tender.pk, now=Tender.objects.get(pk=tender.pk).submission_deadline)
    # then its own hash is in the public opening record, for its bid
    record = api.get(url(tender, "opening/")).json()["bids"]
    assert mine == receipt["sha256"]
    assert [(row["bid"], row["sha256"]) for row in record] == [(receipt["bid"], mine)]


def test_document_names_with_quotes_download_with_a_well_formed_header(tender, supplier, api, as_user):
    document = SimpleUploadedFile('offer "final".txt', b"text", content_type="text/plain")
    as_user(supplier).post(url(tender, "bids/"), {"amount": "5.00", "currency": "KZT", "documents": [document]},
                           format="multipart")
    services.open_tender(tender.pk, now=Tender.objects.get(pk=tender.pk).submission_deadline)

    bid = api.get(url(tender, "bids/")).json()[0]
    response = api.get(bid["documents"][0]["url"])

    assert response["Content-Disposition"] == 'attachment; filename="offer \\"final\\".txt"'


def _bid_with_document(tender, supplier, as_user) -> int:
    document = SimpleUploadedFile("offer.txt", b"Our technical offer", content_type="text/plain")
    response = as_user(supplier).post(url(tender, "bids/"), {"amount": "1000.00", "currency": "KZT",
                                                             "documents": [document]}, format="multipart")
    assert response.status_code == 201
    return response.json()["bid"]


def test_an_opened_bids_document_is_served_decrypted_to_anyone(tender, supplier, as_user, api):
    # given a bid with a document, opened at the deadline
    bid = _bid_with_document(tender, supplier, as_user)
    services.open_tender(tender.pk, now=tender.submission_deadline)
    # when
    response = api.get(url(tender, f"bids/{bid}/documents/0/"))
    # then
    assert response.status_code == 200
    assert response.content == b"Our technical offer"
    assert response["Content-Type"] == "text/plain"
    assert 'filename="offer.txt"' in response["Content-Disposition"]


def test_a_bid_document_is_sealed_for_its_own_bidder_before_the_opening(tender, supplier, as_user):
    bid = _bid_with_document(tender, supplier, as_user)

    response = as_user(supplier).get(url(tender, f"bids/{bid}/documents/0/"))

    assert response.status_code == 403
    assert response.json()["code"] == "sealed"


def test_a_bid_document_past_the_last_position_is_404(tender, supplier, as_user, api):
    bid = _bid_with_document(tender, supplier, as_user)
    services.open_tender(tender.pk, now=tender.submission_deadline)

    assert api.get(url(tender, f"bids/{bid}/documents/1/")).status_code == 404


def test_after_the_opening_anyone_recomputes_each_bids_hash_from_the_public_record(tender, supplier, make_supplier,
                                                                                    api, as_user):
    # given two bids, one with a document
    as_user(supplier).post(url(tender, "bids/"), {"amount": "1500.50", "currency": "KZT"}, format="json")
    document = SimpleUploadedFile("offer.txt", b"our offer", content_type="text/plain")
    as_user(make_supplier()).post(url(tender, "bids/"), {"amount": "1499.00", "currency": "KZT",
                                                        "documents": [document]}, format="multipart")
    services.open_tender(tender.pk, now=Tender.objects.get(pk=tender.pk).submission_deadline)
    # when a citizen rebuilds each canonical content from what the API publishes
    published = {row["bid"]: row["sha256"] for row in api.get(url(tender, "opening/")).json()["bids"]}
    for bid in api.get(url(tender, "bids/")).json():
        content = {"tender": tender.pk, "supplier": bid["supplier"]["tax_id"], "amount": bid["amount"],
                   "currency": bid["currency"], "answers": bid["answers"], "nonce": bid["nonce"],
                   "documents": [{k: v for k, v in d.items() if k != "url"} for d in bid["documents"]]}
        rebuilt = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        # then its hash is the one in the opening record and in the bidder's receipt
        assert hashlib.sha256(rebuilt.encode()).hexdigest() == bid["sha256"] == published[bid["id"]]


def test_a_retry_gets_the_same_receipt_with_its_content(tender, supplier, as_user):
    client = as_user(supplier)
    body = {"amount": "777.00", "currency": "KZT"}
    first = client.post(url(tender, "bids/"), body, format="json", HTTP_IDEMPOTENCY_KEY="lost-answer").json()
    retry = client.post(url(tender, "bids/"), body, format="json", HTTP_IDEMPOTENCY_KEY="lost-answer")
    assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first  # the content (and its nonce) included: the bidder can still recompute its hash
