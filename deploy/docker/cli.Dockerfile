# Recommender CLI (import, train, evaluate), also used as the one-shot job that seeds the sample catalog.
# Build context: the repository root.
#   docker build -f deploy/docker/cli.Dockerfile -t recommender/cli .
#   docker run --rm recommender/cli import --file /data/sample/icecat-sample.jsonl.gz --tenant default --ingestion http://ingestion:5201
# DEPENDS ON services/Cli (project Recommender.Cli), which is being written separately: until it is merged this
# image does not build (deploy/validate.sh and the deploy tests report it as pending).
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
RUN dotnet restore services/Cli/Recommender.Cli.csproj
COPY shared/ shared/
COPY services/ services/
RUN dotnet publish services/Cli/Recommender.Cli.csproj -c Release --no-restore -o /app /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
WORKDIR /app
COPY --from=build /app/ ./
# The sample catalog shipped in the repo (see its NOTICE.md), for the seeding job.
COPY services/Embedded/SampleData/ /data/sample/
USER $APP_UID
ENTRYPOINT ["dotnet", "Recommender.Cli.dll"]
