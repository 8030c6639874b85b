# recur in a container: the binary on a slim base, run as a non-root user,
# the database on a volume. Not built in CI (no container runtime there);
# see the README's "Install" section.
#
#   docker build -t recur .
#   docker run --rm -v recur-data:/data -v "$PWD/recur.toml:/etc/recur/recur.toml:ro" \
#       -e RECUR_CONFIG=/etc/recur/recur.toml -p 9464:9464 recur daemon
#
# Inside a container the daemon must listen on all interfaces for -p to
# reach it: `[daemon] listen = "0.0.0.0:9464"` in the mounted file.

# Build: the bundled DuckDB is C++ (a release build takes ~40 minutes on
# two cores).
FROM rust:1.91-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ make pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo install --locked --path . --root /out

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin recur \
    && mkdir -p /data && chown recur /data
COPY --from=build /out/bin/recur /usr/local/bin/recur
USER recur
WORKDIR /data
VOLUME ["/data"]
# The database lives on the volume unless the configuration says otherwise.
ENV RECUR_STORE__PATH=/data/recur.duckdb
EXPOSE 9464
ENTRYPOINT ["recur"]
CMD ["daemon"]
