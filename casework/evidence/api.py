"""REST API for evidence: list, upload (one file per request, so a bad file never leaves a partial batch),
detail with extracted metadata, and the original through the same permission check as the web."""

from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.cases import access
from casework.cases.models import Case
from casework.evidence import selectors, services
from casework.evidence.models import MediaItem, MediaSource
from casework.evidence.uploads import IntakeRejected
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


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    source = serializers.ChoiceField(choices=MediaSource.choices)
    source_url = serializers.URLField(required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    incidents = serializers.ListField(child=serializers.CharField(), required=False, default=list)

    def __init__(self, *args, case: Case, **kwargs):
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


def _case_for(request, reference: str, permission: str) -> Case:
    case = Case.objects.filter(reference=reference).first()
    if case is None or not request.user.has_perm(access.VIEW_CASE, case):
        raise NotFound("No such case.")
    if not request.user.has_perm(permission, case):
        raise PermissionDenied
    return case


class CaseMediaView(APIView):
    parser_classes = [MultiPartParser]

    def get(self, request, reference: str):
        case = _case_for(request, reference, access.VIEW_MEDIA)
        items = selectors.media_for_case(case=case).order_by("-acquired_at", "id")[:500]
        return Response(MediaItemSerializer(items, many=True).data)

    def post(self, request, reference: str):
        case = _case_for(request, reference, access.UPLOAD_MEDIA)
        serializer = MediaUploadSerializer(data=request.data, case=case)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = services.media_ingest_upload(
                uploaded=data["file"],
                case=case,
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


class MediaItemView(APIView):
    def get(self, request, item_id: int):
        item = get_object_or_404(MediaItem.objects.select_related("case"), pk=item_id)
        if not request.user.has_perm(access.VIEW_CASE, item.case):
            raise NotFound("No such media item.")
        if not request.user.has_perm(access.VIEW_MEDIA, item.case):
            raise PermissionDenied
        return Response(MediaItemSerializer(item).data)
