import type { RoutePlugin } from '../app';

// Not built yet.
export const importRoutes: RoutePlugin = async () => {};
