"""Witnesses, consents and testimonies through the REST API, under /api/cases/<reference>/.

A witness is shown by pseudonym only. The identity fields can be written (they are stored encrypted) but are
never returned, except by the reveal action, which needs the reveal permission and a reason, and is audited.
"""

import django_filters
from django.db.models import F, Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from casework.api import (
    ApiFilterSet,
    CaseRecordPrimaryKeyField,
    CaseRecordSlugField,
    CaseScopedViewMixin,
    UtcTimestampText,
    VersionedSerializerMixin,
    VersionedWriteMixin,
    api_datetime_text,
)
from casework.cases import access
from casework.evidence.models import MediaItem
from casework.incidents.models import Incident
from casework.witnesses import services
from casework.witnesses.forms import LANGUAGE_CHOICES
from casework.witnesses.models import (
    IDENTITY_FIELDS,
    Consent,
    ReviewStatus,
    Testimony,
    TestimonyTranslation,
    Witness,
    identity_fields_through,
)
from casework.witnesses.selectors import testimonies_listed_relations


class WitnessSerializer(VersionedSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Witness
        fields = [
            "id", "pseudonym", "relationship", "risk_level", "reliability", "connection", "notes", "version",
            "created_at", *IDENTITY_FIELDS,
        ]  # fmt: skip
        read_only_fields = ["created_at"]
        extra_kwargs = {
            name: {"write_only": True, "required": False, "help_text": "Stored encrypted; never returned."}
            for name in IDENTITY_FIELDS
        }


class RevealSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why you need to see this identity; kept in the audit log.")


IdentitySerializer = inline_serializer(
    name="WitnessIdentity", fields={name: serializers.CharField() for name in IDENTITY_FIELDS}
)


class WitnessViewSet(
    CaseScopedViewMixin,
    VersionedWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Witnesses of the case, by pseudonym. Search looks at the pseudonym only, never at the identity."""

    serializer_class = WitnessSerializer
    filterset_fields = ["relationship", "risk_level", "reliability", "connection"]
    ordering_fields = ["pseudonym", "created_at", "id"]
    ordering = ["pseudonym"]
    lookup_url_kwarg = "witness_id"
    read_permission = access.VIEW_CASE
    write_permission = access.EDIT_RECORDS
    action_permissions = {"reveal": access.REVEAL_IDENTITY}

    def get_queryset(self):
        # Identities are never returned here, so they are not even decrypted.
        witnesses = Witness.objects.filter(case=self.case).pseudonymous()
        query = self.request.query_params.get("q", "").strip()
        return witnesses.filter(pseudonym__icontains=query) if query else witnesses

    def write(self, witness, values, expected_version):
        return services.witness_write(
            case=self.case,
            actor=self.request.user,
            witness=witness,
            values=values,
            expected_version=expected_version,
            request=self.request,
        )

    @extend_schema(request=RevealSerializer, responses=IdentitySerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, reference, witness_id):
        """The witness's identity, for a person allowed to see it; the reveal and its reason are audited."""
        witness = self.get_object()
        witness.refresh_from_db(fields=IDENTITY_FIELDS)  # the list leaves them out; one query for all
        form = RevealSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        identity = services.witness_reveal_identity(
            witness=witness, actor=request.user, reason=form.validated_data["reason"], request=request
        )
        response = Response(identity)
        response["Cache-Control"] = "no-store"
        return response


class ConsentSerializer(serializers.ModelSerializer):
    witness = CaseRecordPrimaryKeyField(queryset=Witness.objects.pseudonymous())
    witness_pseudonym = serializers.CharField(source="witness.pseudonym", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    in_force = serializers.SerializerMethodField()
    name_confirmed = serializers.BooleanField(
        source="name_sharing_confirmed",
        read_only=True,
        help_text="Whether a case admin confirmed that the name may be shared (until then only the pseudonym is).",
    )

    class Meta:
        model = Consent
        fields = [
            "id", "witness", "witness_pseudonym", "scope", "allows_name", "name_confirmed", "given_on", "method",
            "withdrawn_on", "withdrawal_reason", "superseded_on", "notes", "recorded_by", "recorded_at", "in_force",
        ]  # fmt: skip
        read_only_fields = ["recorded_at", "withdrawn_on", "withdrawal_reason", "superseded_on"]

    def get_in_force(self, consent) -> bool:
        return consent.in_force_on(timezone.localdate())


class WithdrawSerializer(serializers.Serializer):
    withdrawn_on = serializers.DateField(required=False, help_text="From when; today if left out.")
    reason = serializers.CharField(help_text="Why, as the witness said it (kept with the consent).")


class ConsentViewSet(
    CaseScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Consent records of the case's witnesses. A record is never edited: a withdrawal is recorded on it."""

    serializer_class = ConsentSerializer
    filterset_fields = ["witness", "scope", "method"]
    ordering_fields = ["given_on", "id"]
    ordering = ["witness", "scope", "-given_on"]
    lookup_url_kwarg = "consent_id"
    read_permission = access.VIEW_CASE
    write_permission = access.EDIT_RECORDS
    action_permissions = {"confirm_name": access.MANAGE_TEAM}

    def get_queryset(self):
        return (
            Consent.objects.filter(witness__case=self.case)
            .select_related("witness", "recorded_by")
            .defer(*identity_fields_through("witness"))
        )

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        witness = values.pop("witness")
        serializer.instance = services.consent_record(witness=witness, values=values, actor=self.request.user)

    @extend_schema(request=WithdrawSerializer, responses=ConsentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, reference, consent_id):
        consent = self.get_object()
        form = WithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.consent_withdraw(
            consent=consent,
            withdrawn_on=form.validated_data.get("withdrawn_on") or timezone.localdate(),
            reason=form.validated_data["reason"],
            actor=request.user,
        )
        return Response(ConsentSerializer(consent, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=ConsentSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-name")
    def confirm_name(self, request, reference, consent_id):
        """A case admin confirms that the witness agreed to share their name in this scope."""
        consent = self.get_object()
        services.consent_confirm_name(consent=consent, actor=request.user)
        return Response(ConsentSerializer(consent, context=self.get_serializer_context()).data)


class TranslationSerializer(serializers.ModelSerializer):
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES)

    class Meta:
        model = TestimonyTranslation
        fields = ["language", "text"]


class TestimonySerializer(VersionedSerializerMixin, serializers.ModelSerializer):
    witness = CaseRecordPrimaryKeyField(queryset=Witness.objects.pseudonymous())
    witness_pseudonym = serializers.CharField(source="witness.pseudonym", read_only=True)
    incidents = CaseRecordSlugField(
        slug_field="reference", many=True, queryset=Incident.objects.all(), help_text="Incident references."
    )
    recordings = CaseRecordPrimaryKeyField(
        source="media_items",
        many=True,
        queryset=MediaItem.objects.all(),
        required=False,
        help_text="Ids of the media items (audio or video) that record this testimony.",
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES)
    translations = TranslationSerializer(many=True, required=False)
    interviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Testimony
        fields = [
            "id", "witness", "witness_pseudonym", "incidents", "interview_date", "interviewer", "method", "language",
            "original_text", "recordings", "translations", "status", "reviewed_by", "reviewed_at", "review_reason",
            "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["status", "reviewed_at", "review_reason", "created_at", "updated_at"]

    def validate_translations(self, translations):
        languages = [translation["language"] for translation in translations]
        if len(languages) != len(set(languages)):
            raise serializers.ValidationError("One translation per language.")
        return translations


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("verify", "verify"), ("reject", "reject")])
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(help_text="The version of the testimony you read; 409 if it changed since.")


class SubmitSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, help_text="The version you submit; 409 if it changed since.")


class TestimonyFilter(ApiFilterSet):
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)
    witness = django_filters.NumberFilter(field_name="witness_id")
    incident = django_filters.CharFilter(method="about_incident", help_text="Incident reference.")
    interview_from = django_filters.DateFilter(field_name="interview_date", lookup_expr="gte")
    interview_to = django_filters.DateFilter(field_name="interview_date", lookup_expr="lte")
    method = django_filters.CharFilter()
    language = django_filters.CharFilter()

    class Meta:
        model = Testimony
        fields = []

    def about_incident(self, queryset, name, value):
        through = Testimony.incidents.through
        return queryset.filter(pk__in=through.objects.filter(incident__reference=value).values("testimony"))


# What a listed testimony shows from its own row, and the values of its witness and people read in the same
# query (by name); its incidents, recordings and translations come from testimonies_listed_relations. No other
# column is read: the witness's identity least of all, and no model instance of witness or person is made.
LISTED_COLUMNS = (
    "id", "witness_id", "interview_date", "method", "language", "original_text", "status", "review_reason",
    "version",
)  # fmt: skip
LISTED_THROUGH = {
    "listed_witness_pseudonym": F("witness__pseudonym"),
    "listed_interviewer": F("interviewer__username"),
    "listed_reviewed_by": F("reviewed_by__username"),
    "listed_reviewed_at": UtcTimestampText("reviewed_at"),
    "listed_created_at": UtcTimestampText("created_at"),
    "listed_updated_at": UtcTimestampText("updated_at"),
}


# Built once: each request only narrows it to its case (resolving these names anew cost more than the query).
LISTED_TESTIMONIES = Testimony.objects.values(*LISTED_COLUMNS, **LISTED_THROUGH)


def testimony_listed(row: dict, relations: dict[str, list], zone) -> dict:
    """A listed testimony as TestimonySerializer shows it (the same names, order and formats), built from the
    plain values of the list's query: a page of 50 is built without a model instance or a serializer field per
    value, which cost several times the database's work. test_the_list_shows_each_testimony_as_its_own_page_does
    holds the two to the same answer."""
    return {
        "id": row["id"],
        "witness": row["witness_id"],
        "witness_pseudonym": row["listed_witness_pseudonym"],
        "incidents": relations["incidents"],
        "interview_date": row["interview_date"].isoformat(),
        "interviewer": row["listed_interviewer"],
        "method": row["method"],
        "language": row["language"],
        "original_text": row["original_text"],
        "recordings": relations["recordings"],
        "translations": relations["translations"],
        "status": row["status"],
        "reviewed_by": row["listed_reviewed_by"],
        "reviewed_at": api_datetime_text(row["listed_reviewed_at"], zone),
        "review_reason": row["review_reason"],
        "version": row["version"],
        "created_at": api_datetime_text(row["listed_created_at"], zone),
        "updated_at": api_datetime_text(row["listed_updated_at"], zone),
    }


class TestimonyViewSet(
    CaseScopedViewMixin,
    VersionedWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Testimonies of the case. Submitting needs the edit permission; review the review permission and a
    reviewer other than the author. A verified testimony cannot be edited."""

    serializer_class = TestimonySerializer
    filterset_class = TestimonyFilter
    ordering_fields = ["interview_date", "created_at", "id"]
    ordering = ["-interview_date", "-id"]
    lookup_url_kwarg = "testimony_id"
    read_permission = access.VIEW_CASE
    write_permission = access.EDIT_RECORDS
    action_permissions = {"review": access.REVIEW}

    def get_queryset(self):
        if self.action == "list":
            return LISTED_TESTIMONIES.filter(case=self.case)
        return (
            Testimony.objects.filter(case=self.case)
            .select_related("witness", "interviewer", "reviewed_by")
            .defer(*identity_fields_through("witness"))
            .prefetch_related(
                Prefetch("incidents", Incident.objects.only("id", "reference")),
                "translations",
                Prefetch("media_items", MediaItem.objects.only("id", "testimony_id")),
            )
        )

    def list(self, request, *args, **kwargs):
        """A page of testimonies: their witness's pseudonym and people's usernames read with them, their
        incidents, recordings and translations for the whole page at once."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        relations = testimonies_listed_relations([row["id"] for row in page])
        zone = timezone.get_current_timezone()
        return self.get_paginated_response([testimony_listed(row, relations[row["id"]], zone) for row in page])

    def write(self, testimony, values, expected_version):
        translations = values.pop("translations", None)
        incidents = values.pop("incidents", None)
        recordings = values.pop("media_items", None)
        return services.testimony_write(
            case=self.case,
            actor=self.request.user,
            testimony=testimony,
            values=values,
            expected_version=expected_version,
            incidents=incidents,
            translations=[dict(row) for row in translations] if translations is not None else None,
            recordings=recordings,
        )

    @extend_schema(request=SubmitSerializer, responses=TestimonySerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, reference, testimony_id):
        testimony = self.get_object()
        form = SubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.testimony_submit(
            testimony=testimony, actor=request.user, expected_version=form.validated_data.get("version")
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=testimony.pk)).data)

    @extend_schema(request=ReviewSerializer, responses=TestimonySerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, reference, testimony_id):
        testimony = self.get_object()
        form = ReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.testimony_review(
            testimony=testimony,
            reviewer=request.user,
            verified=form.validated_data["decision"] == "verify",
            reason=form.validated_data["reason"],
            expected_version=form.validated_data["version"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=testimony.pk)).data)
