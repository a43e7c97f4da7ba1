"""Captures through the REST API: send addresses to capture, follow each capture's progress and result."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from casework.api import CaseRecordSlugField, CaseScopedViewMixin
from casework.captures import services
from casework.captures.models import Capture, CaptureArtefact, CaptureCheck
from casework.cases import access
from casework.incidents.models import Incident


class CaptureArtefactSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaptureArtefact
        fields = ["kind", "sha256", "size_bytes"]


class CaptureCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaptureCheck
        fields = ["checked_at", "outcome", "http_status", "detail"]


class CaptureSerializer(serializers.ModelSerializer):
    incidents = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    media_item = serializers.SlugRelatedField(slug_field="exhibit_number", read_only=True)
    artefacts = CaptureArtefactSerializer(many=True, read_only=True)
    checks = CaptureCheckSerializer(many=True, read_only=True)

    class Meta:
        model = Capture
        fields = [
            "id", "url", "incidents", "note", "requested_by", "requested_at", "state", "progress_message",
            "failure_reason", "failure_detail", "captured_at", "final_url", "http_status", "http_headers",
            "resolved_ip", "title", "tool_versions", "media_info", "media_item", "media_was_new",
            "manifest_sha256", "source_status", "last_checked_at", "gone_since", "artefacts", "checks",
        ]  # fmt: skip
        read_only_fields = fields


class CaptureRequestSerializer(serializers.Serializer):
    urls = serializers.ListField(
        child=serializers.CharField(max_length=2000), min_length=1, help_text="The http(s) addresses to capture."
    )
    incidents = CaseRecordSlugField(slug_field="reference", many=True, queryset=Incident.objects.all(), required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CaptureViewSet(
    CaseScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Captures of online sources for the case. POST addresses (one capture each, fetched by a worker), then
    poll a capture for its state, its artefacts' hashes and its re-checks."""

    serializer_class = CaptureSerializer
    filterset_fields = ["state", "source_status"]
    ordering_fields = ["requested_at", "id"]
    ordering = ["-requested_at", "-id"]
    lookup_url_kwarg = "capture_id"
    read_permission = access.VIEW_MEDIA
    write_permission = access.UPLOAD_MEDIA

    def get_queryset(self):
        return Capture.objects.filter(case=self.case).for_list().prefetch_related("incidents", "artefacts", "checks")

    @extend_schema(request=CaptureRequestSerializer, responses={201: CaptureSerializer(many=True)})
    def create(self, request, reference):
        incoming = CaptureRequestSerializer(data=request.data, context=self.get_serializer_context())
        incoming.is_valid(raise_exception=True)
        captures = services.capture_request(
            case=self.case,
            urls=incoming.validated_data["urls"],
            incidents=incoming.validated_data.get("incidents", []),
            note=incoming.validated_data["note"],
            actor=request.user,
        )
        fresh = self.get_queryset().filter(pk__in=[capture.pk for capture in captures]).order_by("id")
        return Response(CaptureSerializer(fresh, many=True).data, status=status.HTTP_201_CREATED)
