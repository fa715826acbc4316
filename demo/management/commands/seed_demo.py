"""Fill an empty database with demo data: two buyers with officers, several
suppliers, and tenders in every state the services can reach — all made
through the services, so every audit chain is valid.

Each state has one function in ``STATES``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import cycle
from typing import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import taxid
from accounts.models import User
from accounts.services import create_officer, register_supplier
from auctions import schedule as auction_schedule
from auctions import selectors as auction_selectors
from auctions import services as auctions
from auctions.models import Auction
from bids import services as bid_services
from evaluation import selectors as evaluation_selectors
from evaluation import services as evaluation
from tenders import methods, services
from tenders.models import Tender

DEMO_PASSWORD = "demo-pass-2026"

BUYERS = {
    "astana": ("Akimat of Astana", ["astana.officer", "astana.deputy"]),
    "health": ("Ministry of Health of the Republic of Kazakhstan", ["health.officer"]),
}
BUYER_BIN_SEEDS = {"astana": "98040000101", "health": "99050000202"}  # their BINs (open data identifiers)

SUPPLIERS = [
    ("Qazaq Zhol Qurylys LLP", "qazaqzhol", "18040000101"),
    ("ТОО «Астана Медикал Трейд»", "astanamed", "19050000202"),
    ("Steppe Digital Solutions LLP", "steppedigital", "20060000303"),
    ("Saryarka Furniture JSC", "saryarka", "17030000404"),
    ("ТОО «Нур-Сервис Клининг»", "nurservice", "21070000505"),
    ("KazEnergoStroy LLP", "kazenergo", "16020000606"),
]

BEST_VALUE_CRITERIA = [{"name": "Warranty period", "weight": 20}, {"name": "Delivery time", "weight": 10}]


@dataclass(frozen=True)
class Spec:
    buyer: str
    title: str
    cpv: str
    amount: str
    description: str = ""
    best_value: bool = False


# (buyer, title, CPV 2008 code, estimated amount in KZT, description)
CATALOGUE = [
    Spec("astana", "Road repair on Kabanbay Batyr avenue", "45233140-2", "1250000000.00",
         "Resurfacing of 2.4 km of road, including markings and kerbs."),
    Spec("astana", "Қабанбай батыр даңғылындағы жаяу жүргіншілер жолын жөндеу", "45233140-2", "86500000.00",
         "Жаяу жүргіншілер жолының 1,8 км жабынын ауыстыру."),
    Spec("astana", "Ремонт внутриквартальных дорог района Алматы", "45233140-2", "412000000.00",
         "Асфальтирование дворовых территорий, 36 дворов."),
    Spec("astana", "Мектеп жиһазын сатып алу", "39160000-1", "47500000.00",
         "Оқушы партасы мен орындықтар, 300 жинақ, №12 мектеп.", best_value=True),
    Spec("astana", "Поставка школьной мебели для школы №45", "39160000-1", "38900000.00",
         "Парты, стулья, шкафы для 24 классов."),
    Spec("astana", "Street lighting modernisation, Yesil district", "31500000-1", "265000000.00",
         "Replacement of 1,400 sodium lamps with LED luminaires."),
    Spec("astana", "Көше жарықтандыруын жаңғырту, Сарыарқа ауданы", "31500000-1", "198000000.00",
         "900 шамды LED шамдарға ауыстыру."),
    Spec("astana", "Electricity supply for municipal buildings in 2027", "09310000-5", "540000000.00",
         "Supply of electricity to 64 municipal buildings for the calendar year."),
    Spec("astana", "Уборка и содержание общественных пространств", "90910000-9", "73400000.00",
         "Ежедневная уборка 12 скверов и 3 бульваров."),
    Spec("astana", "Әкімдік ғимараттарын жинау қызметтері", "90910000-9", "28700000.00",
         "Әкімдіктің 4 ғимаратын күнделікті жинау."),
    Spec("astana", "Construction of a water pipeline in Koktal", "45231300-8", "930000000.00",
         "12 km of ductile iron pipe with connections to 420 houses."),
    Spec("astana", "Строительство канализационного коллектора по улице Жумабаева", "45231300-8",
         "1120000000.00", "Коллектор диаметром 800 мм, протяжённость 3,2 км."),
    Spec("astana", "Personal computers for public service centres", "30213000-5", "96000000.00",
         "320 desktop computers with monitors and three-year support.", best_value=True),
    Spec("astana", "Ақпараттық жүйені әзірлеу: «Электронды кезек»", "72000000-5", "64000000.00",
         "Халыққа қызмет көрсету орталықтарына арналған кезек жүйесі.", best_value=True),
    Spec("astana", "Разработка мобильного приложения «Умный город»", "48000000-8", "118000000.00",
         "Приложение для обращений жителей и оплаты парковки.", best_value=True),
    Spec("astana", "Electric buses for city route 10", "34144900-7", "2400000000.00",
         "Twenty 12-metre low-floor electric buses with charging equipment."),
    Spec("astana", "Қалалық автобустарды жөндеу және техникалық қызмет көрсету", "50112000-3", "156000000.00",
         "120 автобусқа жылдық қызмет көрсету."),
    Spec("astana", "Обслуживание систем видеонаблюдения", "35120000-1", "44200000.00",
         "Обслуживание 860 камер системы «Сергек»."),
    Spec("astana", "Heating, ventilation and air conditioning for school No. 88", "45331000-6",
         "187000000.00", "Design-and-build HVAC works in a 1,200-pupil school."),
    Spec("astana", "Кеңсе тауарларын сатып алу", "30192000-1", "9800000.00",
         "Қағаз, қаламдар, папкалар — 2027 жылға."),
    Spec("health", "Поставка лекарственных средств для поликлиник", "33600000-6", "845000000.00",
         "Антибиотики, противовирусные препараты и вакцины для 38 поликлиник."),
    Spec("health", "Supply of insulin for the republican diabetes programme", "33600000-6", "1630000000.00",
         "Human insulin and analogues for 2027, delivered quarterly."),
    Spec("health", "Дәрілік заттарды сатып алу: онкология", "33690000-3", "2250000000.00",
         "Онкологиялық орталықтарға арналған дәрілер."),
    Spec("health", "Одноразовые медицинские расходные материалы", "33141000-0", "312000000.00",
         "Шприцы, системы для инфузий, перчатки."),
    Spec("health", "Medical equipment: ultrasound scanners for district hospitals", "33100000-1",
         "780000000.00", "Twenty-six ultrasound scanners with training and five-year service.",
         best_value=True),
    Spec("health", "Зертханалық анализаторлар жеткізу", "38434000-6", "420000000.00",
         "Аудандық ауруханаларға арналған биохимиялық анализаторлар.", best_value=True),
    Spec("health", "Услуги по организации питания в республиканских больницах", "55520000-1", "367000000.00",
         "Питание пациентов в 7 республиканских больницах."),
    Spec("health", "Training of nurses in emergency care", "80500000-9", "54000000.00",
         "Two-week courses for 600 nurses in 17 regions."),
    Spec("health", "Медициналық ақпараттық жүйені сүйемелдеу", "72000000-5", "210000000.00",
         "Электрондық денсаулық паспорты жүйесін қолдау.", best_value=True),
    Spec("health", "Overhaul of the Republican Children's Rehabilitation Centre", "45453000-7",
         "690000000.00", "Roof, facade, engineering networks and accessible entrances."),
    Spec("health", "Страхование медицинского оборудования", "66510000-8", "26000000.00",
         "Страхование оборудования стоимостью 18 млрд тенге."),
    Spec("health", "Engineering design of a 300-bed hospital in Kosshy", "71320000-7", "148000000.00",
         "Full design documentation with state expertise."),
    Spec("health", "Санитарлық көлік үшін дизель отынын жеткізу", "09134100-8", "83000000.00",
         "Жедел жәрдем көліктеріне арналған дизель отыны."),
]


@dataclass
class Demo:
    """Who is in the demo, and when it was made."""

    now: datetime
    officers: dict[str, User]
    suppliers: list[User]
    counts: Counter[str] = field(default_factory=Counter)

    def bidders(self, n: int, offset: int) -> list[User]:
        return [self.suppliers[(offset + i) % len(self.suppliers)] for i in range(n)]


# --- making tenders -----------------------------------------------------------

def _terms(spec: Spec, *, published: datetime, submission_days: float) -> dict:
    """Fields for ``create_draft``: deadlines counted from ``published`` and
    never shorter than the configured minimum submission period."""
    minimum = timedelta(seconds=settings.PROCUREMENT_MIN_SUBMISSION_PERIOD)
    submission = published + max(timedelta(days=submission_days), minimum + timedelta(hours=1))
    fields = {
        "title": spec.title, "description": spec.description, "cpv": spec.cpv,
        "estimated_amount": Decimal(spec.amount), "currency": "KZT",
        "clarification_deadline": published + (submission - published) / 2,
        "submission_deadline": submission, "language": _language(spec.title),
    }
    if spec.best_value:
        fields.update(award_method="best_value", price_weight=70, criteria=BEST_VALUE_CRITERIA)
    return fields


def _language(title: str) -> str:
    """The catalogue's titles are Kazakh (its own letters), Russian or English."""
    if any(ch in "әғқңөұүһіӘҒҚҢӨҰҮҺІ" for ch in title):
        return "kk"
    return "ru" if any("\u0400" <= ch <= "\u04ff" for ch in title) else "en"


