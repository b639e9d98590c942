# Embedded host: all three services in one process (in-memory bus, embedded vector store, sample catalog).
# Build context: the repository root.
#   docker build -f deploy/docker/embedded.Dockerfile -t recommender/embedded .
#   docker run --rm -p 5001:5001 -p 5000:5000 -v recommender-embedded:/var/lib/recommender/vector recommender/embedded
# Ports: 5001 gRPC (HTTP/2 only), 5000 HTTP/1 (health, JSON transcoding).
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS projects
WORKDIR /src
COPY shared/ shared/
COPY services/ services/
RUN find . -type f ! -name '*.csproj' ! -name '*.props' ! -name '*.targets' -delete

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY --from=projects /src/ ./
RUN dotnet restore services/Embedded/Recommender.Embedded.csproj
COPY shared/ shared/
COPY services/ services/
RUN dotnet publish services/Embedded/Recommender.Embedded.csproj -c Release --no-restore -o /app /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
WORKDIR /app
# appsettings.json binds 127.0.0.1 for a developer machine; in a container listen on all interfaces. Its
# Auth:Mode=Development (no authentication) is safe only on 127.0.0.1, so the image requires API keys instead:
# pass Auth__Keys__* (and a Service key as Ranking__VectorApiKey), or -e Auth__Mode=Development with ports published
# on 127.0.0.1 only (docs/deploy.md, "Keys and auth in compose/k8s").
ENV ASPNETCORE_HTTP_PORTS= \
    Auth__Mode=ApiKeys \
    Kestrel__Endpoints__Grpc__Url=http://0.0.0.0:5001 \
    Kestrel__Endpoints__Http__Url=http://0.0.0.0:5000 \
    Vector__Embedded__DataPath=/var/lib/recommender/vector \
    Ranking__Engagement__DataPath=/var/lib/recommender/engagement
COPY deploy/docker/healthcheck.sh /usr/local/bin/healthcheck
RUN chmod 0755 /usr/local/bin/healthcheck \
 && mkdir -p /var/lib/recommender/vector /var/lib/recommender/engagement && chown -R $APP_UID:$APP_UID /var/lib/recommender
COPY --from=build /app/ ./
EXPOSE 5001 5000
VOLUME ["/var/lib/recommender/vector", "/var/lib/recommender/engagement"]
# The young GC generation's budget, 64 MB per heap. The runtime sizes it from the CPU cache, which some VMs hide (no
# /sys/devices/system/cpu/cpu0/cache): it then falls back to a few MB and collects hundreds of times a second under
# search load (docs/deploy.md, "Runtime settings"). Read once, at process start.
ENV DOTNET_GCgen0size=0x4000000
# The framework's precompiled code is left unused, so its hot methods (Kestrel, HTTP/2, protobuf) are compiled with
# dynamic PGO like ours: ~5% less CPU per search, ~1 s more to start (docs/deploy.md, "Runtime settings"). Set it to 1
# to start faster.
ENV DOTNET_ReadyToRun=0
USER $APP_UID
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["healthcheck", "5000", "/health/ready"]
ENTRYPOINT ["dotnet", "Recommender.Embedded.dll"]
