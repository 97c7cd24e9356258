# senate-live on Debian 12 with the Swift 6 toolchain.
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libavformat-dev libavcodec-dev libavutil-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product senate-live && bin="$(swift build -c release --show-bin-path)" \
    && mkdir /out && cp "$bin/senate-live" /out/ && cp -R "$bin"/*.resources /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libavformat59 libavcodec59 libavutil57 ca-certificates \
        libcurl4 libxml2 libsqlite3-0 tzdata \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/lib/swift/linux/*.so* /usr/lib/swift/linux/
# The web pages are a resource bundle that must sit beside the binary.
COPY --from=build /out/ /usr/local/bin/
COPY Samples /srv/senate-live/Samples
COPY config /srv/senate-live/config
WORKDIR /srv/senate-live
ENV LD_LIBRARY_PATH=/usr/lib/swift/linux
EXPOSE 8080 9000/udp 1935
VOLUME /srv/senate-live/data
ENTRYPOINT ["senate-live"]
CMD ["serve", "--config", "config/senate-live.yaml"]
