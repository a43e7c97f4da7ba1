"""The cases a person is on, with their role, through the REST API."""

from django.db.models import OuterRef, Subquery
from rest_framework import mixins, serializers, viewsets

from casework.cases.models import Case, CaseMembership
from casework.cases.selectors import cases_visible_to


class CaseSerializer(serializers.ModelSerializer):
    my_role = serializers.CharField(
        read_only=True, allow_null=True, help_text="Your role on the case's team (empty for superusers)."
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
        user = self.request.user
        my_role = CaseMembership.objects.filter(case=OuterRef("pk"), user=user.pk).values("role")[:1]
        return cases_visible_to(user).annotate(my_role=Subquery(my_role))
