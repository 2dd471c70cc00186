# One image for the API, the worker and the migrate job (see docker-compose.yml, deploy/k8s):
#   node dist/api/main.js | node dist/worker/main.js | node dist/scripts/migrate.js

# Build: every dependency, the TypeScript compiled to dist/ and the workflow bundle prebuilt.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The postinstall fetches Temporal's development binaries (npm run dev, tests): not for an image.
RUN FOREWARN_SKIP_TEMPORAL_FETCH=1 npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Run: production dependencies and the build output only; plain node, no TypeScript at run time.
# The same install is tested in CI (test/deploy/production.test.ts).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000 3001 9464
CMD ["node", "dist/api/main.js"]