def _create(demo: Demo, spec: Spec, *, published: datetime, submission_days: float = 25, **extra) -> Tender:
    fields = {**_terms(spec, published=published, submission_days=submission_days), **extra}
    return services.create_draft(by=demo.officers[spec.buyer], now=published, **fields)


def _publish(demo: Demo, spec: Spec, tender: Tender, *, at: datetime) -> Tender:
    return services.publish_tender(tender.pk, by=demo.officers[spec.buyer], now=at)


def _bid(tender: Tender, supplier: User, *, factor: str, at: datetime | None = None) -> None:
    answers = {str(c.pk): f"{12 + i * 12} months" if i == 0 else f"{30 - i * 5} days"
               for i, c in enumerate(tender.criteria.all())}
    amount = (tender.estimated_amount * Decimal(factor)).quantize(Decimal("0.01"))
    bid_services.submit_bid(tender.pk, by=supplier, now=at, content=bid_services.BidContent(
        amount=amount, currency=tender.currency, answers=answers, documents=[]))


def _past_deadline(demo: Demo, spec: Spec, n: int, *, bids: int, min_bids: int = 1,
                   days_ago: float | None = None) -> Tender:
    """Published long ago, bids received before a deadline that has passed,
    then opened as the scheduler would."""
    minimum = timedelta(seconds=settings.PROCUREMENT_MIN_SUBMISSION_PERIOD)
    published = demo.now - minimum - timedelta(days=10 + n % 7 if days_ago is None else days_ago)
    tender = _create(demo, spec, published=published, submission_days=0, min_bids=min_bids)
    tender = _publish(demo, spec, tender, at=published)
    period = tender.submission_deadline - published
    for i, supplier in enumerate(demo.bidders(bids, offset=n)):
        _bid(tender, supplier, factor=f"0.{95 - i * 4 - n % 3}", at=published + period * (0.5 + 0.1 * i))
    bid_services.open_tender(tender.pk, now=tender.submission_deadline)
    return tender


