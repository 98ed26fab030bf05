# syntax=docker/dockerfile:1
# Kehu (客户) in a container: Node 22 LTS, production dependencies only (tsx runs the
# TypeScript sources directly, so it is one of them), a non-root user, a health check
# against /healthz.
#
#   docker build -t kehu .
#   docker run -p 3000:3000 -v kehu-data:/var/lib/kehu kehu        # embedded PGlite
#   docker compose up -d                                          # with PostgreSQL 15
ARG NODE_IMAGE=node:22-bookworm-slim

# --- dependencies: a separate stage so the layer is reused until the lockfile changes
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# argon2 ships prebuilt binaries for linux x64/arm64 (glibc): no compiler needed here
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/var/lib/kehu/data \
    TIME_ZONE=Asia/Shanghai
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY migrations ./migrations
COPY locales ./locales
COPY public ./public
COPY views ./views
COPY scripts ./scripts
COPY src ./src
# PGlite's data directory and its lock file (.data.lock, beside it) live in
# /var/lib/kehu, owned by the unprivileged `node` user of the base image
RUN mkdir -p /var/lib/kehu && chown node:node /var/lib/kehu
USER node
VOLUME ["/var/lib/kehu"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 and handles SIGTERM: requests in flight finish, the database
# closes cleanly (src/server.ts)
CMD ["node", "--import", "tsx", "src/server.ts"]
