# Qingyun node: broker + ingest + dashboard-api. InfluxDB runs as its own service
# (docker-compose.yml); QINGYUN_INFLUX_URL points at it.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The V8 old-generation cap: see README, "Limits and protections".
ENV QINGYUN_BIND_HOST=0.0.0.0 \
    QINGYUN_DATA_DIR=/var/lib/qingyun \
    NODE_OPTIONS=--max-old-space-size=384
VOLUME /var/lib/qingyun
EXPOSE 1883 8083 8080
USER node
CMD ["node", "bin/qingyun.mjs", "start"]
