from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casework.cases.models import Case
from casework.errors import ConstraintMessagesByField


class VocabularyQuerySet(models.QuerySet):
    def available_for(self, case: Case | None) -> "VocabularyQuerySet":
        """Shared terms plus the ones a case admin added to this case."""
        return self.filter(Q(case__isnull=True) | Q(case=case), is_active=True)


class VocabularyTerm(ConstraintMessagesByField, models.Model):
    """A controlled-vocabulary entry. Shared terms are seeded; a case admin can add terms to a case."""

    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for terms shared by every case."),
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name (English)"), max_length=200)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = VocabularyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        if get_language() == "ar" and self.name_ar:
            return self.name_ar
        return self.name

    @staticmethod
    def vocabulary_constraint_fields(prefix: str) -> dict[str, str]:
        return {f"{prefix}_shared_code_unique": "code", f"{prefix}_case_code_unique": "code"}

    @classmethod
    def vocabulary_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(case__isnull=True),
                name=f"{prefix}_shared_code_unique",
                violation_error_message=_("A shared term with this code already exists."),
            ),
            models.UniqueConstraint(
                fields=["case", "code"],
                condition=Q(case__isnull=False),
                name=f"{prefix}_case_code_unique",
                violation_error_message=_("This case already has a term with this code."),
            ),
        ]


class Governorate(VocabularyTerm):
    constraint_fields = VocabularyTerm.vocabulary_constraint_fields("governorate")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("governorate")
        verbose_name_plural = _("governorates")
        constraints = VocabularyTerm.vocabulary_constraints("governorate")


class IncidentType(VocabularyTerm):
    constraint_fields = VocabularyTerm.vocabulary_constraint_fields("incidenttype")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("incident type")
        verbose_name_plural = _("incident types")
        constraints = VocabularyTerm.vocabulary_constraints("incidenttype")


class WeaponType(VocabularyTerm):
    constraint_fields = VocabularyTerm.vocabulary_constraint_fields("weapontype")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("weapon type")
        verbose_name_plural = _("weapon types")
        constraints = VocabularyTerm.vocabulary_constraints("weapontype")


class FacilityType(VocabularyTerm):
    constraint_fields = VocabularyTerm.vocabulary_constraint_fields("facilitytype")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("facility type")
        verbose_name_plural = _("facility types")
        constraints = VocabularyTerm.vocabulary_constraints("facilitytype")


class Occupation(VocabularyTerm):
    constraint_fields = VocabularyTerm.vocabulary_constraint_fields("occupation")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("occupation category")
        verbose_name_plural = _("occupation categories")
        constraints = VocabularyTerm.vocabulary_constraints("occupation")


class Party(VocabularyTerm):
    constraint_fields = VocabularyTerm.vocabulary_constraint_fields("party")

    class Meta(VocabularyTerm.Meta):
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = VocabularyTerm.vocabulary_constraints("party")


class DatePrecision(models.TextChoices):
    """HURIDOCS Events Standard Formats: date type."""

    EXACT = "exact", _("Exact")
    ESTIMATE = "estimate", _("Estimate")
    UNKNOWN_DAY = "unknown_day", _("Day unknown")
    UNKNOWN_MONTH_DAY = "unknown_month_day", _("Month and day unknown")


class IncidentQuerySet(models.QuerySet):
    def for_list(self) -> "IncidentQuerySet":
        return self.select_related("case", "governorate", "incident_type").prefetch_related("weapons")


