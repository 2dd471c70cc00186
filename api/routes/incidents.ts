import type { RoutePlugin } from '../app';

// Not built yet.
export const incidentRoutes: RoutePlugin = async () => {};
