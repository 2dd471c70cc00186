import type { RoutePlugin } from '../app';

// Not built yet.
export const dashboardRoutes: RoutePlugin = async () => {};
