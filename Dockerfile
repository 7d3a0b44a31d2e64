# The Telegram helpline bot of the Stichting Restless Legs, as a container image.
#
#   docker build -t rls-helpline-bot .
#   docker run --env-file .env -v rls-data:/data rls-helpline-bot
#
# Two stages: the first installs the package and its dependencies into a virtual
# environment, the second gets only that environment, the knowledge and an unprivileged
# user. All dependencies come as binary wheels, so no compiler is needed.
# For reproducible builds, add the digest of the tag to both FROM lines
# (python:3.13-slim-trixie@sha256:…) and let Dependabot or Renovate bump it.

FROM python:3.13-slim-trixie AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
# The package itself, without the test extras.
RUN pip install --no-cache-dir .


FROM python:3.13-slim-trixie

LABEL org.opencontainers.image.title="rls-helpline-bot" \
      org.opencontainers.image.description="Telegram helpline bot of the Stichting Restless Legs" \
      org.opencontainers.image.licenses="MIT"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TZ=Europe/Amsterdam \
    KNOWLEDGE_DIR=/app/knowledge \
    DATABASE_PATH=/data/helpline.sqlite3 \
    HEARTBEAT_FILE=/tmp/heartbeat

# A fixed uid/gid, so that volume permissions on the host are predictable.
RUN groupadd --system --gid 10001 bot \
    && useradd --system --no-log-init --uid 10001 --gid bot \
        --home-dir /app --no-create-home --shell /usr/sbin/nologin bot \
    && mkdir -p /data \
    && chown bot:bot /data

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# Owned by root: the bot only reads its knowledge.
COPY knowledge ./knowledge

# Fail the build, not the first night on duty, when time zones or the knowledge are broken:
# the system zone data (for log times, TZ) and Python's (the opening hours) must both know
# Europe/Amsterdam, and `check` must find no errors in the knowledge.
RUN test -f /usr/share/zoneinfo/Europe/Amsterdam \
    && python -c "from zoneinfo import ZoneInfo; ZoneInfo('Europe/Amsterdam')" \
    && python -m bot check --knowledge /app/knowledge

# The knowledge can be replaced by a mounted folder (the bot reloads it when it changes);
# /data holds the SQLite database and must survive the container.
VOLUME ["/app/knowledge", "/data"]

USER 10001:10001

# Only used in webhook mode (WEBHOOK_URL set); polling needs no open port.
EXPOSE 8443

# The bot touches HEARTBEAT_FILE at least every 30 seconds while its event loop runs.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health", "--max-age", "120"]

STOPSIGNAL SIGTERM

ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
