# lockllm serve: the LockLLM-compatible gateway on the local engine, as a container image.
#
#   docker build -t lockllm-gateway .
#   docker run --rm -p 8080:8080 \
#     -e LOCKLLM_SERVER_API_KEYS=<client key> -e LOCKLLM_UPSTREAM_OPENAI_KEY=sk-... \
#     lockllm-gateway
#
# Without LOCKLLM_SERVER_API_KEYS the gateway refuses to start (there is no terminal to show
# a generated key). Add --workers N to the command, or set LOCKLLM_SERVER_WORKERS.
# Not built in this repository's CI: build and scan it in your own pipeline.

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY lockllm ./lockllm
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels ".[server]"

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LOCKLLM_SERVER_HOST=0.0.0.0 \
    LOCKLLM_SERVER_PORT=8080 \
    LOCKLLM_SERVER_LOG_FORMAT=json
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels "lockllm[server]" \
 && rm -rf /wheels \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin lockllm
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('LOCKLLM_SERVER_PORT', '8080'), timeout=4).read()"]
ENTRYPOINT ["lockllm", "serve"]
