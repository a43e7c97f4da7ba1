"""gettext that works with and without Django, so this package stays usable outside the project.

Inside Casework (settings configured) messages go through Django's translation catalogue; in a plain
Python process, or before settings are set up, the English text is returned unchanged.
"""


def gettext(message: str) -> str:
    try:
        from django.conf import settings
    except ImportError:
        return message
    if not settings.configured:
        return message
    from django.utils.translation import gettext as django_gettext

    return django_gettext(message)


def gettext_noop(message: str) -> str:
    """Marks a message for translation (makemessages finds it); it is translated where it is shown."""
    return message
