// Barrel of layers: explicit named exports only.
