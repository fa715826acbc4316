"""Helpers shared by the transparency tests (audit, clarifications, OCDS,
notifications): drive a tender through its states with the real services."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from bids import services as bid_services
from clarifications import services as clarification_services
from tenders import services as tender_services


def submit(tender, supplier, amount: str = "100000000.00", **kwargs):
    content = bid_services.BidContent(amount=Decimal(amount), currency=tender.currency, answers={}, documents=[])
    return bid_services.submit_bid(tender.pk, by=supplier, content=content, **kwargs)


def open_now(tender) -> None:
    """Open the tender as the scheduler would, just after its deadline."""
    tender.refresh_from_db()
    assert bid_services.open_tender(tender.pk, now=tender.submission_deadline + timedelta(seconds=1))
    tender.refresh_from_db()


def pdf(name: str = "specification.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% test document\n", content_type="application/pdf")


def ask(tender, supplier, text: str = "Is night work allowed?"):
    return clarification_services.ask_question(tender.pk, by=supplier, text=text)


def answer(tender, officer, question, text: str = "Yes, from 22:00 to 06:00."):
    return clarification_services.answer_question(tender.pk, question.pk, by=officer, answer=text)


def amend(tender, officer, **changes):
    changes.setdefault("title", tender.title + " (amended)")
    return tender_services.amend_tender(tender.pk, by=officer, rationale="Scope clarified.", **changes)


class Listener:
    """A real channel-layer member of ``group``: collects what the services
    send after commit."""

    def __init__(self, group: str):
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(group, self.channel)

    def messages(self) -> list[dict]:
        import asyncio
        import json

        from asgiref.sync import async_to_sync

        received = []

        async def drain():
            while True:
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channel), 0.2)
                except asyncio.TimeoutError:
                    return
                received.append(json.loads(message["text"]))

        async_to_sync(drain)()
        return received
