import type { RoutePlugin } from '../app';

// Not built yet.
export const supportWebhook: RoutePlugin = async () => {};
