# syntax=docker/dockerfile:1
# One image for both halves of kubetac in a cluster: the ops center
# (`kubetac serve`, deploy/) and the node agent (`kubetac agent`,
# deploy/agent/). The entry point is the binary; the manifests give the
# subcommand as args.
#
#   docker build -t registry.example.com/kubetac:0.1.0 .

FROM rust:bookworm AS build
WORKDIR /src
COPY . .
# The target directory is a cache mount, so the binary is copied out of it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p kubetac \
 && install -D -m 0755 target/release/kubetac /out/kubetac

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# `tac`, uid/gid 10001 (the Deployment's runAsUser and fsGroup). Its home is
# the package store, as in the guide: `kubectl exec` lands in /home/tac.
RUN groupadd --gid 10001 tac \
 && useradd --uid 10001 --gid 10001 --no-log-init --no-create-home \
        --home-dir /home/tac --shell /bin/bash tac \
 && install -d -o 10001 -g 10001 -m 0750 /home/tac
COPY --from=build /out/kubetac /usr/local/bin/kubetac
# Numeric, so that the kubelet can check runAsNonRoot.
USER 10001:10001
WORKDIR /home/tac
ENV KUBETAC_STORE=/home/tac
# ssh CLI, package server, node agent
EXPOSE 2024 8443 9123
# `kubetac serve` and `kubetac agent` stop cleanly on SIGINT (as PID 1 they
# would ignore SIGTERM, and wait for the kill at the end of the grace period).
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/kubetac"]
CMD ["--help"]
