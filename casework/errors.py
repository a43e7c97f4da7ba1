"""The one error vocabulary of every write: a service refuses with `Refused` (400) or `EditConflict` (409).

Services raise them; the API maps them once (`casework.api.api_exception_handler`), forms once
(`add_refusal_to_form`), the admin and commands print the message. Messages are plain language, already
translated, and never name a database constraint or a server path.
"""

from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models
from django.utils.translation import gettext as _

# The key of errors about the record as a whole (not one field), as Django's forms name it.
WHOLE_RECORD = NON_FIELD_ERRORS


class Refused(Exception):
    """A write the rules do not allow; nothing was written.

    `errors` maps a field name (or WHOLE_RECORD) to the messages about it. `Refused("message", field="age")`
    is the common case of one message.
    """

    status_code = 400

    def __init__(self, message: str = "", *, field: str | None = None, errors: Mapping[str, list[str]] | None = None):
        if errors is None:
            errors = {field or WHOLE_RECORD: [str(message)]}
        self.errors: dict[str, list[str]] = {name: [str(text) for text in texts] for name, texts in errors.items()}
        super().__init__(" ".join(text for texts in self.errors.values() for text in texts))

    @property
    def message(self) -> str:
        return str(self)

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> "Refused":
        if hasattr(error, "error_dict"):
            return cls(errors={name: messages for name, messages in error.message_dict.items()})
        return cls(errors={WHOLE_RECORD: list(error.messages)})


class EditConflict(Refused):
    """Someone saved the record after the person read it; their edit would overwrite it."""

    status_code = 409

    def __init__(self, message: str = ""):
        super().__init__(
            message
            or _(
                "Someone else saved this record while you were editing it. Your changes were not saved; reload it, "
                "then apply them again."
            ),
            field=WHOLE_RECORD,
        )


class StorageFull(Refused):
    """The server's disk (or quota) is full: nothing was stored. Answered 507 Insufficient Storage."""

    status_code = 507

    def __init__(self):
        super().__init__(storage_full_message())


def storage_full_message() -> str:
    return _(
        "The server's storage is full, so the file was not stored and nothing was recorded. Tell the "
        "administrator; send the file again once space has been freed."
    )


def checked(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's own checks (fields, unique and check constraints) before saving; Refused if any fails."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise Refused.from_validation_error(error) from None


def save_checked(instance: models.Model, *, update_fields: list[str] | None = None, exclude=None) -> None:
    """Check, then save: Refused (nothing written) if a check fails, also when the database's constraint fires
    in a race past the check."""
    from django.db import transaction

    checked(instance, exclude=exclude)
    try:
        with transaction.atomic():
            instance.save(update_fields=update_fields)
    except IntegrityError as error:
        raise refusal_from_integrity_error(type(instance), error) from None


def refusal_from_integrity_error(model: type[models.Model], error: IntegrityError) -> Refused:
    """The plain message of the constraint the database named (a race past `checked`), never its name."""
    text = str(error)
    for constraint in model._meta.constraints:
        if constraint.name in text:
            return Refused(constraint.get_violation_error_message())
    return Refused(_("The record could not be saved because it conflicts with another; reload and try again."))


def add_refusal_to_form(form, refusal: Refused) -> None:
    """Show a refusal on a Django form: each message next to its field, the rest above the form."""
    for name, messages in refusal.errors.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


class ConstraintMessagesByField:
    """For a model: a failed check or unique constraint is reported next to the field it concerns
    (`constraint_fields`: constraint name -> field), with the constraint's plain `violation_error_message`.

    Django reports check constraints as errors of the whole record; a person fixing a form needs the message
    where the wrong value is.
    """

    constraint_fields: dict[str, str] = {}

    def validate_constraints(self, exclude=None):
        from django.db import router

        errors: dict[str, list[str]] = {}
        using = router.db_for_write(type(self), instance=self)
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    field = self.constraint_fields.get(constraint.name, WHOLE_RECORD)
                    if exclude and field in exclude:
                        field = WHOLE_RECORD
                    errors.setdefault(field, []).extend(error.messages)
        if errors:
            raise ValidationError(errors)
