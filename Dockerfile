# LeadHeat's image: the wheel (code, templates, static files, migrations) on slim Python, run as
# a user without privileges. `docker compose up` builds it; see README "Running in production".
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LITESTAR_APP=app.main:create_app \
    VAR_DIR=/var/lib/leadheat
RUN useradd --system --create-home --home-dir /home/leadheat leadheat \
    && install -d -o leadheat -g leadheat -m 0700 /var/lib/leadheat
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER leadheat
WORKDIR /home/leadheat
EXPOSE 8000
# Migrate (a no-op when current), then serve; WEB_CONCURRENCY sets the processes (PostgreSQL).
CMD ["sh", "-c", "litestar database upgrade --no-prompt && exec litestar run --host 0.0.0.0 --port 8000"]
