from django.db import models

from casework.audit.models import AuditAction, AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")


def audit_record(
    *,
    action: AuditAction | str,
    actor=None,
    actor_label: str = "",
    case=None,
    target: models.Model | None = None,
    reason: str = "",
    request=None,
    details: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=str(action),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label or (actor.get_username() if actor is not None and actor.is_authenticated else ""),
        case=case,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        reason=reason,
        ip_address=client_ip(request),
        details=details or {},
    )
