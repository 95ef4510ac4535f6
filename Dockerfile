# fiable lookup service in a container (docs/deploy.md, "Containers").
# Build: docker build -t fiable-lookup .
# Run:   docker run -p 8787:8787 -v fiable-state:/var/lib/fiable fiable-lookup
# The build stage runs what `make demo` runs; the image holds the binary,
# the built package (served at /pkg) and the Paris BAN as a default index.

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The wasm32 target, wasm-bindgen-cli at the Cargo.lock version, npm ci.
RUN scripts/setup.sh demo
RUN make pkg \
 && cargo build --release --locked -p fiable-lookup \
 && mkdir -p /out/state \
 && cp target/release/fiable-lookup /out/ \
 && cp -r pkg /out/pkg \
 && cp data/raw/ban/adresses-75.csv.gz /out/

# glibc and libgcc, no shell, user nonroot (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/fiable-lookup /usr/local/bin/fiable-lookup
COPY --from=build /out/pkg /usr/local/share/fiable/pkg
COPY --from=build /out/adresses-75.csv.gz /usr/local/share/fiable/ban/adresses-75.csv.gz
COPY --from=build --chown=nonroot:nonroot /out/state /var/lib/fiable
ENV FIABLE_BIND=0.0.0.0:8787 \
    FIABLE_PKG=/usr/local/share/fiable/pkg \
    FIABLE_WWW=/nonexistent \
    FIABLE_BAN=/usr/local/share/fiable/ban/adresses-75.csv.gz \
    FIABLE_CONSENT_DB=/var/lib/fiable/fiable-consent.sqlite \
    FIABLE_CONSENT_KEY=/var/lib/fiable/fiable-consent.key
WORKDIR /var/lib/fiable
VOLUME /var/lib/fiable
USER nonroot
EXPOSE 8787
ENTRYPOINT ["/usr/local/bin/fiable-lookup"]
CMD ["serve"]
