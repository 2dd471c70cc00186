import type { RoutePlugin } from '../app';

// Not built yet.
export const summaryRoutes: RoutePlugin = async () => {};
