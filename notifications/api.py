from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsSupplier
from core.pagination import Pagination

from . import selectors, services
from .serializers import MarkedOut, NotificationOut, NotificationPageOut, SubscriptionIn, SubscriptionOut


class SubscriptionListView(APIView):
    permission_classes = [IsSupplier]

    @extend_schema(responses={200: SubscriptionOut(many=True)}, tags=["notifications"],
                   summary="Your organisation's subscriptions")
    def get(self, request):
        return Response(SubscriptionOut(selectors.subscriptions_of(request.user), many=True).data)

    @extend_schema(request=SubscriptionIn, responses={201: SubscriptionOut}, tags=["notifications"],
                   summary="Subscribe to a CPV prefix, optionally from one buyer")
    def post(self, request):
        data = SubscriptionIn(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.subscribe(by=request.user, cpv_prefix=data.validated_data["cpv_prefix"],
                                          buyer_id=data.validated_data["buyer"])
        return Response(SubscriptionOut(selectors.subscriptions_of(request.user).get(pk=subscription.pk)).data,
                        status=status.HTTP_201_CREATED)


class SubscriptionDetailView(APIView):
    permission_classes = [IsSupplier]

    @extend_schema(responses={204: None}, tags=["notifications"], summary="Unsubscribe")
    def delete(self, request, subscription_id: int):
        services.unsubscribe(subscription_id, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationListView(APIView):
    permission_classes = [IsSupplier]

    @extend_schema(responses={200: NotificationPageOut}, tags=["notifications"],
                   parameters=[OpenApiParameter("unread", bool, required=False, description="Only unread ones")],
                   summary="Your organisation's notifications, newest first (paginated)")
    def get(self, request):
        unread = request.query_params.get("unread", "").lower() in {"1", "true", "yes"}
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.notifications_of(request.user, unread_only=unread),
                                           request, view=self)
        return paginator.get_paginated_response(NotificationOut(page, many=True).data)


class MarkReadView(APIView):
    permission_classes = [IsSupplier]

    @extend_schema(request=None, responses={200: NotificationOut}, tags=["notifications"], summary="Mark read")
    def post(self, request, notification_id: int):
        return Response(NotificationOut(services.mark_read(notification_id, by=request.user)).data)


class MarkAllReadView(APIView):
    permission_classes = [IsSupplier]

    @extend_schema(request=None, responses={200: MarkedOut}, tags=["notifications"], summary="Mark all read")
    def post(self, request):
        return Response(MarkedOut({"marked": services.mark_all_read(by=request.user)}).data)
