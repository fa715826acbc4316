"""Realistic register rows in bulk: buyers and officers, tenders in every
published state with real CPV codes, Kazakh / Russian / English titles, KZT
amounts, sealing keys, search text and (on PostgreSQL) the search vector.

Bulk inserts skip the services on purpose (10,000 publications through the
service would take minutes); every column the services would fill is filled
here, except the per-tender audit chain (left empty, length 0, which
``verify_audit`` accepts) and bid rows (``bid_count`` is set directly: the
register only reads that column)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

CITIES = [  # (en, ru, kk)
    ("Astana", "Астана", "Астана"), ("Almaty", "Алматы", "Алматы"), ("Shymkent", "Шымкент", "Шымкент"),
    ("Karaganda", "Караганда", "Қарағанды"), ("Aktobe", "Актобе", "Ақтөбе"), ("Pavlodar", "Павлодар", "Павлодар"),
    ("Oskemen", "Усть-Каменогорск", "Өскемен"), ("Atyrau", "Атырау", "Атырау"),
    ("Kostanay", "Костанай", "Қостанай"), ("Taraz", "Тараз", "Тараз"), ("Semey", "Семей", "Семей"),
    ("Kyzylorda", "Кызылорда", "Қызылорда"),
]

BUYERS = [
    "Akimat of Astana", "Акимат города Алматы", "Шымкент қаласының әкімдігі",
    "Ministry of Health of the Republic of Kazakhstan", "Министерство просвещения Республики Казахстан",
    "Қарағанды облысының денсаулық сақтау басқармасы", "Управление пассажирского транспорта и автомобильных дорог г. Астаны",
    "KazAvtoZhol National Company JSC", "ГКП на ПХВ «Алматы Су»", "Aktobe Regional Multidisciplinary Hospital",
    "Павлодар облысының білім беру басқармасы", "Управление энергетики и ЖКХ Карагандинской области",
    "Atyrau Oblast Department of Natural Resources", "Коммунальное государственное учреждение «Школа-лицей №8»",
    "Қостанай облысы әкімдігінің мәдениет басқармасы", "Ministry of Digital Development, Innovation and Aerospace Industry",
    "РГП «Казгидромет»", "Taraz City Police Department", "Семей қаласының тұрғын үй-коммуналдық шаруашылығы бөлімі",
    "Kyzylorda Regional Perinatal Centre", "АО «Национальный центр повышения квалификации «Өрлеу»",
    "East Kazakhstan Regional Roads Department",
]

# CPV division -> (weight, title templates as (language, template)); {city}
# is filled in the title's language, {n} with a number.
DIVISIONS = {
    "45": (20, [("en", "Capital repair of school No. {n} in {city}"),
                ("ru", "Капитальный ремонт здания школы №{n}, г. {city}"),
                ("kk", "{city} қаласындағы №{n} мектеп ғимаратын күрделі жөндеу"),
                ("en", "Resurfacing of {n} km of the {city} ring road"),
                ("ru", "Средний ремонт автомобильной дороги районного значения, {city}")]),
    "33": (12, [("en", "Medical consumables for the {city} city hospital"),
                ("ru", "Закуп лекарственных средств для поликлиники №{n} г. {city}"),
                ("kk", "{city} қалалық ауруханасына медициналық бұйымдар сатып алу")]),
    "15": (8, [("ru", "Организация школьного питания в школах г. {city}"),
               ("kk", "{city} қаласының балабақшаларына азық-түлік жеткізу"),
               ("en", "Food products for kindergartens of {city}")]),
    "30": (6, [("en", "Computer equipment for the {city} public service centre"),
               ("ru", "Приобретение компьютерной техники для ЦОН г. {city}"),
               ("kk", "Компьютерлік техника сатып алу, {city}")]),
    "09": (6, [("ru", "Поставка дизельного топлива для котельной №{n}, г. {city}"),
               ("kk", "{city} қаласының қазандықтарына көмір жеткізу"),
               ("en", "Supply of AI-92 petrol for municipal vehicles, {city}")]),
    "90": (6, [("ru", "Услуги по вывозу твёрдых бытовых отходов, г. {city}"),
               ("en", "Street cleaning and snow removal in {city}"),
               ("kk", "{city} қаласының көшелерін тазалау қызметтері")]),
    "34": (6, [("en", "Purchase of {n} school buses for {city} district"),
               ("ru", "Приобретение специализированной техники для нужд акимата г. {city}"),
               ("kk", "{city} үшін жедел жәрдем автомобильдерін сатып алу")]),
    "50": (6, [("ru", "Техническое обслуживание лифтового оборудования, г. {city}"),
               ("en", "Maintenance of traffic lights in {city}"),
               ("kk", "{city} қаласындағы медициналық жабдықты техникалық қызмет көрсету")]),
    "72": (5, [("en", "Development of an e-government portal module for {city}"),
               ("ru", "Сопровождение информационной системы управления образования г. {city}"),
               ("kk", "Ақпараттық жүйені сүйемелдеу қызметтері, {city}")]),
    "79": (5, [("ru", "Услуги по проведению аудита финансовой отчётности за {n} год"),
               ("en", "Security guard services for administrative buildings in {city}"),
               ("kk", "Заң қызметтерін көрсету, {city}")]),
}
OTHER_WEIGHT = 20

STATUS_WEIGHTS = {"active": 50, "evaluation": 12, "awarded": 12, "complete": 12, "unsuccessful": 7, "cancelled": 7}


def _codes_by_division(cpv_en: dict) -> dict[str, list[str]]:
    by_division: dict[str, list[str]] = {}
    for code in cpv_en:
        by_division.setdefault(code[:2], []).append(code)
    return by_division


def _amount(rng: random.Random) -> Decimal:
    return Decimal(round(10 ** rng.uniform(5, 9.7), 2)).quantize(Decimal("0.01"))


def seed_register(n: int, *, seed: int = 2026) -> dict:
    """Insert ``n`` published tenders. Returns a few facts about what was made."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Organisation, User
    from core import sealing
    from tenders import cpv
    from tenders.models import AwardMethod, Criterion, Lot, Tender

    rng = random.Random(seed)
    now = timezone.now()
    cpv_en, cpv_ru = cpv.names("en"), cpv.names("ru")
    by_division = _codes_by_division(cpv_en)
    all_codes = list(cpv_en)
    choices = list(DIVISIONS) + ["other"]
    weights = [DIVISIONS[d][0] for d in DIVISIONS] + [OTHER_WEIGHT]
    statuses, status_weights = zip(*STATUS_WEIGHTS.items())

    with transaction.atomic():
        buyers = Organisation.objects.bulk_create(
            [Organisation(kind=Organisation.Kind.BUYER, name=name) for name in BUYERS])
        officers = User.objects.bulk_create(
            [User(username=f"bench-officer-{i}", organisation=b, password="!bench-unusable")
             for i, b in enumerate(buyers)])
        tenders, best_value = [], []
        for i in range(n):
            division = rng.choices(choices, weights)[0]
            if division == "other":
                code = rng.choice(all_codes)
                language = rng.choice(["en", "ru"])
                title = (f"Supply: {cpv_en[code]}" if language == "en"
                         else f"Закупка: {cpv_ru.get(code) or cpv_en[code]}")
            else:
                code = rng.choice(by_division[division])
                language, template = rng.choice(DIVISIONS[division][1])
                city = rng.choice(CITIES)[{"en": 0, "ru": 1, "kk": 2}[language]]
                title = template.format(city=city, n=rng.randint(2, 120))
            buyer_index = rng.randrange(len(buyers))
            buyer = buyers[buyer_index]
            description = (f"{cpv_en[code]} ({code}). Delivery and performance within "
                           f"{rng.choice([30, 60, 90, 180])} days of signing the contract; "
                           "technical specification in the tender documents.")
            status = rng.choices(statuses, status_weights)[0]
            if status == "active":
                published = now - timedelta(seconds=rng.uniform(0, 14 * 86400))
            else:
                published = now - timedelta(seconds=rng.uniform(46 * 86400, 365 * 86400))
            submission = published + timedelta(seconds=rng.uniform(15 * 86400, 45 * 86400))
            clarification = submission - timedelta(seconds=rng.uniform(3 * 86400, 7 * 86400))
            is_best_value = rng.random() < 0.15
            min_bids = rng.choice([1, 1, 1, 2])
            bid_count = {"active": rng.randint(0, 12), "unsuccessful": 0,
                         "cancelled": rng.randint(0, 5)}.get(status, rng.randint(max(min_bids, 1), 15))
            keys = sealing.new_tender_keys()
            tender = Tender(
                buyer=buyer, created_by=officers[buyer_index], title=title, description=description, cpv=code,
                estimated_amount=_amount(rng), currency="KZT", clarification_deadline=clarification,
                submission_deadline=submission,
                award_method=AwardMethod.BEST_VALUE if is_best_value else AwardMethod.LOWEST_PRICE,
                price_weight=70 if is_best_value else 100, min_bids=min_bids, status=status, language=language,
                published_at=published, public_key=keys.public_key, sealed_private_key=keys.sealed_private_key,
                bid_count=bid_count,
                opened_at=submission if status in ("evaluation", "awarded", "complete", "unsuccessful") else None,
                cancelled_at=(published + timedelta(days=rng.randint(1, 10))) if status == "cancelled" else None,
                cancellation_reason="Технические спецификации изменены." if status == "cancelled" else "",
                search_text=" ".join([title, description, buyer.name]).casefold(),
            )
            tenders.append(tender)
            if is_best_value:
                best_value.append(i)
        # About one tender in ten is bought in 2 to 40 lots whose CPV codes and
        # amounts differ from the tender's (its amount is their sum, as
        # tenders.services makes it); the others have their one lot, a copy
        # of the tender. A separate generator: the tenders stay as they were.
        lot_rng = random.Random(seed + 1)
        lot_rows = []
        for tender in tenders:
            if lot_rng.random() < 0.10:
                rows = []
                for position in range(lot_rng.randint(2, 40)):
                    division = lot_rng.choices(choices, weights)[0]
                    code = lot_rng.choice(all_codes if division == "other" else by_division[division])
                    rows.append((position, code, _amount(lot_rng)))
                tender.estimated_amount = sum((amount for _, _, amount in rows), Decimal(0))
            else:
                rows = [(0, tender.cpv, tender.estimated_amount)]
            tender.lot_count = len(rows)
            lot_rows.append(rows)
        Tender.objects.bulk_create(tenders, batch_size=1000)
        lot_status = {"draft": "active"}
        Lot.objects.bulk_create(
            [Lot(tender=t, position=position, title=t.title if len(rows) == 1 else f"Lot {position + 1}: {code}",
                 description=t.description if len(rows) == 1 else cpv_en.get(code, ""), cpv=code,
                 estimated_amount=amount, status=lot_status.get(t.status, t.status))
             for t, rows in zip(tenders, lot_rows) for position, code, amount in rows], batch_size=2000)
        Criterion.objects.bulk_create(
            [Criterion(tender=tenders[i], name=name, weight=15, position=p)
             for i in best_value for p, name in enumerate(["Delivery time", "Warranty period"])],
            batch_size=2000)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tenders_tender SET created_at = published_at - interval '2 days', "
                           "updated_at = COALESCE(cancelled_at, opened_at, published_at)")
            if connection.vendor == "postgresql":
                # The same vector as tenders.services._refresh_search.
                cursor.execute(
                    "UPDATE tenders_tender t SET search_vector = "
                    "setweight(to_tsvector('simple'::regconfig, COALESCE(t.title, '')), 'A') || "
                    "setweight(to_tsvector('simple'::regconfig, COALESCE(t.description, '')), 'B') || "
                    "setweight(to_tsvector('simple'::regconfig, COALESCE(o.name, '')), 'C') "
                    "FROM accounts_organisation o WHERE o.id = t.buyer_id")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE tenders_tender")
            cursor.execute("VACUUM ANALYZE tenders_lot")
            cursor.execute("ANALYZE accounts_organisation")
    return {"tenders": n, "buyers": len(buyers), "best_value": len(best_value),
            "multi_lot": sum(len(rows) > 1 for rows in lot_rows), "lots": sum(len(rows) for rows in lot_rows)}
