"""Test data made directly as rows (factory_boy), for what no service makes
(a supplier organisation and its user without a registration). Tenders, bids
and officers are made through the services, as the rules apply to them."""

from itertools import count

import factory
from factory.django import DjangoModelFactory

from accounts import taxid
from accounts.models import Organisation, User

_serial = count(1)

PASSWORD = "Str0ng-pass-phrase"


def valid_tax_id() -> str:
    """A fresh 12-digit BIN with a valid check digit."""
    while True:
        candidate = taxid.complete(f"{next(_serial) + 10_000_000_000:011d}")
        if candidate:
            return candidate


class SupplierOrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.SUPPLIER
    name = factory.Sequence(lambda n: f"Supplier {n} LLP")
    tax_id = factory.LazyFunction(valid_tax_id)


class SupplierFactory(DjangoModelFactory):
    """A supplier's user, with its organisation and a usable password."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"supplier{n}")
    organisation = factory.SubFactory(SupplierOrganisationFactory)
    password = factory.PostGeneration(lambda user, create, extracted, **kwargs: (
        user.set_password(extracted or PASSWORD), create and user.save()))
