import { describe, expect, it } from 'vitest';
import { bannerLayers, densityColor, densityLegend, leagueLayers } from '../web/src/layers.ts';
import { theme } from '../web/src/theme.ts';

describe('web layer factories', () => {
  it('every layer uses the source it was given', () => {
    for (const layer of [...bannerLayers('b', theme), ...leagueLayers('l', theme)]) {
      expect(['b', 'l']).toContain((layer as { source: string }).source);
    }
    expect(bannerLayers('b', theme).every((l) => (l as { source: string }).source === 'b')).toBe(true);
  });

  it('layer ids are unique', () => {
    const ids = [...bannerLayers('b', theme), ...leagueLayers('l', theme)].map((l) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('the legend shows exactly the colours of the density ramp, in order', () => {
    const expression = densityColor(theme) as unknown[];
    const rampColours = [expression[2], ...expression.slice(3).filter((_, i) => i % 2 === 1)];
    expect(densityLegend(theme).map((r) => r.color)).toEqual(rampColours);
    expect(densityLegend(theme)).toHaveLength(theme.density.breaks.length + 1);
    expect(densityLegend(theme).at(-1)!.label).toBe(`≥ ${theme.density.breaks.at(-1)}`);
  });
});
