# Production image: gunicorn (web), Celery worker and beat, and the release step share it.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext libpq-dev gcc libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files collected once, here, with the production storage (manifest of hashed names):
# every web container of every machine serves the same files, with nothing shared at run time.
RUN scripts/build-static
RUN useradd --system --uid 1000 cqp && mkdir -p /app/var/media && chown -R cqp /app/var
USER cqp
EXPOSE 8000
# Never migrates: `scripts/release` (the compose `release` service) does, once per deployment.
CMD ["scripts/start-web"]