class Incident(ConstraintMessagesByField, models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="incidents")
    reference = models.CharField(_("reference"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    start_time = models.DateTimeField(_("start"))
    end_time = models.DateTimeField(_("end"), null=True, blank=True)
    date_precision = models.CharField(
        _("date precision"), max_length=20, choices=DatePrecision.choices, default=DatePrecision.EXACT
    )
    governorate = models.ForeignKey(
        Governorate, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("governorate")
    )
    district = models.CharField(_("district"), max_length=200, blank=True)
    locality = models.CharField(_("locality"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    incident_type = models.ForeignKey(
        IncidentType, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("incident type")
    )
    weapons = models.ManyToManyField(WeaponType, blank=True, related_name="incidents", verbose_name=_("weapons"))
    facilities_hit = models.ManyToManyField(
        FacilityType, blank=True, related_name="incidents", verbose_name=_("facilities hit")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Raised by every edit through a service; an edit made from an older version is refused (no lost update).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    # Tolls derived from the victims in the same transaction as every victim change (incident_refresh_tolls),
    # never typed in; the statistics add these up instead of counting every victim again.
    civilians_killed = models.PositiveIntegerField(_("civilians killed"), default=0, editable=False)
    children_killed = models.PositiveIntegerField(_("children killed"), default=0, editable=False)
    adult_women_killed = models.PositiveIntegerField(_("adult women killed"), default=0, editable=False)
    injured = models.PositiveIntegerField(_("injured"), default=0, editable=False)
    civilians_injured = models.PositiveIntegerField(_("civilians injured"), default=0, editable=False)
    is_massacre = models.BooleanField(_("massacre"), default=False, editable=False)
    tolls_computed_at = models.DateTimeField(_("tolls computed at"), null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["tolls_computed_at", "updated_at"])
    objects = IncidentQuerySet.as_manager()

    constraint_fields = {
        "incident_reference_unique_per_case": "reference",
        "incident_date_precision_valid": "date_precision",
        "incident_ends_after_start": "end_time",
        "incident_latitude_range": "latitude",
        "incident_longitude_range": "longitude",
        "incident_lat_lon_together": "latitude",
    }

    class Meta:
        ordering = ["-start_time"]
        # The incidents of one monthly rollup (case, governorate, month), recounted at every write.
        indexes = [models.Index(fields=["case", "governorate", "start_time"], name="incident_case_gov_start")]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "reference"],
                name="incident_reference_unique_per_case",
                violation_error_message=_("An incident with this reference already exists in this case."),
            ),
            models.CheckConstraint(
                condition=Q(date_precision__in=DatePrecision.values),
                name="incident_date_precision_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(end_time__isnull=True) | Q(end_time__gte=F("start_time")),
                name="incident_ends_after_start",
                violation_error_message=_("The end cannot be before the start."),
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="incident_latitude_range",
                violation_error_message=_("The latitude must be between -90 and 90."),
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="incident_longitude_range",
                violation_error_message=_("The longitude must be between -180 and 180."),
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="incident_lat_lon_together",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
            models.CheckConstraint(
                condition=Q(children_killed__lte=F("civilians_killed"))
                & Q(adult_women_killed__lte=F("civilians_killed")),
                name="incident_toll_parts_within_total",
                violation_error_message=_("Children and adult women killed cannot outnumber the civilians killed."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"


class AttributionConfidence(models.TextChoices):
    """HURIDOCS Events Standard Formats: degree of involvement certainty."""

    CONFIRMED = "confirmed", _("Confirmed")
    LIKELY = "likely", _("Likely")
    POSSIBLE = "possible", _("Possible")
    UNLIKELY = "unlikely", _("Unlikely")
    UNKNOWN = "unknown", _("Unknown")


class Attribution(ConstraintMessagesByField, models.Model):
    """Who is held responsible for an incident, how sure the team is, and on what basis."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attributions")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="attributions", verbose_name=_("party"))
    confidence = models.CharField(_("confidence"), max_length=20, choices=AttributionConfidence.choices)
    basis = models.TextField(
        _("basis"),
        help_text=_("What the attribution rests on, e.g. the aircraft was tracked from the airbase."),
    )

    history = HistoricalRecords()

    constraint_fields = {
        "one_attribution_per_party": "party",
        "attribution_confidence_valid": "confidence",
        "attribution_basis_required": "basis",
    }

    class Meta:
        ordering = ["incident", "id"]
        verbose_name = _("attribution")
        verbose_name_plural = _("attributions")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "party"],
                name="one_attribution_per_party",
                violation_error_message=_("This party is already named for this incident."),
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=AttributionConfidence.values),
                name="attribution_confidence_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=~Q(basis=""),
                name="attribution_basis_required",
                violation_error_message=_("Say what the attribution rests on."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} ({self.get_confidence_display()})"


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class AgeBand(models.TextChoices):
    """Used when the exact age is not known."""

    CHILD = "child", _("Child (under 18)")
    ADULT = "adult", _("Adult (18 or over)")
    UNKNOWN = "unknown", _("Unknown")


class CombatantStatus(models.TextChoices):
    CIVILIAN = "civilian", _("Civilian")
    NON_CIVILIAN = "non_civilian", _("Non-civilian")
    UNKNOWN = "unknown", _("Unknown")


class VictimStatus(models.TextChoices):
    KILLED = "killed", _("Killed")
    INJURED = "injured", _("Injured")
    MISSING = "missing", _("Missing")
    DETAINED = "detained", _("Detained")


ADULT_AGE = 18


def age_contradicts_band(age: int | None, band: str) -> bool:
    """A known age outside a known band: a child is under 18, an adult 18 or over."""
    return age is not None and band in (AgeBand.CHILD, AgeBand.ADULT) and (age < ADULT_AGE) != (band == AgeBand.CHILD)


def _related(condition: Q, prefix: str) -> Q:
    """`condition` on the victims seen through a relation: each lookup prefixed (e.g. "victims__")."""
    if not prefix:
        return condition
    related = Q()
    related.connector, related.negated = condition.connector, condition.negated
    related.children = [
        _related(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1])
        for child in condition.children
    ]
    return related


class VictimQuerySet(models.QuerySet):
    """The toll rules, each in one place: who counts as a civilian killed, a child, an adult woman, a girl,
    an injured person, and when an incident is a massacre.

    Every toll, statistic, export and benchmark builds on these. Each `*_q(prefix)` is a condition on a
    victim; with a prefix ("victims__") it is the same condition seen from an incident, for `filter=` of an
    aggregate over a relation.
    """

    @staticmethod
    def counted_q(prefix: str = "") -> Q:
        """Each person once: a record a reviewer linked as a duplicate of another is left out."""
        return _related(Q(duplicate_of__isnull=True), prefix)

    @staticmethod
    def killed_civilian_q(prefix: str = "") -> Q:
        return _related(Q(status=VictimStatus.KILLED, combatant_status=CombatantStatus.CIVILIAN), prefix)

    @staticmethod
    def injured_q(prefix: str = "") -> Q:
        """Everyone injured, whatever their civilian status (the incident's toll)."""
        return _related(Q(status=VictimStatus.INJURED), prefix)

    @staticmethod
    def injured_civilian_q(prefix: str = "") -> Q:
        return _related(Q(status=VictimStatus.INJURED, combatant_status=CombatantStatus.CIVILIAN), prefix)

    @staticmethod
    def child_q(prefix: str = "") -> Q:
        """Under 18: by the age if known, else by the age band. Neither known: not a child (nor an adult)."""
        return _related(Q(age__lt=ADULT_AGE) | Q(age__isnull=True, age_band=AgeBand.CHILD), prefix)

    @staticmethod
    def adult_q(prefix: str = "") -> Q:
        return _related(Q(age__gte=ADULT_AGE) | Q(age__isnull=True, age_band=AgeBand.ADULT), prefix)

    @classmethod
    def adult_woman_q(cls, prefix: str = "") -> Q:
        """Female and 18 or over."""
        return _related(Q(sex=Sex.FEMALE), prefix) & cls.adult_q(prefix)

    @classmethod
    def girl_q(cls, prefix: str = "") -> Q:
        """Female and under 18."""
        return _related(Q(sex=Sex.FEMALE), prefix) & cls.child_q(prefix)

    @classmethod
    def massacre_victim_q(cls, prefix: str = "") -> Q:
        """The victims that make an incident a massacre once there are `massacre_minimum()` of them: civilians
        killed, each person once. From an incident: `Count("victims", filter=massacre_victim_q("victims__"))`."""
        return cls.counted_q(prefix) & cls.killed_civilian_q(prefix)

    @staticmethod
    def massacre_minimum() -> int:
        """Civilians killed that make an incident a massacre (as SNHR counts them), from the settings."""
        return settings.CASEWORK_MASSACRE_MIN_CIVILIANS_KILLED

    @classmethod
    def occupation_toll_counts(cls) -> dict[str, models.Count]:
        """The columns of IncidentOccupationToll as aggregates over (counted()) civilians killed of one
        occupation: all of them, the adult women and the girls."""
        return {
            "killed": models.Count("id"),
            "adult_women_killed": models.Count("id", filter=cls.adult_woman_q()),
            "girls_killed": models.Count("id", filter=cls.girl_q()),
        }

    @classmethod
    def toll_counts(cls) -> dict[str, models.Count]:
        """An incident's tolls as aggregates over its victims: the cached Incident fields (over counted()
        victims) and `massacre_victims`, which makes it a massacre from `massacre_minimum()` on."""
        killed = cls.killed_civilian_q()
        return {
            "civilians_killed": models.Count("id", filter=killed),
            "children_killed": models.Count("id", filter=killed & cls.child_q()),
            "adult_women_killed": models.Count("id", filter=killed & cls.adult_woman_q()),
            "injured": models.Count("id", filter=cls.injured_q()),
            "civilians_injured": models.Count("id", filter=cls.injured_civilian_q()),
            "massacre_victims": models.Count("id", filter=cls.massacre_victim_q()),
        }

    def civilians(self) -> "VictimQuerySet":
        return self.filter(combatant_status=CombatantStatus.CIVILIAN)

    def killed(self) -> "VictimQuerySet":
        return self.filter(status=VictimStatus.KILLED)

    def counted(self) -> "VictimQuerySet":
        """Each person once: a record a reviewer linked as a duplicate of another is left out."""
        return self.filter(self.counted_q())


class VictimSourceKind(models.TextChoices):
    """How a record came in: typed into a form (web, admin), sent through the API, or a spreadsheet import."""

    FORM = "form", _("Form")
    API = "api", _("API")
    IMPORT = "import", _("Spreadsheet import")


class Victim(ConstraintMessagesByField, models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="victims")
    name = models.CharField(_("name"), max_length=300, blank=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    combatant_status = models.CharField(
        _("civilian status"), max_length=20, choices=CombatantStatus.choices, default=CombatantStatus.CIVILIAN
    )
    status = models.CharField(_("status"), max_length=10, choices=VictimStatus.choices)
    occupation = models.ForeignKey(
        Occupation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="victims",
        verbose_name=_("occupation category"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("same person as"),
        help_text=_("Set by a reviewer when two sources recorded the same person; counted once."),
    )
    notes = models.TextField(_("notes"), blank=True)
    # Where the record came from: the list or person that reported it, and how and where it was entered. Record
    # linkage counts a person documented by several sources once and shows how many sources documented them.
    # db_default too: set-based seeding and SQL written before these columns (benchmarks, tests) leave them out.
    source_name = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        default="",
        db_default="",
        help_text=_("Who reported this person: a witness, a hospital list, a local council, a partner's list."),
    )
    source_kind = models.CharField(
        _("entered through"),
        max_length=10,
        choices=VictimSourceKind.choices,
        default=VictimSourceKind.FORM,
        db_default=VictimSourceKind.FORM,
    )
    source_import = models.ForeignKey(
        "SpreadsheetImport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="victims",
        verbose_name=_("spreadsheet import"),
    )
    source_row = models.PositiveIntegerField(_("row in the file"), null=True, blank=True)

    history = HistoricalRecords()
    objects = VictimQuerySet.as_manager()

    constraint_fields = {
        "victim_sex_valid": "sex",
        "victim_age_band_valid": "age_band",
        "victim_combatant_status_valid": "combatant_status",
        "victim_status_valid": "status",
        "victim_age_plausible": "age",
        "victim_age_matches_band": "age_band",
        "victim_not_duplicate_of_itself": "duplicate_of",
        "victim_source_kind_valid": "source_kind",
    }

    class Meta:
        ordering = ["incident", "id"]
        verbose_name = _("victim")
        verbose_name_plural = _("victims")
        constraints = [
            models.CheckConstraint(
                condition=Q(sex__in=Sex.values),
                name="victim_sex_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(age_band__in=AgeBand.values),
                name="victim_age_band_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(combatant_status__in=CombatantStatus.values),
                name="victim_combatant_status_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=VictimStatus.values),
                name="victim_status_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
            models.CheckConstraint(
                condition=Q(age__isnull=True) | Q(age__lte=130),
                name="victim_age_plausible",
                violation_error_message=_("An age over 130 is not plausible."),
            ),
            models.CheckConstraint(
                condition=Q(age__isnull=True)
                | Q(age_band=AgeBand.UNKNOWN)
                | Q(age__lt=ADULT_AGE, age_band=AgeBand.CHILD)
                | Q(age__gte=ADULT_AGE, age_band=AgeBand.ADULT),
                name="victim_age_matches_band",
                violation_error_message=_(
                    "The age does not fit this age band: a child is under 18, an adult 18 or over."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=F("id")),
                name="victim_not_duplicate_of_itself",
                violation_error_message=_("A record cannot be a duplicate of itself."),
            ),
            models.CheckConstraint(
                condition=Q(source_kind__in=VictimSourceKind.values),
                name="victim_source_kind_valid",
                violation_error_message=_("Choose one of the listed values."),
            ),
        ]
        indexes = [
            # Victims of an incident with a status (lists and counts): answered from the index alone.
            models.Index(fields=["incident", "status"], name="victim_incident_status"),
            # (On PostgreSQL, migration 0004 also adds victim_age_desc: age DESC NULLS LAST, id.)
        ]

    def __str__(self) -> str:
        return self.name or _("Unnamed victim #%(id)s") % {"id": self.pk}

    @property
    def is_child(self) -> bool:
        if self.age is not None:
            return self.age < ADULT_AGE
        return self.age_band == AgeBand.CHILD


class IncidentOccupationToll(models.Model):
    """Civilians killed in an incident by occupation category (none: `occupation` empty), each person once.

    Written with the incident's tolls in the same transaction as every victim change (incident_refresh_tolls),
    so the statistics' occupation table adds these rows up instead of counting every victim again. Only
    occupations with someone killed have a row.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="occupation_tolls")
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    killed = models.PositiveIntegerField(default=0)
    adult_women_killed = models.PositiveIntegerField(default=0)
    girls_killed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["incident", "occupation"]
        verbose_name = _("civilians killed by occupation")
        verbose_name_plural = _("civilians killed by occupation")
        constraints = [
            models.CheckConstraint(
                condition=Q(adult_women_killed__lte=F("killed")) & Q(girls_killed__lte=F("killed")),
                name="occupation_toll_parts_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.occupation_id}: {self.killed}"


class IncidentMonthRollup(models.Model):
    """The incidents of one case that start in one month (in settings.TIME_ZONE) in one governorate, added up:
    their number, massacres and tolls. With the weapon, facility and occupation rows below, the statistics
    page reads these few thousand rows instead of every incident.

    Never a lagging cache: every write of an incident or its victims recounts the rows of the incident's month
    and governorate (and of the ones it leaves) in the same transaction (incidents.services.rollups_recount),
    under a lock on this row, so concurrent writers of one month count in turn.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    governorate = models.ForeignKey(Governorate, on_delete=models.CASCADE, related_name="+")
    incidents = models.PositiveIntegerField(default=0)
    # Incidents with at least `massacre_minimum` civilians killed (the setting when the row was counted).
    massacres = models.PositiveIntegerField(default=0)
    massacre_minimum = models.PositiveIntegerField(default=0)
    civilians_killed = models.PositiveIntegerField(default=0)
    children_killed = models.PositiveIntegerField(default=0)
    adult_women_killed = models.PositiveIntegerField(default=0)
    injured = models.PositiveIntegerField(default=0)
    civilians_injured = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["case", "month", "governorate"]
        verbose_name = _("monthly incident totals")
        verbose_name_plural = _("monthly incident totals")
        constraints = [
            models.UniqueConstraint(fields=["case", "month", "governorate"], name="incident_month_rollup_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.month:%Y-%m}/{self.governorate_id}: {self.incidents}"


class RollupWeapon(models.Model):
    """Incidents of a month rollup hit by one weapon (each incident once per weapon)."""

    rollup = models.ForeignKey(IncidentMonthRollup, on_delete=models.CASCADE, related_name="weapons")
    weapon = models.ForeignKey(WeaponType, on_delete=models.CASCADE, related_name="+")
    incidents = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly incidents by weapon")
        verbose_name_plural = _("monthly incidents by weapon")
        constraints = [models.UniqueConstraint(fields=["rollup", "weapon"], name="rollup_weapon_unique")]

    def __str__(self) -> str:
        return f"{self.rollup_id}/{self.weapon_id}: {self.incidents}"


class RollupFacility(models.Model):
    """Incidents of a month rollup that hit one kind of facility (each incident once per kind)."""

    rollup = models.ForeignKey(IncidentMonthRollup, on_delete=models.CASCADE, related_name="facilities")
    facility = models.ForeignKey(FacilityType, on_delete=models.CASCADE, related_name="+")
    incidents = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly incidents by facility hit")
        verbose_name_plural = _("monthly incidents by facility hit")
        constraints = [models.UniqueConstraint(fields=["rollup", "facility"], name="rollup_facility_unique")]

    def __str__(self) -> str:
        return f"{self.rollup_id}/{self.facility_id}: {self.incidents}"


class RollupOccupation(models.Model):
    """Civilians killed in the incidents of a month rollup by occupation (none: `occupation` empty), added up
    from their IncidentOccupationToll rows."""

    rollup = models.ForeignKey(IncidentMonthRollup, on_delete=models.CASCADE, related_name="occupations")
    occupation = models.ForeignKey(Occupation, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    killed = models.PositiveIntegerField(default=0)
    adult_women_killed = models.PositiveIntegerField(default=0)
    girls_killed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly civilians killed by occupation")
        verbose_name_plural = _("monthly civilians killed by occupation")

    def __str__(self) -> str:
        return f"{self.rollup_id}/{self.occupation_id}: {self.killed}"


# \Z, not $: SQLite evaluates these with Python re, where $ also matches before a final newline.
SHA256_HEX_PATTERN = r"^[0-9a-f]{64}\Z"


class SpreadsheetImport(models.Model):
    """A committed spreadsheet import: which file (by the SHA-256 of its bytes), who, when, and what it added.

    The same file imported again would add its victims a second time (unnamed ones cannot be recognised), so
    an import of a file already recorded for the case needs the person's explicit confirmation.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="spreadsheet_imports")
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
        help_text=_("Empty for an import from the command line that named no user."),
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    rows = models.PositiveIntegerField(_("rows"))
    incidents_created = models.PositiveIntegerField(_("incidents created"))
    incidents_extended = models.PositiveIntegerField(_("existing incidents that got victims"))
    victims_added = models.PositiveIntegerField(_("victims added"))
    attributions_added = models.PositiveIntegerField(_("attributions added"), default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=SHA256_HEX_PATTERN), name="spreadsheet_import_sha256_format"
            ),
        ]
        indexes = [models.Index(fields=["case", "sha256"], name="spreadsheet_import_case_file")]

    def __str__(self) -> str:
        return f"{self.file_name or self.sha256[:12]} ({self.imported_at:%Y-%m-%d %H:%M})"


# Record linkage's models live with its rules (incidents/linkage/), registered as this app's models from here.
from casework.incidents.linkage.models import LinkCandidate, LinkDecision, LinkVerdict  # noqa: E402, F401
