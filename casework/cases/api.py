"""The cases a person is on, with their role, through the REST API."""

from rest_framework import mixins, serializers, viewsets

from casework.cases.models import Case
from casework.cases.selectors import cases_visible_to, with_viewer_role


class CaseSerializer(serializers.ModelSerializer):
    my_role = serializers.CharField(
        source="viewer_role",
        read_only=True,
        allow_null=True,
        help_text="Your role on the case's team (empty for superusers).",
    )

    class Meta:
        model = Case
        fields = ["reference", "title", "description", "created_at", "my_role"]


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The cases whose team you are on. Other cases do not exist for you (404)."""

    serializer_class = CaseSerializer
    lookup_field = "reference"
    ordering_fields = ["reference", "created_at"]
    ordering = ["reference"]

    def get_queryset(self):
        return with_viewer_role(cases_visible_to(self.request.user), self.request.user)
