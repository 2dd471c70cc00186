import type { RoutePlugin } from '../app';

// Not built yet.
export const opsgenieWebhook: RoutePlugin = async () => {};
