import type { RoutePlugin } from '../app';

// Not built yet.
export const statuspageWebhook: RoutePlugin = async () => {};
