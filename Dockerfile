# The Casework application image: the same image runs the web process and the Celery worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 libimage-exiftool-perl ffmpeg chromium \
       libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core fonts-hosny-amiri \
       poppler-utils tesseract-ocr tesseract-ocr-ara tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 casework
WORKDIR /app
COPY pyproject.toml README.md ./
COPY casework ./casework
COPY manage.py gunicorn.conf.py ./
RUN pip install --no-cache-dir . \
    && mkdir -p /app/var /srv/casework/media \
    && chown -R casework:casework /app/var /srv/casework

USER casework
ENV MEDIA_ROOT=/srv/casework/media STATIC_ROOT=/app/var/static
RUN DEBUG=true SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input -v0
EXPOSE 8000
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
