"""REST API for evidence: list, upload (one file per request, so a bad file never leaves a partial batch),
detail with extracted metadata, and the original through the same permission check as the web."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from casework.api import ApiFilterSet, CaseScopedViewMixin
from casework.cases import access
from casework.cases.models import Case
from casework.evidence import selectors, services
from casework.evidence.models import CustodyEvent, MediaArrival, MediaItem, MediaSource
from casework.evidence.views import original_download
from casework.incidents.models import Incident
from casework.parsers import DepthLimitedJSONParser
from casework.witnesses.models import Witness, identity_fields_through


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "example": "2017-09-19T10:41:07",
        "description": "ISO 8601. With an offset when the file gives its time zone; without one (the device's "
        "clock time) when it does not: then capture_time_zone_known is false.",
    }
)
class CaptureTimeField(serializers.Field):
    """An instant when the file gives its zone; the device's clock time without an offset when it does not, so
    a client cannot mistake a local time of unknown zone for UTC."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, item: MediaItem):
        if item.capture_time is None:
            return None
        if item.capture_time_zone_known:
            return serializers.DateTimeField().to_representation(item.capture_time)
        return item.capture_wall_clock.isoformat()


class MediaItemSerializer(serializers.ModelSerializer):
    """An item as lists show it: no file name nor identifying metadata (the item's own page has them)."""

    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    incidents = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    witness = serializers.SlugRelatedField(
        slug_field="pseudonym", read_only=True, help_text="Pseudonym of the witness who sent or recorded the file."
    )
    capture_time = CaptureTimeField()
    withdrawn_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = MediaItem
        fields = [
            "id",
            "exhibit_number",
            "case",
            "incidents",
            "witness",
            "testimony",
            "sha256",
            "size_bytes",
            "mime_type",
            "kind",
            "source",
            "source_url",
            "acquired_at",
            "description",
            "is_graphic",
            "processing_state",
            "processing_error",
            "capture_time",
            "capture_time_zone_known",
            "latitude",
            "longitude",
            "device_make",
            "device_model",
            "width",
            "height",
            "duration_seconds",
            "container",
            "video_codec",
            "audio_codec",
            "frame_rate",
            "perceptual_hashes",
            "verification_status",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawal_reason",
            "metadata",
        ]
        read_only_fields = fields


class MediaArrivalSerializer(serializers.ModelSerializer):
    acquired_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    witness = serializers.SlugRelatedField(slug_field="pseudonym", read_only=True)

    class Meta:
        model = MediaArrival
        fields = ["id", "acquired_at", "acquired_by", "source", "source_url", "witness", "original_filename"]
        read_only_fields = fields


class MediaItemDetailSerializer(MediaItemSerializer):
    """One item for the case's team: also the sender's file name, every arrival of the file, and the
    identifying metadata (authors, owners, serial numbers), which are stored encrypted."""

    arrivals = MediaArrivalSerializer(many=True, read_only=True)
    identifying_metadata = serializers.JSONField(read_only=True)

    class Meta(MediaItemSerializer.Meta):
        fields = [*MediaItemSerializer.Meta.fields, "original_filename", "arrivals", "identifying_metadata"]
        read_only_fields = fields


class MediaUploadResultSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text="False when the same file (same SHA-256) was already stored.")
    message = serializers.CharField()
    item = MediaItemDetailSerializer()


class CaseWitnessField(serializers.SlugRelatedField):
    """A witness of the request's case, by pseudonym."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Pseudonym of a witness of this case who sent or recorded the file.")
        super().__init__(slug_field="pseudonym", queryset=Witness.objects.all(), **kwargs)

    def get_queryset(self):
        return Witness.objects.filter(case=self.context.get("case")).pseudonymous()


class CaseIncidentField(serializers.SlugRelatedField):
    """An incident of the request's case, by reference."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="reference", queryset=Incident.objects.all(), **kwargs)

    def get_queryset(self):
        return Incident.objects.filter(case=self.context.get("case"))


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    source = serializers.ChoiceField(choices=MediaSource.choices)
    source_url = serializers.URLField(required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    incidents = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    witness = CaseWitnessField(required=False, allow_null=True, default=None)

    def __init__(self, *args, case: Case | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def validate_incidents(self, references: list[str]) -> list[Incident]:
        found = {
            incident.reference: incident
            for incident in Incident.objects.filter(case=self.case, reference__in=references)
        }
        missing = [reference for reference in references if reference not in found]
        if missing:
            raise serializers.ValidationError(f"No such incident in this case: {', '.join(missing)}")
        return [found[reference] for reference in references]


class MediaUpdateSerializer(serializers.Serializer):
    """The details of an item that may change; what the file is and where it came from never do."""

    description = serializers.CharField(required=False, allow_blank=True)
    incidents = CaseIncidentField(many=True, required=False, help_text="References of incidents of this case.")
    witness = CaseWitnessField(required=False, allow_null=True)
    is_graphic = serializers.BooleanField(required=False, help_text="Reviewers: blur it behind a warning.")

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["This cannot be changed: only description, incidents, witness and is_graphic can."]
                 for name in unknown}
            )  # fmt: skip
        return attrs


class MediaWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Why; required.")


class MediaFilter(ApiFilterSet):
    incident = django_filters.CharFilter(method="about_incident", help_text="Incident reference.")
    sha256 = django_filters.CharFilter(field_name="sha256", lookup_expr="iexact")
    exhibit_number = django_filters.CharFilter(field_name="exhibit_number", lookup_expr="iexact")
    acquired_from = django_filters.DateFilter(field_name="acquired_at", lookup_expr="date__gte")
    acquired_to = django_filters.DateFilter(field_name="acquired_at", lookup_expr="date__lte")

    class Meta:
        model = MediaItem
        fields = ["kind", "source", "processing_state", "verification_status", "testimony"]

    def about_incident(self, queryset, name, value):
        through = MediaItem.incidents.through
        return queryset.filter(pk__in=through.objects.filter(incident__reference=value).values("mediaitem"))


class MediaViewSet(CaseScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Media evidence of the case. Upload one file per request, so a bad file never leaves a partial batch;
    every download of an original is a custody event, and so is every edit and withdrawal."""

    serializer_class = MediaItemSerializer
    filterset_class = MediaFilter
    ordering_fields = ["acquired_at", "capture_time", "size_bytes", "exhibit_sequence", "id"]
    ordering = ["-acquired_at", "-id"]
    lookup_url_kwarg = "item_id"
    parser_classes = [DepthLimitedJSONParser, MultiPartParser]
    read_permission = access.VIEW_MEDIA
    write_permission = access.UPLOAD_MEDIA
    # An edit needs the permission of each detail it changes (services.media_update checks them).
    action_permissions = {"partial_update": access.VIEW_MEDIA, "withdraw": access.MANAGE_TEAM}

    def get_queryset(self):
        items = selectors.media_for_case(case=self.case)
        if self.action != "list":
            items = items.prefetch_related(
                Prefetch(
                    "arrivals",
                    MediaArrival.objects.select_related("acquired_by", "witness").defer(
                        *identity_fields_through("witness")
                    ),
                )
            )
        return items

    def get_serializer_class(self):
        return MediaItemSerializer if self.action == "list" else MediaItemDetailSerializer

    def _as_stored(self, item: MediaItem) -> dict:
        return MediaItemDetailSerializer(
            self.get_queryset().get(pk=item.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=MediaUploadSerializer, responses={201: MediaUploadResultSerializer})
    def create(self, request, reference):
        serializer = MediaUploadSerializer(data=request.data, case=self.case, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.media_ingest_upload(
            uploaded=data["file"],
            case=self.case,
            source=data["source"],
            source_url=data["source_url"],
            description=data["description"],
            incidents=data["incidents"],
            witness=data["witness"],
            acquired_by=request.user,
        )
        body = {"created": result.created, "message": result.message, "item": self._as_stored(result.item)}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(request=MediaUpdateSerializer, responses={200: MediaItemDetailSerializer})
    def partial_update(self, request, reference, item_id):
        """Change the description, incidents, witness (editors) or the graphic-content flag (reviewers);
        a custody event records each change."""
        item = self.get_object()
        services.media_require_edit_permission(actor=request.user, item=item, fields=list(request.data))
        serializer = MediaUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        services.media_update(item=item, actor=request.user, **serializer.validated_data)
        return Response(self._as_stored(item))

    @extend_schema(request=MediaWithdrawSerializer, responses={200: MediaItemDetailSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, reference, item_id):
        """Withdraw the item from use (case admins, with a `reason`). It is never deleted: it stays listed and
        downloadable, and is left out of packets. Withdrawing it again changes nothing."""
        serializer = MediaWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.media_withdraw(
            item=self.get_object(), actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(self._as_stored(item))

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def original(self, request, reference, item_id):
        """The original file, byte for byte (its SHA-256 is in the item); recorded in the custody log."""
        return original_download(request, self.get_object())


class CustodyEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustodyEvent
        fields = [
            "sequence", "occurred_at", "actor_label", "action", "object_type", "object_id", "details",
            "previous_hash", "event_hash",
        ]  # fmt: skip
        read_only_fields = fields


class CustodyFilter(ApiFilterSet):
    media_item = django_filters.CharFilter(method="for_media_item", help_text="Events of one media item (its id).")

    class Meta:
        model = CustodyEvent
        fields = ["action", "object_type", "object_id"]

    def for_media_item(self, queryset, name, value):
        return queryset.filter(object_type=MediaItem._meta.label_lower, object_id=value)


class CustodyEventViewSet(
    CaseScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The case's custody log, read-only: each event carries the hash of the one before it."""

    serializer_class = CustodyEventSerializer
    filterset_class = CustodyFilter
    ordering_fields = ["sequence"]
    ordering = ["sequence"]
    lookup_field = "sequence"
    lookup_url_kwarg = "sequence"
    read_permission = access.VIEW_MEDIA
    write_permission = access.VIEW_MEDIA

    def get_queryset(self):
        return CustodyEvent.objects.filter(case=self.case)
