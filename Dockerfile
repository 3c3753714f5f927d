FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY scheduler ./scheduler
COPY workers ./workers
COPY platforms ./platforms
COPY sandbox ./sandbox
COPY templates ./templates
RUN pip install --no-cache-dir .
USER nobody
EXPOSE 8000
CMD ["callsheet", "--help"]
