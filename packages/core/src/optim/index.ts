// Barrel of optim: explicit named exports only.
