# Production image: gunicorn (web), Celery worker and beat share it.
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
RUN DEBUG=true python manage.py compilemessages -v 0 \
 && DEBUG=true python manage.py collectstatic --noinput -v 0
RUN useradd --system --uid 1000 cqp && mkdir -p /app/var/media && chown -R cqp /app/var
USER cqp
EXPOSE 8000
CMD ["gunicorn", "cqp_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
