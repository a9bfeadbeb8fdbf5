# The soakwatch image: probe, exporter, alert log, config renderer and demo of docker-compose.yml.
FROM python:3.11.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SOAKWATCH_STATE_DIR=/var/lib/soakwatch

WORKDIR /opt/soakwatch
COPY pyproject.toml README.md ./
COPY src ./src
COPY docs/runbooks ./docs/runbooks
RUN pip install . \
    && mkdir -p /var/lib/soakwatch /rendered \
    && chown 65534:65534 /var/lib/soakwatch /rendered

# nobody, like the Prometheus and Alertmanager images, so they can read the configs it renders (mode 0600)
USER 65534:65534
EXPOSE 9464 9465 9096
CMD ["soakwatch", "--help"]
