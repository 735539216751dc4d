/**
 * Layer specifications as pure functions of (source id, theme). Tests check
 * their invariants (every layer uses its source; legend equals the ramp).
 */
import type { LayerSpecification, ExpressionSpecification } from 'maplibre-gl';
import type { Theme } from './theme.ts';

/** A step expression colouring by population density (people per km²). */
export function densityColor(theme: Theme): ExpressionSpecification {
  const { breaks, colors } = theme.density;
  const steps: (string | number)[] = [];
  breaks.forEach((b, i) => steps.push(b, colors[i + 1]!));
  return ['step', ['coalesce', ['get', 'density'], 0], colors[0]!, ...steps] as ExpressionSpecification;
}

export function bannerLayers(source: string, theme: Theme): LayerSpecification[] {
  return [
    {
      id: 'banners-fill',
      type: 'fill',
      source,
      paint: { 'fill-color': densityColor(theme), 'fill-opacity': 0.85 },
    },
    {
      id: 'banners-outline',
      type: 'line',
      source,
      paint: { 'line-color': theme.bannerOutline, 'line-width': 0.8 },
    },
    {
      id: 'banners-selected',
      type: 'line',
      source,
      filter: ['==', ['get', 'code'], ''],
      paint: { 'line-color': theme.selectedOutline, 'line-width': 3 },
    },
  ];
}

export function leagueLayers(source: string, theme: Theme): LayerSpecification[] {
  return [
    {
      id: 'leagues-outline',
      type: 'line',
      source,
      paint: { 'line-color': theme.leagueOutline, 'line-width': 1.6 },
    },
  ];
}

/** Legend rows (label, colour) for the density ramp, in the order drawn. */
export function densityLegend(theme: Theme): { label: string; color: string }[] {
  const { breaks, colors } = theme.density;
  return colors.map((color, i) => {
    const lo = i === 0 ? 0 : breaks[i - 1]!;
    const hi = breaks[i];
    return { label: hi === undefined ? `≥ ${lo}` : `${lo} – ${hi}`, color };
  });
}
