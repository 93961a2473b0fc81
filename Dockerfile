# One image for every Triggerpoint process: web, worker, dispatcher and the one-shot migration.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    PATH=/app/.venv/bin:$PATH

RUN pip install --no-cache-dir uv \
    && useradd --create-home --uid 10001 triggerpoint

WORKDIR /app
# Packages first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY scheduler scheduler
COPY workers workers
RUN uv sync --frozen --no-dev \
    && mkdir -p /tmp/metrics && chown triggerpoint /tmp/metrics

USER triggerpoint
EXPOSE 8000
CMD ["triggerpoint", "serve", "--host", "0.0.0.0", "--port", "8000"]
