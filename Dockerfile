# syntax=docker/dockerfile:1
# One image for every hub process: `hub run identity|petitions|notifications` (and mock-idp in
# development). Kubernetes sets the command per Deployment (deploy/k8s/base).

# --- builder: a virtualenv with the hub and its pinned dependencies (pyproject.toml) ---
FROM python:3.11-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Dependencies are pinned in pyproject.toml; every one has a manylinux wheel, so no compiler.
COPY pyproject.toml README.md LICENSE ./
COPY shared ./shared
COPY services ./services
COPY hub ./hub
COPY verifier ./verifier
RUN pip install --no-cache-dir ./verifier . \
    && python -m compileall -q /opt/venv/lib

# --- runtime: the virtualenv alone, run as an unprivileged user ---
FROM python:3.11-slim-bookworm

LABEL org.opencontainers.image.title="participation-hub" \
      org.opencontainers.image.description="Citizens sign petitions with a verified national digital identity; agencies subscribe to what happens."

# NOTE: the root filesystem is read-only in Kubernetes: no bytecode written at run time
# (compiled in the builder), local data under /tmp (an emptyDir there).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HUB_BIND_HOST=0.0.0.0 \
    HUB_DATA_DIR=/tmp/hub \
    HUB_LOG_FORMAT=json \
    PORT=8002

RUN groupadd --system --gid 10001 hub \
    && useradd --system --uid 10001 --gid hub --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin hub

COPY --from=builder /opt/venv /opt/venv

USER 10001:10001
WORKDIR /tmp

# HTTP: identity 8001, petitions 8002, notifications 8003; metrics 9101-9103.
EXPOSE 8001 8002 8003 9101 9102 9103

# PORT is the HTTP port of the process this container runs (8002 for the default command).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8002'), timeout=4)"]

ENTRYPOINT ["hub"]
CMD ["run", "petitions"]
