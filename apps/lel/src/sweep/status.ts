import * as path from 'node:path';
import { openQueue, type QueuedRun, type QueueTarget, queueStates } from './queue';
import { pointLabel } from './manifest';
import { gatherSweep, type CellResult } from './report';
import { headline } from '../report';

/** One row of `lel sweep status`. */
export interface StatusRow extends CellResult {
  /** The queue's view of the run, with `--queue`. */
  queue?: QueuedRun;
}

/** Where a queue state puts a cell (the queue knows best for runs not finished). */
function withQueue(cell: CellResult, q: QueuedRun | undefined): StatusRow {
  if (!q || cell.status === 'done') return { ...cell, ...(q ? { queue: q } : {}) };
  const row: StatusRow = { ...cell, queue: q };
  if (q.state === 'active') row.status = 'running';
  else if (q.state === 'failed') {
    row.status = 'failed';
    if (q.failedReason) row.error = q.failedReason;
  } else if (['waiting', 'delayed', 'prioritized', 'waiting-children'].includes(q.state) && cell.status !== 'failed') row.status = cell.status === 'pending' ? 'pending' : 'stopped';
  return row;
}

/** The grid of a sweep folder, with the queue's state of each run when `queue` is given. */
export async function sweepStatus(sweepDir: string, queue?: QueueTarget): Promise<{ name: string; rows: StatusRow[]; metric: string }> {
  const { manifest, cells } = gatherSweep(sweepDir);
  let rows: StatusRow[] = cells;
  if (queue) {
    const q = openQueue(queue);
    try {
      const states = await queueStates(q, manifest.name, manifest.runs);
      rows = cells.map((c) => withQueue(c, states.get(c.id)));
    } finally {
      await q.close();
    }
  }
  const done = rows.find((r) => r.metrics);
  return { name: manifest.name, rows, metric: done ? headline({ metrics: done.metrics! }) : '' };
}

/** The status grid as aligned text: one line per cell, then the counts. */
export function formatStatus(status: { name: string; rows: StatusRow[]; metric: string }, sweepDir: string): string {
  const runs = new Map(status.rows.map((r) => [r.id, r.status]));
  const count = (s: string) => [...runs.values()].filter((x) => x === s).length;
  const head = ['arm', 'point', 'seed', 'run', 'status', 'step', status.metric || 'metric', 'note'];
  const body = status.rows.map((r) => {
    const note = r.error ? r.error.split('\n')[0]! : r.queue && r.queue.stalled > 0 ? `handed over ${r.queue.stalled}× after its worker died` : r.queue && r.queue.attemptsMade > 0 && r.status !== 'done' ? `${r.queue.attemptsMade} attempt(s) failed` : '';
    const value = r.metrics?.[status.metric];
    return [r.arm, pointLabel(r.point) || '—', String(r.seed), r.id, r.queue && r.status !== 'done' ? `${r.status} (${r.queue.state})` : r.status, String(r.steps ?? r.step ?? ''), value !== undefined ? value.toFixed(4) : '', note];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const summary = `sweep ${status.name}: ${status.rows.length} cells, ${runs.size} runs in ${path.resolve(sweepDir)} — ${count('done')} done · ${count('running')} running · ${count('failed')} failed · ${count('stopped')} stopped · ${count('pending')} pending`;
  return [summary, '', line(head), ...body.map(line)].join('\n') + '\n';
}
