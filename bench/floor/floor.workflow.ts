/** The floor for time to awareness: a workflow whose one activity posts one Slack message. */
import { proxyActivities } from '@temporalio/workflow';

const { postOne } = proxyActivities<{ postOne(input: { channel: string; text: string }): Promise<void> }>({
  startToCloseTimeout: '1 minute',
});

export async function floorWorkflow(input: { channel: string; text: string }): Promise<void> {
  await postOne(input);
}
