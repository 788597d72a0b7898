import { describe, expect, it } from 'vitest';
import { fitErrorMessage } from './fit-error.ts';
import { unresolvable, unschedulable } from './framework.ts';

describe('fitErrorMessage (upstream FitError.Error())', () => {
  it.each([
    {
      name: 'one reason on every node',
      n: 2,
      statuses: [unschedulable('Insufficient cpu'), unschedulable('Insufficient cpu')],
      post: '',
      want: '0/2 nodes are available: 2 Insufficient cpu.',
    },
    {
      name: 'counts per reason, sorted as strings, joined with ", "',
      n: 5,
      statuses: [
        unschedulable('Insufficient memory'),
        unschedulable('Insufficient memory', 'Insufficient cpu'),
        unresolvable('node(s) were unschedulable'),
        unresolvable('node(s) had untolerated taint {dedicated: gpu}'),
        unschedulable('Insufficient memory'),
      ],
      post: '',
      want: '0/5 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable, 3 Insufficient memory.',
    },
    {
      name: 'with the preemption message (two dots, as upstream prints it)',
      n: 1,
      statuses: [unschedulable('Insufficient cpu')],
      post: 'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
      want: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..',
    },
  ])('$name', ({ n, statuses, post, want }) => {
    expect(fitErrorMessage(n, statuses, post)).toBe(want);
  });
});
