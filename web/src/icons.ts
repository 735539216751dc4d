/**
 * Facility symbols drawn at run time on a canvas (no sprite file, no network):
 * one image per group (shape + colour from the theme) and status — open
 * filled, planned hollow with a dashed outline, suspended as open (the layer
 * fades it), closed grey with a cross.
 */
import { FACILITY_GROUPS, type FacilityGroup, type Shape, type Theme } from './theme.ts';
import { FACILITY_STATUSES } from './layers.ts';

export const ICON_PIXEL_RATIO = 2;

export interface IconImage {
  id: string;
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

function path(ctx: CanvasRenderingContext2D, shape: Shape, c: number, r: number): void {
  ctx.beginPath();
  const polygon = (n: number, rotation: number) => {
    for (let i = 0; i < n; i++) {
      const a = rotation + (i * 2 * Math.PI) / n;
      const x = c + r * Math.cos(a);
      const y = c + r * Math.sin(a);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.closePath();
  };
  switch (shape) {
    case 'square':
      ctx.rect(c - r * 0.85, c - r * 0.85, r * 1.7, r * 1.7);
      break;
    case 'diamond':
      polygon(4, -Math.PI / 2);
      break;
    case 'triangle':
      polygon(3, -Math.PI / 2);
      break;
    case 'pentagon':
      polygon(5, -Math.PI / 2);
      break;
    case 'hexagon':
      polygon(6, 0);
      break;
    default:
      ctx.arc(c, c, shape === 'dot' ? r * 0.8 : r, 0, 2 * Math.PI);
  }
}

export function drawIcon(theme: Theme, group: FacilityGroup, status: (typeof FACILITY_STATUSES)[number]): IconImage | null {
  const spec = theme.facility[group];
  const size = Math.ceil((spec.size + 4) * ICON_PIXEL_RATIO);
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  const c = size / 2;
  const r = (spec.size / 2) * ICON_PIXEL_RATIO;
  ctx.lineJoin = 'round';
  path(ctx, spec.shape, c, r);
  if (status === 'planned') {
    ctx.fillStyle = '#ffffff';
    ctx.fill();
    ctx.setLineDash([3 * ICON_PIXEL_RATIO, 2 * ICON_PIXEL_RATIO]);
    ctx.strokeStyle = spec.color;
    ctx.lineWidth = 2 * ICON_PIXEL_RATIO;
    ctx.stroke();
  } else {
    ctx.fillStyle = status === 'closed' ? '#d5d8dc' : spec.color;
    ctx.fill();
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 1.4 * ICON_PIXEL_RATIO;
    ctx.stroke();
    if (group === 'hospital' && status !== 'closed') {
      // A white cross marks hospitals at a glance.
      ctx.fillStyle = '#ffffff';
      const arm = r * 0.55;
      const w = r * 0.22;
      ctx.fillRect(c - w, c - arm, 2 * w, 2 * arm);
      ctx.fillRect(c - arm, c - w, 2 * arm, 2 * w);
    }
  }
  if (status === 'closed') {
    ctx.setLineDash([]);
    ctx.strokeStyle = theme.scenarioRemoved;
    ctx.lineWidth = 2 * ICON_PIXEL_RATIO;
    const d = r * 0.75;
    ctx.beginPath();
    ctx.moveTo(c - d, c - d);
    ctx.lineTo(c + d, c + d);
    ctx.moveTo(c + d, c - d);
    ctx.lineTo(c - d, c + d);
    ctx.stroke();
  }
  const image = ctx.getImageData(0, 0, size, size);
  return { id: `${group}-${status}`, width: size, height: size, data: image.data };
}

/** Every facility icon, ready for map.addImage(id, { width, height, data }, { pixelRatio }). */
export function drawIcons(theme: Theme): IconImage[] {
  const images: IconImage[] = [];
  for (const group of FACILITY_GROUPS) {
    for (const status of FACILITY_STATUSES) {
      const image = drawIcon(theme, group, status);
      if (image) images.push(image);
    }
  }
  return images;
}

/** A data: URL of one icon, for legends and panels. */
export function iconDataUrl(theme: Theme, group: FacilityGroup, status: (typeof FACILITY_STATUSES)[number] = 'open'): string {
  const image = drawIcon(theme, group, status);
  if (!image) return '';
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  return canvas.toDataURL();
}
