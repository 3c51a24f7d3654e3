# Qingyun node: broker + ingest + dashboard-api, one process. InfluxDB (and Redis, for several
# nodes) run as their own services: docker-compose.yml. QINGYUN_INFLUX_URL must point at an
# InfluxDB: the image has no influxd to embed.

# Build stage: every dependency, for whatever must be built (`npm run build`, when the package
# has that script: the web page's bundle, for one). Its node_modules never reach the runtime.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build --if-present && rm -rf node_modules

# Runtime: production dependencies only, the sources (TypeScript, run by tsx) and what the
# build stage built, read-only for the unprivileged user that runs the node.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app ./
# The data dir (registry, users, spool) must exist and belong to `node` before VOLUME: a named
# volume starts as a copy of it, ownership included; created by VOLUME alone it is root's.
RUN mkdir -p /var/lib/qingyun && chown node:node /var/lib/qingyun && chmod 0700 /var/lib/qingyun
ENV QINGYUN_BIND_HOST=0.0.0.0 \
    QINGYUN_DATA_DIR=/var/lib/qingyun
VOLUME /var/lib/qingyun
# MQTT, MQTT over WebSocket, dashboard-api (REST, websocket, page, /metrics).
EXPOSE 1883 8083 8080
USER node
# Ready = InfluxDB answers, the broker listens, today is rebuilt and the spool has room
# (README, "Running in production"). Node's own fetch: the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.QINGYUN_HTTP_PORT || 8080) + '/readyz', \
    { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# SIGTERM stops the node cleanly (README, "Stopping"); exit 2 is bad configuration, 1 a failure.
# The node's young generation is node's own flag, from QINGYUN_SEMI_SPACE_MIB (node/heap.ts,
# README "Running in production"): node itself refuses a value that is not a number ("bad
# option", exit 9); the node names one out of range (exit 2). exec: node stays PID 1.
CMD ["sh", "-c", "exec node --max-semi-space-size=\"${QINGYUN_SEMI_SPACE_MIB:-64}\" bin/qingyun.mjs start"]
