# One image for both processes: `npm run api` or `npm run worker` (see docker-compose.yml).
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    FOREWARN_SKIP_TEMPORAL_FETCH=1
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/fetch-temporal.sh scripts/
RUN npm ci --omit=dev && npm cache clean --force
COPY . .
USER node
EXPOSE 3000 3001 9464
CMD ["npm", "run", "api"]
