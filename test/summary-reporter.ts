/**
 * Prints one plain closing line, `tests: N passed, N failed[, N skipped]`, after vitest's
 * own report, so any CI log reader can tell what ran.
 */
import type { Reporter, RunnerTask, RunnerTestFile } from 'vitest';

function count(tasks: RunnerTask[], acc: { passed: number; failed: number; skipped: number }) {
  for (const t of tasks) {
    if (t.type === 'suite') count(t.tasks, acc);
    else if (t.mode === 'skip' || t.mode === 'todo') acc.skipped++;
    else if (t.result?.state === 'pass') acc.passed++;
    else if (t.result?.state === 'fail') acc.failed++;
  }
  return acc;
}

export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []) {
    const c = count(files, { passed: 0, failed: 0, skipped: 0 });
    // A file that failed to load counts as a failure too.
    const failed = c.failed + files.filter((f) => f.result?.state === 'fail' && f.tasks.length === 0).length + errors.length;
    process.stdout.write(`\ntests: ${c.passed} passed, ${failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}\n`);
  }
}
