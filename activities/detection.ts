import type { ActivityDeps } from './index';

// Not built yet: status-page sync and support-spike activities.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DetectionActivities {}

export function createDetectionActivities(_deps: ActivityDeps): DetectionActivities {
  return {};
}
