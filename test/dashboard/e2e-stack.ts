/**
 * The dashboard end to end: the whole stack serving it over HTTP (helpers/stack.ts) and headless
 * Chromium on a laptop-sized page, started together and stopped together.
 */
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack, type StackOptions } from '../helpers/stack';
import { laptopPage, launchBrowser } from './browser';

export interface DashboardStack {
  stack: Stack<'listen'>;
  browser: Browser;
  page: Page;
  /** The page's uncaught errors and console errors (`watchErrors`). */
  errors: string[];
  stop(): Promise<void>;
}

export async function startDashboardStack(options: Omit<StackOptions, 'listen'>): Promise<DashboardStack> {
  const [started, launched] = await Promise.allSettled([startStack({ ...options, listen: true }), launchBrowser()]);
  if (started.status === 'rejected' || launched.status === 'rejected') {
    // One of them is up: stop it before failing, or it would outlive the test.
    if (started.status === 'fulfilled') await started.value.stop();
    if (launched.status === 'fulfilled') await launched.value.close();
    throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason;
  }
  const [stack, browser] = [started.value, launched.value];
  const { page, errors } = await laptopPage(browser);
  return {
    stack, browser, page, errors,
    stop: async () => {
      await browser.close();
      await stack.stop();
    },
  };
}
