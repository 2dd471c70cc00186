import type { RoutePlugin } from '../app';

// Not built yet.
export const genericWebhook: RoutePlugin = async () => {};
