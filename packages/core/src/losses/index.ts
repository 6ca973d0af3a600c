// Barrel of losses: explicit named exports only.
