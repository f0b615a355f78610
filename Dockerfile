# MAST's command-line image: `docker compose run --rm mast <command>` (see docs/operations.md).
FROM python:3.11-slim
WORKDIR /opt/mast
# The chronology PDF embeds DejaVu Sans (Welsh letters ŵ ŷ included): mast/web/chronology_pdf.py.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock
COPY mast ./mast
RUN pip install --no-cache-dir --no-deps . && useradd --create-home --uid 10001 mast
USER mast
ENV MAST_HOME=/var/lib/mast
ENTRYPOINT ["mast"]
CMD ["--help"]
