"""The shapes of the red-flag bodies (rendered by these serializers, which
document them in /api/schema/)."""

from rest_framework import serializers


class IndicatorOut(serializers.Serializer):
    code = serializers.CharField(help_text="The OCP's id, e.g. R018")
    name = serializers.CharField(help_text="In the request's language")
    rule = serializers.CharField(help_text="The rule and its threshold, in the request's language")
    scope = serializers.ChoiceField(choices=["tender", "lot", "buyer", "supplier"])
    after_opening = serializers.BooleanField(help_text="Reads opened bid prices: computed only after the opening")


class FlagOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    rule = serializers.CharField()
    scope = serializers.ChoiceField(choices=["tender", "lot", "buyer", "supplier"])
    lot = serializers.IntegerField(allow_null=True)
    lot_title = serializers.CharField(allow_null=True)
    figures = serializers.DictField(help_text=(
        "The figures that raised it: R003 days, threshold; R018 tenderers; R024/R058 winning, second, difference; "
        "R028 prices, tenderers; R035 disqualified, threshold; R036 lowest, winning; R038 ratio, disqualified, "
        "offers, upper_fence"))


class MarketOut(serializers.Serializer):
    lots = serializers.IntegerField(help_text="Finished lowest-price lots with a price gap on the platform")
    minimum = serializers.IntegerField(help_text="Lots needed before R024/R058 are computed")
    q1 = serializers.CharField(allow_null=True)
    q3 = serializers.CharField(allow_null=True)
    lower_fence = serializers.CharField(allow_null=True, help_text="R024: Q1 - 1.5 IQR")
    upper_fence = serializers.CharField(allow_null=True, help_text="R058: Q3 + 1.5 IQR")


class BuyersFenceOut(serializers.Serializer):
    buyers = serializers.IntegerField(help_text="Buyers with a disqualified share (enough tenders with bids)")
    minimum = serializers.IntegerField(help_text="Buyers needed before R038 is computed")
    q1 = serializers.CharField(allow_null=True)
    q3 = serializers.CharField(allow_null=True)
    upper_fence = serializers.CharField(allow_null=True, help_text="R038: Q3 + 1.5 IQR")


class BuyerRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TenderFlagsOut(serializers.Serializer):
    tender = serializers.IntegerField()
    buyer = BuyerRefOut()
    opened = serializers.BooleanField(help_text="The opening record exists (flags from prices are computed only then)")
    flags = FlagOut(many=True)
    indicators = IndicatorOut(many=True)
    market = MarketOut()
    buyers_fence = BuyersFenceOut()
    note = serializers.CharField()


class IndicatorCountOut(serializers.Serializer):
    tenders = serializers.IntegerField()
    share = serializers.CharField(allow_null=True)


class MonthOut(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM of publication")
    tenders = serializers.IntegerField()
    flagged = serializers.IntegerField()
    share = serializers.CharField(allow_null=True)


class BuyerFlagsOut(serializers.Serializer):
    buyer = serializers.IntegerField()
    name = serializers.CharField()
    tenders = serializers.IntegerField(help_text="Published tenders")
    flagged = serializers.IntegerField(help_text="Tenders with at least one flag")
    flagged_share = serializers.CharField(allow_null=True)
    indicators = serializers.DictField(child=IndicatorCountOut(), help_text="Per indicator id")
    offers = serializers.IntegerField(help_text="Offers received (bid and lot), opened or set aside")
    disqualified = serializers.IntegerField()
    disqualification_ratio = serializers.CharField(allow_null=True)
    r038 = serializers.BooleanField(help_text="R038 raised on this buyer")
    trend = MonthOut(many=True)


class FencesOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="Values the fence is computed from")
    q1 = serializers.CharField(allow_null=True)
    q3 = serializers.CharField(allow_null=True)
    fence = serializers.CharField(allow_null=True, help_text="The fence the rule compares with")


class SupplierFlagOut(serializers.Serializer):
    supplier = serializers.IntegerField()
    name = serializers.CharField()
    codes = serializers.ListField(child=serializers.CharField(), help_text="R025, R048 or both")
    valid_bids = serializers.IntegerField(help_text="Qualified offers on lots with an award")
    wins = serializers.IntegerField(help_text="Active awards")
    win_share = serializers.CharField(allow_null=True)
    divisions = serializers.IntegerField(help_text="CPV divisions of its awarded lots")
    awarded_tenders = serializers.IntegerField()


class SuppliersOut(serializers.Serializer):
    minimum = serializers.IntegerField(help_text="Suppliers needed before R025/R048 are computed")
    r025_top = serializers.CharField(allow_null=True, help_text="R025: valid bids at or above this make a top tenderer")
    r025 = FencesOut()
    r048 = FencesOut()
    flagged = SupplierFlagOut(many=True)


class FlagsByBuyerOut(serializers.Serializer):
    indicators = IndicatorOut(many=True)
    market = MarketOut()
    buyers_fence = BuyersFenceOut()
    suppliers = SuppliersOut(help_text="R025 and R048, raised on suppliers")
    note = serializers.CharField()
    results = BuyerFlagsOut(many=True)