def seed_draft(demo: Demo, spec: Spec, n: int) -> Tender:
    return _create(demo, spec, published=demo.now, submission_days=30 + n)


def seed_active(demo: Demo, spec: Spec, n: int) -> Tender:
    """Open for bids; some have sealed bids, one in three was amended."""
    published = demo.now - timedelta(days=n % 5)
    tender = _publish(demo, spec, _create(demo, spec, published=published, submission_days=20 + n), at=published)
    for i, supplier in enumerate(demo.bidders(n % 4, offset=n)):
        _bid(tender, supplier, factor=f"0.{97 - i * 3}")
    if n % 3 == 0:
        services.amend_tender(tender.pk, by=demo.officers[spec.buyer],
                              rationale="Deadline extended at the request of bidders",
                              submission_deadline=tender.submission_deadline + timedelta(days=7))
    return tender


def seed_evaluation(demo: Demo, spec: Spec, n: int) -> Tender:
    return _past_deadline(demo, spec, n, bids=2 + n % 3)


def seed_unsuccessful(demo: Demo, spec: Spec, n: int) -> Tender:
    """Fewer bids than required: opened, then unsuccessful."""
    return _past_deadline(demo, spec, n, bids=n % 2, min_bids=2)


def seed_cancelled(demo: Demo, spec: Spec, n: int) -> Tender:
    tender = seed_active(demo, spec, n) if n % 2 else seed_draft(demo, spec, n)
    services.cancel_tender(tender.pk, by=demo.officers[spec.buyer],
                           reason="Financing was moved to the next budget year.")
    return tender


