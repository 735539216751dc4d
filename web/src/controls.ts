/**
 * Map widgets as MapLibre IControls. Each renders a lit-html template into the
 * element it creates in onAdd and removes exactly that element (and its
 * listeners) in onRemove. They hold no state of their own: `update(model)`
 * re-renders from what the app passes.
 */
import type { IControl, Map as MapLibreMap } from 'maplibre-gl';
import { html, nothing, render, type TemplateResult } from 'lit-html';

abstract class TemplateControl<M> implements IControl {
  protected container: HTMLElement | undefined;
  protected model: M;

  constructor(model: M, private readonly className: string) {
    this.model = model;
  }

  onAdd(_map: MapLibreMap): HTMLElement {
    const el = document.createElement('div');
    el.className = `maplibregl-ctrl ${this.className}`;
    this.container = el;
    this.draw();
    return el;
  }

  onRemove(): void {
    if (this.container) render(nothing, this.container);
    this.container?.remove();
    this.container = undefined;
  }

  update(model: M): void {
    this.model = model;
    this.draw();
  }

  private draw(): void {
    if (this.container) render(this.template(this.model), this.container);
  }

  protected abstract template(model: M): TemplateResult;
}

export interface LegendSection {
  title: string;
  rows: { color: string; label: string; kind?: 'fill' | 'circle' | 'line' | 'icon' | 'dashed'; icon?: string }[];
  note?: string;
  /** Short rows (facility symbols) in two columns. */
  twoColumns?: boolean;
}

export interface LegendModel {
  heading: string;
  sections: LegendSection[];
  collapsed: boolean;
  onToggle(): void;
}

/** The legend: exactly the colours the visible layers draw (built from layers.ts by the app). */
export class LegendControl extends TemplateControl<LegendModel> {
  constructor(model: LegendModel) {
    super(model, 'legend');
  }

  protected template(m: LegendModel): TemplateResult {
    return html`<section aria-label=${m.heading}>
      <button class="legend-toggle" type="button" aria-expanded=${String(!m.collapsed)} @click=${m.onToggle}>${m.heading} ${m.collapsed ? '▸' : '▾'}</button>
      ${m.collapsed
        ? nothing
        : m.sections.map(
            (s) => html`<div class="legend-section">
              <strong>${s.title}</strong>
              <ul class=${s.twoColumns ? 'two-col' : ''}>
                ${s.rows.map(
                  (r) => html`<li>
                    ${r.kind === 'icon' && r.icon
                      ? html`<img class="legend-icon" src=${r.icon} alt="" />`
                      : html`<span class="swatch ${r.kind ?? 'fill'}" style="--swatch:${r.color}"></span>`}<span>${r.label}</span>
                  </li>`,
                )}
              </ul>
              ${s.note ? html`<p class="legend-note">${s.note}</p>` : nothing}
            </div>`,
          )}
    </section>`;
  }
}

export interface LayerSwitcherModel {
  heading: string;
  open: boolean;
  onToggleOpen(): void;
  layers: { key: string; label: string; checked: boolean; disabled?: boolean }[];
  onLayer(key: string, checked: boolean): void;
  colorLabel: string;
  colorOptions: { value: string; label: string; group?: string }[];
  color: string;
  onColor(value: string): void;
  classLabel: string;
  classOptions: { value: string; label: string }[];
  accessClass: string;
  onClass(value: string): void;
  hint: string;
}

/** Layer switcher: which layers show, what colours the units, which access class the gap layer uses. */
export class LayerSwitcherControl extends TemplateControl<LayerSwitcherModel> {
  constructor(model: LayerSwitcherModel) {
    super(model, 'layer-switcher');
  }

  protected template(m: LayerSwitcherModel): TemplateResult {
    const groups = [...new Set(m.colorOptions.map((o) => o.group ?? ''))];
    return html`<section aria-label=${m.heading}>
      <button class="switcher-toggle" type="button" aria-expanded=${String(m.open)} @click=${m.onToggleOpen}>☰ ${m.heading}</button>
      ${m.open
        ? html`<div class="switcher-body">
            <fieldset>
              <legend>${m.heading}</legend>
              ${m.layers.map(
                (l) => html`<label class="check"
                  ><input
                    type="checkbox"
                    name=${`layer-${l.key}`}
                    .checked=${l.checked}
                    ?disabled=${l.disabled ?? false}
                    @change=${(e: Event) => m.onLayer(l.key, (e.target as HTMLInputElement).checked)}
                  />${l.label}</label
                >`,
              )}
            </fieldset>
            <label class="field"
              >${m.colorLabel}
              <select name="color-by" @change=${(e: Event) => m.onColor((e.target as HTMLSelectElement).value)}>
                ${groups.map(
                  (g) => html`${g
                    ? html`<optgroup label=${g}>
                        ${m.colorOptions.filter((o) => (o.group ?? '') === g).map((o) => html`<option value=${o.value} ?selected=${o.value === m.color}>${o.label}</option>`)}
                      </optgroup>`
                    : m.colorOptions.filter((o) => !o.group).map((o) => html`<option value=${o.value} ?selected=${o.value === m.color}>${o.label}</option>`)}`,
                )}
              </select></label
            >
            <label class="field"
              >${m.classLabel}
              <select name="access-class" @change=${(e: Event) => m.onClass((e.target as HTMLSelectElement).value)}>
                ${m.classOptions.map((o) => html`<option value=${o.value} ?selected=${o.value === m.accessClass}>${o.label}</option>`)}
              </select></label
            >
            <p class="hint">${m.hint}</p>
          </div>`
        : nothing}
    </section>`;
  }
}

/** A label in a corner of a map pane (compare view: which side is which). */
export class PaneLabelControl extends TemplateControl<{ text: string; kind: 'baseline' | 'scenario' }> {
  constructor(model: { text: string; kind: 'baseline' | 'scenario' }) {
    super(model, 'pane-label');
  }

  protected template(m: { text: string; kind: 'baseline' | 'scenario' }): TemplateResult {
    return html`<span class="pane-label-text ${m.kind}">${m.text}</span>`;
  }
}
