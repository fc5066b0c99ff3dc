# syntax=docker/dockerfile:1
# Steward: build with the full toolchain, ship only production dependencies and dist/.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
# npm ci runs the prepare script, which compiles src/ to dist/.
RUN npm ci
# A production-only node_modules, with native modules built, for the runtime stage.
RUN mkdir /prod && cp package.json package-lock.json /prod/ \
  && cd /prod && npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3

FROM node:22-bookworm-slim
# pg_dump refuses to dump a server newer than itself, and Debian's client is 15: install the
# newest client from the PostgreSQL project's repository (it dumps servers back to 9.2).
ARG PG_MAJOR=17
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
  && install -d /usr/share/postgresql-common/pgdg \
  && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc \
     | gpg --dearmor -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.gpg \
  && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.gpg] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
     > /etc/apt/sources.list.d/pgdg.list \
  && apt-get update \
  && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
  && apt-get purge -y curl gnupg && apt-get autoremove -y \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    DATA_DIR=/data \
    STATUS_HOST=0.0.0.0 \
    STATUS_PORT=8787
WORKDIR /app
COPY --from=build /prod/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY drizzle ./drizzle
COPY config ./config
COPY scripts ./scripts
RUN ln -s /app/bin/steward.js /usr/local/bin/steward \
  && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
# STATUS_HOST is 0.0.0.0 in the image, so ADMIN_TOKEN must be set when the container starts.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.STATUS_PORT||8787)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["steward"]
CMD ["start"]
