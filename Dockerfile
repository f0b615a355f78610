# MAST's command-line image: `docker compose run --rm mast <command>` (see docs/operations.md).
FROM python:3.11-slim
WORKDIR /opt/mast
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock
COPY mast ./mast
RUN pip install --no-cache-dir --no-deps . && useradd --create-home --uid 10001 mast
USER mast
ENV MAST_HOME=/var/lib/mast
ENTRYPOINT ["mast"]
CMD ["--help"]
