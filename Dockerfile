# senate-live on Debian 12 with the Swift 6 toolchain.
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libavformat-dev libavcodec-dev libavutil-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product senate-live && cp "$(swift build -c release --show-bin-path)/senate-live" /senate-live

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libavformat59 libavcodec59 libavutil57 ca-certificates \
        libcurl4 libxml2 tzdata \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/lib/swift/linux/*.so* /usr/lib/swift/linux/
COPY --from=build /senate-live /usr/local/bin/senate-live
COPY Samples /srv/senate-live/Samples
COPY config /srv/senate-live/config
WORKDIR /srv/senate-live
ENV LD_LIBRARY_PATH=/usr/lib/swift/linux
EXPOSE 8080 9000/udp 1935
VOLUME /srv/senate-live/data
ENTRYPOINT ["senate-live"]
CMD ["serve", "--config", "config/senate-live.yaml"]
