import { z } from 'zod';
import { validateAt } from '../config/validate';
import { DataConfigError } from './detect';
import { LabelBudget, type LabelBudgetSpec, type SourceSpec } from './specs';

/** The label budget of `data.labelled` (fraction, count or perClass; none = every sample keeps its label). */
export function labelBudget(spec: SourceSpec): LabelBudgetSpec {
  if (typeof spec === 'string') return {};
  const b = spec as LabelBudgetSpec;
  const given = (['fraction', 'count', 'perClass'] as const).filter((k) => b[k] !== undefined);
  if (given.length > 1) throw new DataConfigError('data.labelled', `give at most one of fraction, count and perClass (got ${given.join(', ')})`);
  // A source given as `{ path, … }` reaches here unchecked: validate the budget like the typed sources' schemas do.
  return given.length === 1 ? validateAt(z.object(LabelBudget), { [given[0]!]: b[given[0]!] }, 'data.labelled') : {};
}
