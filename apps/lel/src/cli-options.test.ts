import { describe, expect, it } from 'vitest';
import { BACKEND_CHOICES, BENCH_SUITE_NAMES, RECIPE_NAMES } from './cli-options';
import { BACKEND_CHOICES as FROM_BACKEND } from './backend';
import { BENCH_SUITES } from './bench';
import { RECIPES } from './recipes';

describe('cli-options (the start-up constants)', () => {
  it('name exactly the recipes and bench suites the commands run, in their order', () => {
    expect([...RECIPE_NAMES]).toEqual(RECIPES.map((r) => r.name));
    expect([...BENCH_SUITE_NAMES]).toEqual(Object.keys(BENCH_SUITES));
    expect(FROM_BACKEND).toBe(BACKEND_CHOICES);
  });
});
