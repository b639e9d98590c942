# Vector service (internal): stores vectors (embedded store or Qdrant) and runs hybrid search.
# Build context: the repository root.
#   docker build -f deploy/docker/vector.Dockerfile -t recommender/vector .
# Ports: 5301 gRPC (HTTP/2 only, grpc.health.v1 for probes), 5300 HTTP/1 (/health/live, /health/ready, JSON transcoding).
ARG DOTNET_VERSION=10.0

# 1. Only the project files, so the restore layer is reused until a csproj or the package pins change.
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS projects
WORKDIR /src
COPY shared/ shared/
COPY services/Vector/ services/Vector/
RUN find . -type f ! -name '*.csproj' ! -name '*.props' ! -name '*.targets' -delete

# 2. Restore with the solution's central package management, then publish framework-dependent (portable IL).
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY --from=projects /src/ ./
RUN dotnet restore services/Vector/Host/Recommender.Vector.Host.csproj
COPY shared/ shared/
COPY services/Vector/ services/Vector/
RUN dotnet publish services/Vector/Host/Recommender.Vector.Host.csproj -c Release --no-restore -o /app /p:UseAppHost=false

# 3. Runtime only: ASP.NET Core runtime, non-root user (app, uid 1654), app files owned by root (read-only).
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
WORKDIR /app
# Kestrel endpoints come from appsettings.json; clear the image's default 8080 binding.
ENV ASPNETCORE_HTTP_PORTS=
COPY deploy/docker/healthcheck.sh /usr/local/bin/healthcheck
RUN chmod 0755 /usr/local/bin/healthcheck
COPY --from=build /app/ ./
# The embedded store (Vector__Backend=Embedded) keeps its snapshot and logs here: mount a volume.
ENV Vector__Embedded__DataPath=/var/lib/recommender/vector
RUN mkdir -p /var/lib/recommender/vector && chown -R $APP_UID:$APP_UID /var/lib/recommender
VOLUME ["/var/lib/recommender/vector"]
EXPOSE 5301 5300
# The young GC generation's budget, 64 MB per heap. The runtime sizes it from the CPU cache, which some VMs hide (no
# /sys/devices/system/cpu/cpu0/cache): it then falls back to a few MB and collects hundreds of times a second under
# search load (docs/deploy.md, "Runtime settings"). Read once, at process start.
ENV DOTNET_GCgen0size=0x4000000
# The framework's precompiled code is left unused, so its hot methods (Kestrel, HTTP/2, protobuf) are compiled with
# dynamic PGO like ours: ~5% less CPU per search, ~1 s more to start (docs/deploy.md, "Runtime settings"). Set it to 1
# to start faster.
ENV DOTNET_ReadyToRun=0
USER $APP_UID
# Nothing is written under /app: mount /tmp (tmpfs/emptyDir) when the root filesystem is read-only.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["healthcheck", "5300", "/health/ready"]
ENTRYPOINT ["dotnet", "Recommender.Vector.Host.dll"]
