# The shop's image for compose.yaml: gunicorn serves the web, `flask worker` runs the worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLASK_APP=wsgi \
    STOREFRONT_INSTANCE=/data/instance UPLOAD_DIR=/data/uploads BACKUP_DIR=/data/backups \
    GUNICORN_BIND=0.0.0.0:8000
# pg_dump / pg_restore for `flask backup` and `flask restore` (same major version as the server).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 gerai \
    && mkdir -p /data && chown gerai:gerai /data

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=gerai:gerai . .
RUN pybabel compile -d storefront/translations

USER gerai
EXPOSE 8000
CMD ["sh", "-c", "flask db upgrade && exec gunicorn -c gunicorn.conf.py wsgi:app"]
