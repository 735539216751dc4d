// Minimal admin page over /api/admin/* (the map UI issue builds the full one).
// Every value is written with textContent: nothing from the server becomes HTML.
const $ = (id) => document.getElementById(id);
let csrf = null;

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) {
    location.href = `/login?next=${encodeURIComponent('/admin')}`;
    throw new Error('login required');
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.messageZh ? `${data.messageZh} ${data.message ?? ''}` : `HTTP ${response.status}`);
  return data;
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  return td;
}
function button(label, onClick, secondary = true) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (secondary) b.className = 'secondary';
  b.addEventListener('click', () => onClick().catch(showError));
  return b;
}
function showError(error) {
  $('error').textContent = error.message;
}
function showSecret(text) {
  $('secret').hidden = false;
  $('secret').textContent = text;
}
const when = (iso) => (iso ? new Date(iso).toLocaleString('zh-CN') : '—');

async function loadUsers() {
  const { users } = await api('GET', '/api/admin/users?limit=1000');
  const body = $('users');
  body.replaceChildren();
  for (const u of users) {
    const tr = document.createElement('tr');
    const role = document.createElement('select');
    for (const r of ['viewer', 'planner', 'editor', 'admin']) {
      const o = document.createElement('option');
      o.value = r;
      o.textContent = r;
      o.selected = r === u.role;
      role.append(o);
    }
    role.addEventListener('change', () =>
      api('PATCH', `/api/admin/users/${u.id}`, { version: u.version, role: role.value, unitCode: role.value === 'editor' ? u.unitCode : null })
        .then(loadUsers)
        .catch((e) => { showError(e); loadUsers(); }),
    );
    const roleCell = document.createElement('td');
    roleCell.append(role);
    const actions = document.createElement('td');
    actions.append(
      button(u.disabled ? '启用 Enable' : '停用 Disable', () => api('PATCH', `/api/admin/users/${u.id}`, { version: u.version, disabled: !u.disabled }).then(loadUsers)),
      button('重置密码 Reset password', async () => {
        const r = await api('POST', `/api/admin/users/${u.id}/password`, {});
        showSecret(`${u.name} 的一次性密码 / one-time password: ${r.oneTimePassword}`);
        await loadUsers();
      }),
    );
    if (u.role === 'editor') {
      actions.append(
        button('范围 Scope', async () => {
          const unit = prompt('行政区划代码（空 = 全区）Unit code (empty = whole region)', u.unitCode ?? '');
          if (unit === null) return;
          await api('PATCH', `/api/admin/users/${u.id}`, { version: u.version, unitCode: unit.trim() === '' ? null : unit.trim() });
          await loadUsers();
        }),
      );
    }
    tr.append(
      cell(u.name),
      cell(u.displayName),
      roleCell,
      cell(u.unitCode ? `${u.unitCode} ${u.unitName ?? ''}` : u.role === 'editor' ? '全区 all' : ''),
      cell(u.disabled ? '已停用 disabled' : u.mustChangePassword ? '待改密码 must change password' : '正常 active'),
      cell(when(u.lastLoginAt)),
      actions,
    );
    body.append(tr);
  }
}

async function loadTokens() {
  const { tokens } = await api('GET', '/api/admin/tokens?limit=1000');
  const body = $('tokens');
  body.replaceChildren();
  for (const t of tokens) {
    const tr = document.createElement('tr');
    const actions = document.createElement('td');
    if (t.active) actions.append(button('撤销 Revoke', () => api('DELETE', `/api/admin/tokens/${t.id}`).then(loadTokens)));
    tr.append(cell(t.userName), cell(t.name), cell(`${t.prefix}…`), cell(when(t.createdAt)), cell(when(t.lastUsedAt)), cell(t.active ? '有效 active' : t.revokedAt ? '已撤销 revoked' : '已过期 expired'), actions);
    body.append(tr);
  }
}

function auditParams() {
  const p = new URLSearchParams();
  if ($('a-actor').value) p.set('actor', $('a-actor').value);
  if ($('a-action').value) p.set('action', $('a-action').value);
  if ($('a-entity').value) p.set('entityType', $('a-entity').value);
  if ($('a-from').value) p.set('from', new Date($('a-from').value).toISOString());
  if ($('a-to').value) p.set('to', new Date($('a-to').value).toISOString());
  return p;
}

async function loadAudit() {
  const p = auditParams();
  $('a-export').href = `/api/admin/audit/export?${p}`;
  p.set('limit', '200');
  const { entries } = await api('GET', `/api/admin/audit?${p}`);
  const body = $('audit');
  body.replaceChildren();
  for (const e of entries) {
    const tr = document.createElement('tr');
    const detail = JSON.stringify({ before: e.before, after: e.after, details: e.details });
    tr.append(cell(when(e.at)), cell(e.actor), cell(e.action), cell(`${e.entityType} ${e.entityId ?? ''}`), cell(detail.length > 300 ? `${detail.slice(0, 300)}…` : detail));
    body.append(tr);
  }
}

$('create').addEventListener('submit', (event) => {
  event.preventDefault();
  const unit = $('c-unit').value.trim();
  api('POST', '/api/admin/users', {
    name: $('c-name').value,
    displayName: $('c-display').value,
    role: $('c-role').value,
    unitCode: $('c-role').value === 'editor' && unit ? unit : null,
  })
    .then((r) => {
      showSecret(`${r.user.name} 的一次性密码 / one-time password: ${r.oneTimePassword}`);
      $('create').reset();
      return loadUsers();
    })
    .catch(showError);
});
$('audit-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  loadAudit().catch(showError);
});
$('logout').addEventListener('click', (event) => {
  event.preventDefault();
  api('POST', '/api/auth/logout').then(() => (location.href = '/login')).catch(showError);
});

(async () => {
  const me = await api('GET', '/api/auth/me');
  if (!me.authenticated) {
    location.href = `/login?next=${encodeURIComponent('/admin')}`;
    return;
  }
  csrf = me.csrfToken;
  $('me').textContent = `${me.user.displayName} (${me.user.role})${me.mode === 'local' ? ' · 免登录本地模式 local mode' : ''}`;
  if (me.user.role !== 'admin') {
    showError(new Error('需要管理员角色。This page needs the admin role.'));
    return;
  }
  await Promise.all([loadUsers(), loadTokens(), loadAudit()]);
})().catch(showError);
