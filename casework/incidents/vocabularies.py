"""The controlled vocabularies Casework ships with. A case admin can add terms to a case."""

GOVERNORATES = [
    ("damascus", "Damascus", "دمشق"),
    ("rural-damascus", "Rural Damascus", "ريف دمشق"),
    ("aleppo", "Aleppo", "حلب"),
    ("idlib", "Idlib", "إدلب"),
    ("hama", "Hama", "حماة"),
    ("homs", "Homs", "حمص"),
    ("latakia", "Latakia", "اللاذقية"),
    ("tartus", "Tartus", "طرطوس"),
    ("daraa", "Daraa", "درعا"),
    ("as-suwayda", "As-Suwayda", "السويداء"),
    ("quneitra", "Quneitra", "القنيطرة"),
    ("deir-ez-zor", "Deir ez-Zor", "دير الزور"),
    ("al-hasakah", "Al-Hasakah", "الحسكة"),
    ("ar-raqqa", "Ar-Raqqa", "الرقة"),
]
INCIDENT_TYPES = [
    ("airstrike", "Airstrike", "غارة جوية"),
    ("shelling", "Shelling", "قصف مدفعي"),
    ("missile-attack", "Missile attack", "هجوم صاروخي"),
    ("ground-attack", "Ground attack", "هجوم بري"),
    ("explosion", "Explosion / IED", "تفجير"),
    ("chemical-attack", "Chemical attack", "هجوم كيميائي"),
    ("targeted-killing", "Targeted killing", "اغتيال"),
    ("arbitrary-arrest", "Arbitrary arrest", "اعتقال تعسفي"),
]
WEAPON_TYPES = [
    ("cluster-munition", "Cluster munition", "ذخائر عنقودية"),
    ("incendiary", "Incendiary weapon", "أسلحة حارقة"),
    ("barrel-bomb", "Barrel bomb", "برميل متفجر"),
    ("chemical", "Chemical weapon", "سلاح كيميائي"),
    ("guided-missile", "Guided missile", "صاروخ موجه"),
    ("unguided-bomb", "Unguided aerial bomb", "قنبلة جوية غير موجهة"),
    ("ballistic-missile", "Ballistic missile", "صاروخ باليستي"),
    ("artillery", "Artillery shell", "قذيفة مدفعية"),
    ("rocket-mlrs", "Rocket (MLRS)", "صواريخ راجمة"),
    ("mortar", "Mortar", "هاون"),
    ("drone", "Armed drone", "طائرة مسيرة مسلحة"),
    ("small-arms", "Small arms", "أسلحة خفيفة"),
]
FACILITY_TYPES = [
    ("mosque", "Mosque", "مسجد"),
    ("church", "Church", "كنيسة"),
    ("school", "School", "مدرسة"),
    ("medical-facility", "Medical facility", "منشأة طبية"),
    ("market", "Market", "سوق"),
    ("civil-defence-centre", "Civil-defence centre", "مركز دفاع مدني"),
    ("bakery", "Bakery", "فرن"),
    ("idp-camp", "Camp for displaced people", "مخيم للنازحين"),
    ("water-facility", "Water facility", "منشأة مياه"),
    ("power-facility", "Power facility", "منشأة كهرباء"),
    ("residential", "Residential building", "مبنى سكني"),
]
OCCUPATIONS = [
    ("medical-personnel", "Medical personnel", "كوادر طبية"),
    ("civil-defence", "Civil-defence worker", "عامل دفاع مدني"),
    ("media-worker", "Media worker", "عامل في المجال الإعلامي"),
    ("teacher", "Teacher", "معلم"),
    ("student", "Student", "طالب"),
    ("humanitarian-worker", "Humanitarian worker", "عامل إغاثة"),
    ("farmer", "Farmer", "مزارع"),
    ("other", "Other", "أخرى"),
]
PARTIES = [
    ("syrian-government-forces", "Syrian government forces", "القوات الحكومية السورية"),
    ("russian-forces", "Russian forces", "القوات الروسية"),
    ("isis", "ISIS", "تنظيم داعش"),
    ("sdf", "Syrian Democratic Forces", "قوات سوريا الديمقراطية"),
    ("armed-opposition", "Armed opposition factions", "فصائل المعارضة المسلحة"),
    ("international-coalition", "International coalition", "قوات التحالف الدولي"),
    ("unidentified", "Unidentified party", "جهة غير محددة"),
]

SEEDS = {
    "Governorate": GOVERNORATES,
    "IncidentType": INCIDENT_TYPES,
    "WeaponType": WEAPON_TYPES,
    "FacilityType": FACILITY_TYPES,
    "Occupation": OCCUPATIONS,
    "Party": PARTIES,
}


def vocabularies_seed(*, apps=None) -> None:
    """Create the shared terms that are missing. Idempotent; `apps` is given when run from a migration."""
    for model_name, rows in SEEDS.items():
        model = apps.get_model("incidents", model_name) if apps else _current_model(model_name)
        for code, name, name_ar in rows:
            model.objects.get_or_create(case=None, code=code, defaults={"name": name, "name_ar": name_ar})


def _current_model(model_name: str):
    from django.apps import apps as current_apps

    return current_apps.get_model("incidents", model_name)
