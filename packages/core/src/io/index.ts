// Barrel of io: explicit named exports only.