def _award_top(demo: Demo, spec: Spec, tender: Tender, *, at: datetime, award_at: datetime) -> None:
    """Qualify every opened bid at ``at``, score them (best value: the owner
    sits on the committee), and award the top-ranked bid at ``award_at``."""
    officer = demo.officers[spec.buyer]
    bids = list(tender.bids.filter(opened_at__isnull=False).order_by("amount", "pk"))
    for bid in bids:
        evaluation.qualify_bid(tender.pk, bid.pk, by=officer, qualified=True,
                               reason="Licences, guarantees and financial statements complete.", now=at)
    if tender.award_method == "best_value":
        evaluation.add_evaluators(tender.pk, by=officer, user_ids=[officer.pk], now=at)
        evaluation.declare_no_conflict(tender.pk, by=officer, now=at,
                                       statement="No interest in any bidder, no relation to their owners.")
        for i, bid in enumerate(bids):
            evaluation.score_bid(tender.pk, bid.pk, by=officer, now=at + timedelta(minutes=10), points={
                c.pk: Decimal(max(0, c.weight - (i + j) % 4)) for j, c in enumerate(tender.criteria.all())})
    top = evaluation_selectors.report(tender)["ranking"][0]
    evaluation.award_bid(tender.pk, by=officer, bid_id=top, now=award_at)


def _standstill_days() -> float:
    return settings.PROCUREMENT_STANDSTILL_PERIOD / 86400


def seed_awarded(demo: Demo, spec: Spec, n: int) -> Tender:
    """Deadline two hours ago, awarded just now: in standstill, open to complaints."""
    tender = _past_deadline(demo, spec, n, bids=3, days_ago=3 / 24)
    _award_top(demo, spec, tender, at=tender.submission_deadline + timedelta(minutes=30),
               award_at=demo.now - timedelta(minutes=1))
    return tender


def seed_complete(demo: Demo, spec: Spec, n: int) -> Tender:
    """Awarded long enough ago for the standstill to have ended: complete."""
    tender = _past_deadline(demo, spec, n, bids=3, days_ago=_standstill_days() + 3)
    at = tender.submission_deadline + timedelta(hours=1)
    _award_top(demo, spec, tender, at=at, award_at=at + timedelta(days=1))
    award = tender.awards.get(status="active")
    evaluation.complete_tender(tender.pk, now=award.standstill_ends_at)
    return tender


STATES: dict[str, Callable[[Demo, Spec, int], Tender]] = {
    "active": seed_active,
    "draft": seed_draft,
    "evaluation": seed_evaluation,
    "awarded": seed_awarded,
    "complete": seed_complete,
    "unsuccessful": seed_unsuccessful,
    "cancelled": seed_cancelled,
}
# How many catalogue entries go to each state, in turn (active is the most common).
PLAN = ["active", "evaluation", "awarded", "active", "draft", "complete", "unsuccessful", "active",
        "cancelled", "evaluation", "awarded", "complete"]


# --- other procurement methods (DESIGN.md "Procurement methods") ----------------------

