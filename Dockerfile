# Two stages: the first builds Callsheet's wheel (with its templates, migrations and the
# platform sandbox), the second installs only that wheel and its dependencies, and runs as an
# unprivileged user that owns nothing in the image but the media folder (a volume in compose).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scheduler ./scheduler
COPY workers ./workers
COPY platforms ./platforms
COPY sandbox ./sandbox
COPY templates ./templates
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin callsheet \
    && mkdir -p /var/lib/callsheet/media && chown callsheet /var/lib/callsheet/media
USER callsheet
WORKDIR /tmp
EXPOSE 8000
CMD ["callsheet", "--help"]
