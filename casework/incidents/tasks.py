from celery import shared_task

from casework.incidents import services


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def incident_refresh_tolls_task(incident_id: int) -> None:
    services.incident_refresh_tolls(incident_id=incident_id)