# Price quotations (under PROCUREMENT_QUOTATION_LIMIT) and single-source purchases, one per state.
QUOTATIONS = [
    Spec("astana", "Кеңсе қағазы A4, 2027 жылға", "30197630-1", "4200000.00", "2 000 қорап, 80 г/м²."),
    Spec("astana", "Канцелярские товары для ЦОН", "30192000-1", "2900000.00", "Ручки, папки, степлеры."),
    Spec("health", "Printer cartridges for district clinics", "30125100-2", "6100000.00",
         "640 toner cartridges, four models."),
    Spec("health", "Бахилы и одноразовые халаты", "33141000-0", "3400000.00", "Для 12 поликлиник."),
    Spec("astana", "Drinking water for the akimat", "15981000-8", "1800000.00", "19-litre bottles, weekly."),
    Spec("health", "Тазалау құралдары", "39830000-9", "2500000.00", "Ауруханаларға арналған жуу құралдары."),
    Spec("astana", "Flags and banners for Independence Day", "39522530-1", "1200000.00", "Fabric, 300 pieces."),
]
DIRECT_AWARDS = [
    (Spec("astana", "Лицензии на систему «Сергек»: продление", "48000000-8", "38000000.00",
          "Продление лицензий на программное обеспечение видеонаблюдения."),
     "continuation", "Продолжение: поддержка действующей системы возможна только у её правообладателя."),
    (Spec("health", "Emergency repair of the oxygen line, City Hospital No. 2", "45331000-6", "14500000.00",
          "Replacement of a burst oxygen pipeline in the intensive care unit."),
     "emergency", "The line burst on 2 March; patients on oxygen cannot wait for a tender."),
    (Spec("health", "Орфандық препарат: нусинерсен", "33600000-6", "96000000.00",
          "Жұлын бұлшықет атрофиясы бар 4 пациентке."),
     "sole_supplier", "Препарат Қазақстанда бір ғана тіркелген дистрибьютор арқылы жеткізіледі."),
    (Spec("astana", "Snow removal equipment rental after a failed tender", "45520000-8", "52000000.00",
          "Graders and loaders for the winter, with drivers."),
     "failed_procurement", "The open tender for this rental had too few bids; the winter will not wait."),
    (Spec("astana", "Ремонт кровли школы №45", "45261000-4", "21000000.00", "Кровля после урагана."),
     "emergency", "Кровля повреждена ураганом, занятия под угрозой."),
    (Spec("health", "Software support for the medical information system", "72000000-5", "31000000.00",
          "A year of support from the system's developer."),
     "continuation", "Only the developer holds the source code and the certification."),
    (Spec("astana", "Музейные экспонаты: выкуп коллекции", "92521000-9", "8000000.00",
          "Коллекция единственного владельца."),
     "sole_supplier", "Коллекция существует в одном экземпляре."),
]
METHOD_STATES = ["draft", "active", "evaluation", "awarded", "complete", "unsuccessful", "cancelled"]


def seed_method(demo: Demo, spec: Spec, n: int, *, state: str, method: str, terms: dict,
                bidders: list[User]) -> Tender:
    """A tender of another method in ``state``: made, bid on, opened and
    decided through the services as for any tender."""
    period = timedelta(seconds=methods.get(method).min_period()) + timedelta(hours=1)

    def create(published: datetime, days: float) -> Tender:
        submission = published + max(period, timedelta(days=days))
        return _create(demo, spec, published=published, method=method, submission_deadline=submission,
                       clarification_deadline=published + (submission - published) / 2, **terms)

    if state == "draft":
        return create(demo.now, 10)
    if state in ("active", "cancelled"):
        published = demo.now - timedelta(days=1)
        tender = _publish(demo, spec, create(published, 8), at=published)
        for i, supplier in enumerate(bidders[:2]):
            _bid(tender, supplier, factor=f"0.{96 - i * 3}")
        if state == "cancelled":
            services.cancel_tender(tender.pk, by=demo.officers[spec.buyer], reason="The need has disappeared.")
        return tender
    published = demo.now - period - timedelta(days=_standstill_days() + 3 if state == "complete" else 2)
    tender = _publish(demo, spec, create(published, 0), at=published)
    for i, supplier in enumerate([] if state == "unsuccessful" else bidders):
        _bid(tender, supplier, factor=f"0.{95 - i * 4}", at=published + period * (0.5 + 0.1 * i))
    bid_services.open_tender(tender.pk, now=tender.submission_deadline)
    if state in ("awarded", "complete"):
        officer, at = demo.officers[spec.buyer], tender.submission_deadline + timedelta(hours=1)
        proposal = evaluation_selectors.report(tender)["award_proposal"]
        if len(bidders) > 2:  # the lowest offer fails its check: the next lowest moves up by itself
            evaluation.qualify_bid(tender.pk, proposal, by=officer, qualified=False, now=at,
                                   reason="No certificate of origin for the goods offered.")
            proposal = evaluation_selectors.report(tender)["award_proposal"]
        evaluation.qualify_bid(tender.pk, proposal, by=officer, qualified=True, now=at,
                               reason="Registration, licences and tax status checked.")
        _award_for_state(demo, tender, officer, proposal, state=state, complete_award_at=at + timedelta(days=1))
    return tender


