import type { RoutePlugin } from '../app';

// Not built yet.
export const slackRoutes: RoutePlugin = async () => {};
