// Barrel of metrics: explicit named exports only.