def _award_for_state(demo: Demo, tender: Tender, officer: User, bid_id: int, *, state: str,
                     complete_award_at: datetime) -> None:
    """Award ``bid_id``: a minute ago (its standstill running) for a tender
    shown ``awarded``; at ``complete_award_at``, and completed once its
    standstill is over, for one shown ``complete``."""
    award_at = complete_award_at if state == "complete" else demo.now - timedelta(minutes=1)
    evaluation.award_bid(tender.pk, by=officer, bid_id=bid_id, now=award_at)
    if state == "complete":
        evaluation.complete_tender(tender.pk, now=tender.awards.get(status="active").standstill_ends_at)


def seed_methods(demo: Demo) -> None:
    """A price quotation and a single-source purchase in every state."""
    for n, (spec, state) in enumerate(zip(QUOTATIONS, METHOD_STATES)):
        seed_method(demo, spec, n, state=state, method="price_quotation", terms={},
                    bidders=demo.bidders(3, offset=n))
        demo.counts[state] += 1
    for n, ((spec, ground, justification), state) in enumerate(zip(DIRECT_AWARDS, METHOD_STATES)):
        named = demo.suppliers[n % len(demo.suppliers)]
        terms = {"supplier": {"bin": named.organisation.tax_id}, "ground": ground, "justification": justification}
        if ground == "failed_procurement":
            failed = Tender.objects.filter(buyer=demo.officers[spec.buyer].organisation, status="unsuccessful",
                                           method="open_tender").order_by("pk").first()
            terms["failed"] = {"tender": failed.pk}
        seed_method(demo, spec, n, state=state, method="single_source", terms=terms, bidders=[named])
        demo.counts[state] += 1


# --- people -------------------------------------------------------------------------

def _officers() -> dict[str, User]:
    officers = {}
    for key, (name, usernames) in BUYERS.items():
        seed = BUYER_BIN_SEEDS[key]
        tax_id = next(filter(None, (taxid.complete(f"{int(seed) + i:011d}") for i in range(20))))
        for username in usernames:
            user = create_officer(buyer_name=name, username=username, password=DEMO_PASSWORD,
                                  email=f"{username}@example.kz", buyer_tax_id=tax_id)
            officers.setdefault(key, user)
    return officers


def _suppliers() -> list[User]:
    users = []
    for name, username, seed in SUPPLIERS:
        tax_id = next(filter(None, (taxid.complete(f"{int(seed) + i:011d}") for i in range(20))))
        users.append(register_supplier(organisation_name=name, tax_id=tax_id, username=username,
                                       password=DEMO_PASSWORD, email=f"tenders@{username}.kz"))
    return users


HOSPITAL_LOTS = [
    {"title": "Surgical gloves", "cpv": "33141420-0", "estimated_amount": Decimal("12500000.00"),
     "quantity": Decimal("50000"), "unit": "pair"},
    {"title": "Medical consumables", "cpv": "33140000-3", "estimated_amount": Decimal("48000000.00")},
    {"title": "Pharmaceutical products", "cpv": "33600000-6", "estimated_amount": Decimal("210000000.00")},
]


def seed_lots(demo: Demo, *, opened: bool) -> Tender:
    """A hospital's 3-lot tender (DESIGN.md "Lots"), suppliers bidding on
    different subsets: open for bids, or past its deadline and opened."""
    officer = next(iter(demo.officers.values()))
    minimum = timedelta(seconds=settings.PROCUREMENT_MIN_SUBMISSION_PERIOD)
    published = demo.now - (minimum + timedelta(days=12) if opened else timedelta(days=1))
    submission = published + (minimum + timedelta(hours=1) if opened else timedelta(days=21))
    tender = services.create_draft(
        by=officer, now=published, title="Medicines and consumables for the regional hospital" if opened
        else "Медикаменты и расходные материалы для городской больницы", cpv="33600000-6", currency="KZT",
        description="Three lots, each evaluated and awarded on its own.", lots=HOSPITAL_LOTS,
        clarification_deadline=published + (submission - published) / 2, submission_deadline=submission,
        language="en" if opened else "ru")
    tender = services.publish_tender(tender.pk, by=officer, now=published)
    lots = list(tender.lots.order_by("position"))
    subsets = [(0, 1), (1, 2), (0, 2), (2,)]
    for i, (supplier, subset) in enumerate(zip(demo.bidders(4, offset=3 if opened else 5), subsets)):
        offers = [(lots[k].pk, (lots[k].estimated_amount * Decimal(f"0.{93 - i * 2}")).quantize(Decimal("0.01")))
                  for k in subset]
        bid_services.submit_bid(tender.pk, by=supplier, now=published + (submission - published) * (0.3 + 0.1 * i),
                                content=bid_services.BidContent(amount=None, currency="KZT", answers={},
                                                                documents=[], lots=offers))
    if opened:
        bid_services.open_tender(tender.pk, now=submission)
    return tender


