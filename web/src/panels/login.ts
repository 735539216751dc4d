/**
 * The login view, shown when the server requires authentication and there is
 * no live session; then, when the account still has a one-time password, the
 * form to replace it. The login-free local mode never shows it.
 */
import { html, nothing, render } from 'lit-html';
import type { Api } from '../api.ts';
import { locale, setLocale, t } from '../i18n.ts';
import type { Me } from '../types.ts';

interface LoginState {
  step: 'login' | 'change';
  error: string | null;
  busy: boolean;
  me: Me | null;
  password: string;
  notice: string | null;
}

export function showLogin(api: Api, container: HTMLElement, notice: string | null = null): Promise<Me> {
  const state: LoginState = { step: 'login', error: null, busy: false, me: null, password: '', notice };
  container.hidden = false;
  const message = (error: unknown) => (error instanceof Error && 'messageZh' in error ? (locale() === 'en' ? error.message : String((error as { messageZh: string }).messageZh)) : String(error));
  return new Promise<Me>((resolve) => {
    const done = (me: Me) => {
      render(nothing, container);
      container.hidden = true;
      resolve(me);
    };
    const draw = () =>
      render(
        html`<div class="login-card" role="dialog" aria-modal="true" aria-labelledby="login-title">
          <div class="login-brand">
            <h1>${t('appTitle')}</h1>
            <p>${t('appRegion')}</p>
          </div>
          ${state.step === 'login'
            ? html`<form
                id="login-form"
                @submit=${async (e: Event) => {
                  e.preventDefault();
                  const data = new FormData(e.target as HTMLFormElement);
                  state.busy = true;
                  state.error = null;
                  draw();
                  try {
                    const password = String(data.get('password') ?? '');
                    const me = await api.login(String(data.get('name') ?? ''), password);
                    api.setCsrfToken(me.csrfToken);
                    state.me = me;
                    if (me.user?.mustChangePassword) {
                      state.step = 'change';
                      state.password = password;
                    } else done(me);
                  } catch (error) {
                    state.error = message(error);
                  }
                  state.busy = false;
                  draw();
                }}
              >
                <h2 id="login-title">${t('loginTitle')}</h2>
                <p class="hint">${state.notice ?? t('loginRequired')}</p>
                <label class="field">${t('loginName')} <input name="name" id="login-name" autocomplete="username" required autofocus /></label>
                <label class="field">${t('loginPassword')} <input name="password" id="login-password" type="password" autocomplete="current-password" required /></label>
                ${state.error ? html`<p class="error" role="alert" id="login-error">${state.error}</p>` : nothing}
                <button type="submit" class="primary" ?disabled=${state.busy}>${t('loginSubmit')}</button>
              </form>`
            : html`<form
                id="change-form"
                @submit=${async (e: Event) => {
                  e.preventDefault();
                  const data = new FormData(e.target as HTMLFormElement);
                  const a = String(data.get('new1') ?? '');
                  if (a !== String(data.get('new2') ?? '')) {
                    state.error = t('passwordsDiffer');
                    draw();
                    return;
                  }
                  try {
                    await api.changePassword(state.password, a);
                    done(await api.me());
                  } catch (error) {
                    state.error = message(error);
                    draw();
                  }
                }}
              >
                <h2 id="login-title">${t('changePasswordTitle')}</h2>
                <p class="hint">${t('changePasswordHint')}</p>
                <label class="field">${t('newPassword')} <input name="new1" type="password" autocomplete="new-password" minlength="10" required autofocus /></label>
                <label class="field">${t('newPasswordAgain')} <input name="new2" type="password" autocomplete="new-password" minlength="10" required /></label>
                ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : nothing}
                <button type="submit" class="primary">${t('save')}</button>
              </form>`}
          <p class="login-lang"><button type="button" class="link" @click=${() => (setLocale(locale() === 'en' ? 'zh-CN' : 'en'), draw())}>${t('switchLanguage')}</button></p>
        </div>`,
        container,
      );
    draw();
    queueMicrotask(() => (container.querySelector('[autofocus]') as HTMLElement | null)?.focus());
  });
}
