import { DataConfigError } from './detect';
import type { LabelBudgetSpec, SourceSpec } from './specs';

/** The label budget of `data.labelled` (fraction, count or perClass; none = every sample keeps its label). */
export function labelBudget(spec: SourceSpec): LabelBudgetSpec {
  if (typeof spec === 'string') return {};
  const b = spec as LabelBudgetSpec;
  const given = (['fraction', 'count', 'perClass'] as const).filter((k) => b[k] !== undefined);
  if (given.length > 1) throw new DataConfigError('data.labelled', `give at most one of fraction, count and perClass (got ${given.join(', ')})`);
  return given.length === 1 ? { [given[0]!]: b[given[0]!] } : {};
}