# The demo auction starts this long after seed_demo (bin/run seeds, then serves).
AUCTION_STARTS_IN = timedelta(minutes=3)
AUCTIONS = [
    Spec("astana", "Поставка офисной бумаги А4 (электронный аукцион)", "30197630-1", "24000000.00",
         "Бумага офисная А4, 80 г/м², 12 000 пачек. Электронный аукцион: три раунда."),
    Spec("health", "Electronic auction: nitrile examination gloves", "33141420-0", "18500000.00",
         "Nitrile gloves, sizes S to XL, 400 000 pairs."),
    Spec("astana", "Жол белгілерін сатып алу (электрондық аукцион)", "34992200-9", "36000000.00",
         "Жол белгілері мен тіректер, 1 200 дана."),
    Spec("health", "Дезинфицирующие средства (электронный аукцион)", "33631600-8", "9600000.00",
         "Кожные антисептики и средства для поверхностей."),
    Spec("astana", "Electronic auction: LED street lamps", "34993000-4", "52000000.00",
         "LED luminaires for 3 400 street lights."),
    Spec("health", "Медициналық маскалар (электрондық аукцион)", "33140000-3", "7200000.00",
         "Үш қабатты медициналық маскалар, 2 млн дана."),
    Spec("astana", "Поставка соли для зимнего содержания дорог (аукцион)", "34927100-2", "15000000.00",
         "Техническая соль, 3 000 тонн."),
]
AUCTION_STATES = ["evaluation", "draft", "active", "awarded", "complete", "unsuccessful", "cancelled"]


def _admit_all(tender: Tender, officer: User, at: datetime) -> None:
    for bid in tender.bids.filter(opened_at__isnull=False).order_by("pk"):
        evaluation.qualify_bid(tender.pk, bid.pk, by=officer, qualified=True, now=at,
                               reason="Registration, licences and tax status checked.")


def _hold_auction(tender: Tender) -> datetime:
    """The lot's auction as its participants would hold it: in round 1 each
    lowers its price by two steps, in round 2 the first in turn by one more;
    then the scheduler's pass at its end. Returns when it ended."""
    auction = tender.auctions.get()
    loaded = auction_selectors.load(auction)
    users = {p.number: User.objects.filter(organisation_id=p.supplier_id).first() for p in loaded.participants}
    for stage in loaded.timeline():
        if stage.kind != "turn" or stage.round > 2 or (stage.round == 2 and stage.position > 0):
            continue
        loaded = auction_selectors.load(auction)
        number = auction_schedule.whose_turn(stage, loaded.entrants, loaded.accepted)
        before = auction_schedule.prices_before(loaded.entrants, loaded.accepted, stage.round)[number]
        steps = 2 if stage.round == 1 else 1
        auctions.place_price(tender.pk, auction.lot_id, by=users[number], amount=before - auction.minimal_step * steps,
                             now=stage.starts + timedelta(seconds=7))
    end = loaded.end()
    auctions.advance(auction.pk, now=end)
    return end


