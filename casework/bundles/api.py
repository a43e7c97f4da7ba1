"""Evidence packets through the REST API: request one, follow its progress, download it when ready."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError

from casework.api import CaseRecordSlugField, CaseScopedViewMixin
from casework.bundles import services
from casework.bundles.models import BundleScope, EvidenceBundle
from casework.bundles.views import packet_download
from casework.cases import access
from casework.incidents.models import Incident


class BundleSerializer(serializers.ModelSerializer):
    incidents = CaseRecordSlugField(
        slug_field="reference",
        many=True,
        queryset=Incident.objects.all(),
        required=False,
        help_text="Incident references, for the 'incidents' scope.",
    )
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    must_rebuild = serializers.SerializerMethodField(
        help_text="Why the packet may no longer be downloaded (a witness's consent was withdrawn), or null."
    )

    class Meta:
        model = EvidenceBundle
        fields = [
            "id", "scope", "incidents", "recipient", "profile", "purpose", "status", "progress_percent",
            "progress_message", "failure_reason", "requested_by", "requested_at", "started_at", "finished_at",
            "size_bytes", "manifest_sha256", "names_witnesses", "expired_at", "must_rebuild",
        ]  # fmt: skip
        read_only_fields = [
            "status", "progress_percent", "progress_message", "failure_reason", "requested_at", "started_at",
            "finished_at", "size_bytes", "manifest_sha256", "names_witnesses", "expired_at",
        ]  # fmt: skip

    def get_must_rebuild(self, bundle) -> str | None:
        lapses = services.bundle_consent_lapses(bundle=bundle)
        return " ".join(lapse.message for lapse in lapses) or None

    def validate(self, attrs):
        if attrs.get("scope") == BundleScope.INCIDENTS and not attrs.get("incidents"):
            raise ValidationError({"incidents": ["Choose at least one incident, or the whole case."]})
        return attrs


class BundleViewSet(
    CaseScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Evidence packets of the case. A request is built by a worker; poll the packet for its status and
    progress, then download it. Needs the packet permission (analysts and case admins)."""

    serializer_class = BundleSerializer
    filterset_fields = ["status", "profile", "scope"]
    ordering_fields = ["requested_at", "id"]
    ordering = ["-requested_at", "-id"]
    lookup_url_kwarg = "bundle_id"
    read_permission = access.REQUEST_BUNDLE
    write_permission = access.REQUEST_BUNDLE

    def get_queryset(self):
        return (
            EvidenceBundle.objects.filter(case=self.case)
            .select_related("requested_by", "case")
            .prefetch_related("incidents")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.bundle_request(
            case=self.case,
            scope=data["scope"],
            incidents=data.get("incidents", []),
            recipient=data["recipient"],
            profile=data["profile"],
            purpose=data.get("purpose", ""),
            actor=self.request.user,
        )

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, reference, bundle_id):
        """The packet's ZIP (report, originals, signed manifest, custody log); 404 until it is ready, 410 once
        it expired, 409 while a witness's consent no longer covers what it carries (rebuild it)."""
        try:
            return packet_download(request, self.get_object())
        except Http404 as missing:
            raise NotFound(str(missing)) from None
