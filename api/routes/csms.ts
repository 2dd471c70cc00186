import type { RoutePlugin } from '../app';

// Not built yet.
export const csmRoutes: RoutePlugin = async () => {};
