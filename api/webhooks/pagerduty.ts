import type { RoutePlugin } from '../app';

// Not built yet.
export const pagerdutyWebhook: RoutePlugin = async () => {};
