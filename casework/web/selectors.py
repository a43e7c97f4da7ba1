"""Reads about the people who sign in."""

from functools import cache

from django_otp import device_classes


@cache
def second_factor_models() -> tuple:
    """The device models of django-otp's plugins (found among all the models once, not on every request)."""
    return tuple(device_classes())


def has_confirmed_device(user) -> bool:
    """django_otp.user_has_device(user): whether the person has a confirmed device, asked as "does one exist"
    instead of loading one, since every request of a person without one asks it."""
    return any(model.objects.devices_for_user(user, confirmed=True).exists() for model in second_factor_models())
