"""REST API for evidence: list, upload (one file per request, so a bad file never leaves a partial batch),
detail with extracted metadata, and the original through the same permission check as the web."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from casework.api import CaseScopedViewMixin
from casework.cases import access
from casework.cases.models import Case
from casework.evidence import selectors, services
from casework.evidence.models import CustodyEvent, MediaItem, MediaSource
from casework.evidence.uploads import IntakeRejected
from casework.evidence.views import original_download
from casework.incidents.models import Incident


class MediaItemSerializer(serializers.ModelSerializer):
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    incidents = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)

    class Meta:
        model = MediaItem
        fields = [
            "id",
            "case",
            "incidents",
            "sha256",
            "size_bytes",
            "mime_type",
            "kind",
            "original_filename",
            "source",
            "source_url",
            "acquired_at",
            "processing_state",
            "processing_error",
            "capture_time",
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
            "metadata",
        ]
        read_only_fields = fields


class MediaUploadResultSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text="False when the same file (same SHA-256) was already stored.")
    message = serializers.CharField()
    item = MediaItemSerializer()


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    source = serializers.ChoiceField(choices=MediaSource.choices)
    source_url = serializers.URLField(required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    incidents = serializers.ListField(child=serializers.CharField(), required=False, default=list)

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


class MediaFilter(django_filters.FilterSet):
    incident = django_filters.CharFilter(method="about_incident", help_text="Incident reference.")
    sha256 = django_filters.CharFilter(field_name="sha256", lookup_expr="iexact")
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
    every download of an original is a custody event."""

    serializer_class = MediaItemSerializer
    filterset_class = MediaFilter
    ordering_fields = ["acquired_at", "capture_time", "size_bytes", "id"]
    ordering = ["-acquired_at", "-id"]
    lookup_url_kwarg = "item_id"
    parser_classes = [MultiPartParser]
    read_permission = access.VIEW_MEDIA
    write_permission = access.UPLOAD_MEDIA

    def get_queryset(self):
        return selectors.media_for_case(case=self.case)

    @extend_schema(request=MediaUploadSerializer, responses={201: MediaUploadResultSerializer})
    def create(self, request, reference):
        serializer = MediaUploadSerializer(data=request.data, case=self.case)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = services.media_ingest_upload(
                uploaded=data["file"],
                case=self.case,
                source=data["source"],
                source_url=data["source_url"],
                description=data["description"],
                incidents=data["incidents"],
                acquired_by=request.user,
            )
        except IntakeRejected as error:
            return Response({"file": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        body = {
            "created": result.created,
            "message": result.message,
            "item": MediaItemSerializer(result.item).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

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


class CustodyFilter(django_filters.FilterSet):
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
