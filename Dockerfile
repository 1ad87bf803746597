# stream-engine worker image: `docker build -t stream-engine .`
# Runs any stream-engine command; the default is the live worker's help. See docs/deploy.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAM_ENGINE_METRICS_PORT=9108 \
    STREAM_ENGINE_CACHE_DIR=/tmp/stream-engine-cache

WORKDIR /app

# Dependencies first, pinned to the versions the test suite ran with, so code changes
# reuse this layer. Regenerate with `python deploy/lock_requirements.py`.
COPY deploy/requirements.lock /app/deploy/requirements.lock
RUN pip install --no-deps -r /app/deploy/requirements.lock

COPY pyproject.toml README.md /app/
COPY stream_engine /app/stream_engine
COPY connectors /app/connectors
RUN pip install --no-deps /app && pip check

# The example pipeline and its schemas: `worker examples/clickstream/pipeline.yaml`.
COPY schemas /app/schemas
COPY examples /app/examples

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home stream-engine \
    && mkdir -p /var/lib/stream-engine \
    && chown stream-engine:stream-engine /var/lib/stream-engine
USER 10001:10001

EXPOSE 9108
# /health: 200 while the worker's loop answers (and while it starts up), 503 when stuck.
# Commands other than `worker` serve no /health: compose disables the check for them.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('STREAM_ENGINE_METRICS_PORT', '9108') + '/health', timeout=4)"]

ENTRYPOINT ["stream-engine"]
CMD ["--help"]
