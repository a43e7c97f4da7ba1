"""Notifications and review assignments through the REST API.

/api/notifications/ lists your notifications (in cases you are still on); POST .../<id>/read/ or .../read/
marks them read. /api/cases/<reference>/testimonies/<id>/assign/ and .../media/<id>/assign/ assign a record
waiting for review to a reviewer of the case (a person with the review permission there), or to nobody.
"""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api import api_case
from casework.cases import access
from casework.errors import Refused
from casework.evidence.models import MediaItem
from casework.notifications import selectors, services
from casework.notifications.models import Notification, NotificationKind
from casework.witnesses.models import Testimony


class NotificationSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True, help_text="The case's reference.")
    message = serializers.CharField(read_only=True, help_text="What happened, in your language.")
    link = serializers.CharField(read_only=True, help_text="The web page of the record it is about.")
    kind = serializers.ChoiceField(choices=NotificationKind.choices, read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "case", "message", "reason", "link", "testimony", "media_item", "bundle",
                  "created_at", "read_at"]  # fmt: skip
        read_only_fields = fields


class MarkedReadSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(help_text="How many notifications were unread and are now read.")


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your notifications, newest first. `?unread=true` for the unread ones only."""

    serializer_class = NotificationSerializer
    lookup_url_kwarg = "notification_id"
    filter_backends = []  # newest first, as selected

    def get_queryset(self):
        notifications = selectors.notifications_for(self.request.user)
        if self.request.query_params.get("unread") in ("true", "1"):
            notifications = notifications.unread()
        return notifications

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="Only the notifications you have not read.")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=MarkedReadSerializer, operation_id="notifications_read")
    @action(detail=True, methods=["post"])
    def read(self, request, notification_id):
        """Mark one of your notifications read (someone else's: 404)."""
        notification = get_object_or_404(selectors.notifications_for(request.user), pk=notification_id)
        marked = services.notifications_mark_read(user=request.user, ids=[notification.pk])
        return Response({"marked_read": marked})

    @extend_schema(request=None, responses=MarkedReadSerializer, operation_id="notifications_read_all")
    @action(detail=False, methods=["post"])
    def read_all(self, request):
        """Mark all your notifications read."""
        return Response({"marked_read": services.notifications_mark_read(user=request.user)})


class AssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(
        allow_null=True,
        allow_blank=True,
        help_text="The reviewer's username; null (or empty) to leave the record unassigned.",
    )


class AssignmentSerializer(serializers.Serializer):
    assignee = serializers.CharField(allow_null=True, help_text="Who is to review it (username), or null.")
    assigned_by = serializers.CharField(allow_null=True)
    assigned_at = serializers.DateTimeField(allow_null=True)


class _AssignView(APIView):
    """Assign a record waiting for review to a reviewer of the case (needs the review permission on it)."""

    model: type
    lookup: str

    @extend_schema(request=AssignSerializer, responses=AssignmentSerializer)
    def post(self, request, reference, **kwargs):
        case = api_case(request, reference, access.REVIEW)
        record = get_object_or_404(self.model, pk=kwargs[self.lookup], case=case)
        incoming = AssignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        username = incoming.validated_data["assignee"]
        assignee = None
        if username:
            assignee = get_user_model().objects.filter(username=username).first()
            if assignee is None:
                raise Refused(_("No account has this username. Check the spelling with the person."), field="assignee")
        assignment = services.review_assign(record=record, assignee=assignee, actor=request.user)
        answer = {"assignee": None, "assigned_by": None, "assigned_at": None}
        if assignment is not None:
            answer = {
                "assignee": assignment.assignee.get_username(),
                "assigned_by": assignment.assigned_by.get_username() if assignment.assigned_by else None,
                "assigned_at": assignment.assigned_at,
            }
        return Response(AssignmentSerializer(answer).data)


class TestimonyAssignView(_AssignView):
    """Assign a testimony submitted for review to a reviewer of the case, or to nobody."""

    model = Testimony
    lookup = "testimony_id"


class MediaAssignView(_AssignView):
    """Assign a media item waiting for review to a reviewer of the case, or to nobody."""

    model = MediaItem
    lookup = "item_id"
