# Kho's API and web UI. The engines (Elasticsearch, MinIO, Tika) run beside it: see
# docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KHO_DATA_DIR=/var/lib/kho \
    KHO_SECRETS_DIR=/var/lib/kho-secrets

WORKDIR /src
COPY . /src
RUN pip install . \
 && useradd --system --home-dir /var/lib/kho --create-home --shell /usr/sbin/nologin kho \
 && install -d -o kho -g kho -m 0700 /var/lib/kho-secrets

USER kho
WORKDIR /var/lib/kho
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
CMD ["kho", "serve", "--host", "0.0.0.0", "--port", "8000"]
