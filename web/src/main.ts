/**
 * Entry point: ask the server how it runs (auth mode, basemap, features) and
 * who we are; log in when it requires it; then start the app.
 */
import * as maplibregl from 'maplibre-gl';
// MapLibre 6 loads its worker from a separate module; let vite emit it as an asset.
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import { api } from './api.ts';
import { App } from './app.ts';
import { locale, t } from './i18n.ts';
import { showLogin } from './panels/login.ts';

maplibregl.setWorkerUrl(workerUrl);
document.documentElement.lang = locale();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');

// First render time, for the README figure (performance.measure is visible in DevTools too).
performance.mark('planner-start');

async function main(): Promise<void> {
  status.textContent = t('loadingUnits');
  const [config, firstMe] = await Promise.all([api.config(), api.me()]);
  let me = firstMe;
  if (!me.authenticated) me = await showLogin(api, $('login'));
  else if (me.user?.mustChangePassword) me = await showLogin(api, $('login'));
  api.setCsrfToken(me.csrfToken);
  // A session that ends while working: log in again (the page keeps nothing unsaved: scenario edits are saved at once).
  api.onUnauthorized(() => {
    if (config.authMode === 'required') void showLogin(api, $('login'), t('sessionEnded')).then(() => location.reload());
  });
  const dialog = $<HTMLDialogElement>('dialog');
  const app = new App(api, {
    topbar: $('topbar'),
    side: $('side'),
    maps: $('maps'),
    mainPane: $('map-main'),
    comparePane: $('map-compare'),
    dialog,
    status,
  });
  // Esc closes the native dialog: keep the app's state in step.
  dialog.addEventListener('close', () => {
    if (app.state.dialog) app.closeDialog();
  });
  await app.start(config, me);
  app.main?.map.once('idle', () => {
    performance.measure('planner-first-render', 'planner-start');
    document.body.dataset.firstRender = String(Math.round(performance.getEntriesByName('planner-first-render')[0]?.duration ?? 0));
  });
}

main().catch((error: unknown) => {
  status.textContent = t('failedToLoad', { message: error instanceof Error ? error.message : String(error) });
  document.body.dataset.ready = 'error';
});
