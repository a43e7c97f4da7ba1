"""The cases a person is on, with their role, through the REST API; superusers and organisation admins open
new ones (POST), through the same service as the home page and `manage.py create_case`."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from casework.cases import access, services
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


class CaseCreateSerializer(serializers.Serializer):
    # The model's own checks (format, uniqueness) run in the service, with the same messages as on the page.
    reference = serializers.CharField(max_length=20, help_text="Capital letters, digits and hyphens, e.g. CW-0042.")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    admin = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Username of the first case admin; you, when left out.",
    )

    def validate_admin(self, username):
        if not username:
            return None
        person = get_user_model().objects.filter(username=username).first()
        if person is None:
            raise serializers.ValidationError(_("No account has this username. Check the spelling with the person."))
        return person


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The cases whose team you are on. Other cases do not exist for you (404).

    POST opens a case (superusers and organisation admins only) with its first case admin."""

    serializer_class = CaseSerializer
    lookup_field = "reference"
    ordering_fields = ["reference", "created_at"]
    ordering = ["reference"]

    def get_queryset(self):
        return with_viewer_role(cases_visible_to(self.request.user), self.request.user)

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseSerializer})
    def create(self, request):
        if not request.user.has_perm(access.CREATE_CASE):
            raise PermissionDenied(_("Only an organisation admin can open a case."))
        incoming = CaseCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        case = services.case_create(actor=request.user, **incoming.validated_data)
        # The person may have named someone else as case admin, and so not be on it themselves.
        stored = with_viewer_role(Case.objects.filter(pk=case.pk), request.user).get()
        return Response(CaseSerializer(stored).data, status=status.HTTP_201_CREATED)