def seed_auction(demo: Demo, spec: Spec, n: int, *, state: str) -> Tender:
    """An auction tender (DESIGN.md "Live e-auction") in ``state``. The one
    in ``evaluation`` is the demo auction: its three offers admitted so that
    it starts a few minutes from now (README "Watching a demo auction"): the
    start is the last admission plus PROCUREMENT_AUCTION_DELAY, so the
    admissions are dated that much before the wanted start."""
    officer = demo.officers[spec.buyer]
    minimum = timedelta(seconds=settings.PROCUREMENT_MIN_SUBMISSION_PERIOD)
    step = (Decimal(spec.amount) / 100).quantize(Decimal("0.01"))  # 1 % of the estimated amount

    def create(published: datetime, days: float) -> Tender:
        submission = published + max(minimum + timedelta(hours=1), timedelta(days=days))
        return _create(demo, spec, published=published, method="auction", minimal_step=step,
                       submission_deadline=submission, clarification_deadline=published + (submission - published) / 2)

    if state == "draft":
        return create(demo.now, 10)
    if state in ("active", "cancelled"):
        published = demo.now - timedelta(days=1)
        tender = _publish(demo, spec, create(published, 8), at=published)
        for i, supplier in enumerate(demo.bidders(2, offset=n)):
            _bid(tender, supplier, factor=f"0.{96 - i * 3}")
        if state == "cancelled":
            services.cancel_tender(tender.pk, by=officer, reason="The need has disappeared.")
        return tender
    back = timedelta(days=_standstill_days() + 5 if state == "complete" else 3)
    published = demo.now - minimum - back
    tender = _publish(demo, spec, create(published, 0), at=published)
    for i, supplier in enumerate([] if state == "unsuccessful" else demo.bidders(3, offset=n)):
        _bid(tender, supplier, factor=f"0.{97 - i * 2}", at=published + (tender.submission_deadline - published) * (0.5 + 0.1 * i))
    bid_services.open_tender(tender.pk, now=tender.submission_deadline)
    if state == "unsuccessful":
        return tender
    if state == "evaluation":
        decided = demo.now + AUCTION_STARTS_IN - timedelta(seconds=settings.PROCUREMENT_AUCTION_DELAY)
        _admit_all(tender, officer, max(decided, tender.submission_deadline + timedelta(seconds=1)))
        return tender
    _admit_all(tender, officer, tender.submission_deadline + timedelta(hours=1))
    ended = _hold_auction(tender)
    proposal = evaluation_selectors.evaluation_state(tender).ranking[0]
    _award_for_state(demo, tender, officer, proposal, state=state, complete_award_at=ended + timedelta(hours=1))
    return tender


def seed_auctions(demo: Demo) -> None:
    """An auction tender in every state; the one in evaluation starts soon."""
    for n, (spec, state) in enumerate(zip(AUCTIONS, AUCTION_STATES)):
        seed_auction(demo, spec, n, state=state)
        demo.counts[state] += 1


@transaction.atomic
def seed(now: datetime | None = None) -> Demo:
    demo = Demo(now=now or timezone.now(), officers=_officers(), suppliers=_suppliers())
    for n, (spec, state) in enumerate(zip(CATALOGUE, cycle(PLAN))):
        STATES[state](demo, spec, n)
        demo.counts[state] += 1
    for opened, state in ((False, "active"), (True, "evaluation")):
        seed_lots(demo, opened=opened)
        demo.counts[state] += 1
    seed_methods(demo)
    seed_auctions(demo)
    return demo


class Command(BaseCommand):
    help = "Fill an empty database with demo buyers, officers, suppliers and tenders in every state."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing (successfully) when the database already has tenders")

    def handle(self, *args, if_empty: bool = False, **options):
        if Tender.objects.exists():
            if if_empty:
                self.stdout.write("The database already has tenders: no demo data added.")
                return
            raise CommandError("The database already has tenders; seed_demo fills an empty database only.")
        if User.objects.filter(username__in=self._usernames()).exists():
            raise CommandError("Demo users already exist; seed_demo fills an empty database only.")
        demo = seed()
        counts = ", ".join(f"{count} {state}" for state, count in sorted(demo.counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Demo data: {sum(demo.counts.values())} tenders ({counts})."))
        self.stdout.write(f"Demo password for every account: {DEMO_PASSWORD}")
        for key, (name, usernames) in BUYERS.items():
            self.stdout.write(f"  officer   {', '.join(usernames)}  ({name})")
        for name, username, _ in SUPPLIERS:
            self.stdout.write(f"  supplier  {username}  ({name})")
        auction = Auction.objects.filter(status="scheduled").order_by("start_at").first()
        if auction is not None:
            self.stdout.write(f"Demo auction: /tenders/{auction.tender_id}/auction/ starts at "
                              f"{auction.start_at:%H:%M:%S} UTC (participants: "
                              f"{', '.join(p.supplier.name for p in auction.participants.all())})")

    @staticmethod
    def _usernames() -> list[str]:
        return [u for _, usernames in BUYERS.values() for u in usernames] + [u for _, u, _ in SUPPLIERS]
