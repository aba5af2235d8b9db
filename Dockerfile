FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/mahalleh.db \
    CATALOG_PATH=/app/config/catalog.toml

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY config ./config
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /app mahalleh \
    && mkdir -p /data && chown mahalleh /data

USER mahalleh
VOLUME ["/data"]
# Webhook mode only (WEBHOOK_URL set); polling needs no open port.
EXPOSE 8443
CMD ["python", "-m", "bot"]
