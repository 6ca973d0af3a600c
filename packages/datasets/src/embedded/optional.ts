import { existsSync, readdirSync } from 'node:fs';
import { FASHION_MNIST_DIR, hasFashionMnist } from './mnist-digits';

/** Where Debian's `fonts-noto-core` installs its TrueType fonts. */
export const NOTO_FONTS_DIR = '/usr/share/fonts/truetype/noto';

/** Optional apt-installed data sources found on this machine (never required). */
export interface OptionalSources {
  /** Directory of Fashion-MNIST IDX files (Debian `dataset-fashion-mnist`), or null. */
  fashionMnist: string | null;
  /** Noto `.ttf` font files (Debian `fonts-noto-core`), empty when not installed. */
  notoFonts: string[];
}

/** Detects the optional Debian data packages at run time. */
export function detectOptionalSources(): OptionalSources {
  const notoFonts = existsSync(NOTO_FONTS_DIR) ? readdirSync(NOTO_FONTS_DIR).filter((f) => f.endsWith('.ttf')).sort().map((f) => `${NOTO_FONTS_DIR}/${f}`) : [];
  return { fashionMnist: hasFashionMnist() ? FASHION_MNIST_DIR : null, notoFonts };
}
