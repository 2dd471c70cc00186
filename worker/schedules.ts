import type { Client } from '@temporalio/client';
import type { Config } from '../config';

// Not built yet.
export async function ensureStatuspageSchedule(_client: Client, _config: Config): Promise<void> {}
