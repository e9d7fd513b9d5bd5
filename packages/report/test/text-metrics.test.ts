// The headless text widths (DejaVu Sans advance widths) against the width resvg actually draws.
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { dejaVuTextWidth } from '../src/render/text-metrics.js';

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
const fontsPresent = existsSync(`${FONT_DIR}/DejaVuSans.ttf`) && existsSync(`${FONT_DIR}/DejaVuSans-Bold.ttf`);
if (!fontsPresent) console.warn(`SKIPPED text-width check against resvg: no DejaVu Sans in ${FONT_DIR} (Debian: apt-get install fonts-dejavu-core)`);

/** Ink width of `text` drawn by resvg at 100 px, from the font file alone. */
function drawnWidth(text: string, bold: boolean): number {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="200"><text x="10" y="120" font-family="DejaVu Sans" font-size="100"${bold ? ' font-weight="bold"' : ''}>${text}</text></svg>`;
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: [`${FONT_DIR}/DejaVuSans.ttf`, `${FONT_DIR}/DejaVuSans-Bold.ttf`], defaultFontFamily: 'DejaVu Sans' },
  });
  const box = resvg.getBBox();
  if (box === undefined) throw new Error(`resvg drew nothing for ${text}`);
  return box.width;
}

describe('DejaVu Sans text widths', () => {
  it('sums advance widths: ten digits of 0.6362 em each at 10 px', () => {
    expect(dejaVuTextWidth('0123456789', 10)).toBeCloseTo(63.62, 10);
  });

  it.skipIf(!fontsPresent)('match the width resvg draws within 3 % (ink box vs advances: side bearings, kerning)', () => {
    for (const [text, bold] of [
      ['hidden state index (0 = embeddings)', false],
      ['Sink₁ rate (% heads &gt; ε)', false],
      ['Per-layer profile: first-token norm ratio', true],
    ] as const) {
      const plain = text.replace('&gt;', '>');
      const ratio = drawnWidth(text, bold) / dejaVuTextWidth(plain, 100, bold);
      expect(ratio, text).toBeGreaterThan(0.97);
      expect(ratio, text).toBeLessThan(1.0);
    }
  });
});
