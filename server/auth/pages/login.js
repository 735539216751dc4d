// Login page: POST /api/auth/login; a one-time password must be replaced before going on.
const $ = (id) => document.getElementById(id);
let csrf = null;
let oldPassword = '';

function next() {
  const target = new URLSearchParams(location.search).get('next') || '/';
  // Only same-site paths: never an open redirect.
  location.href = target.startsWith('/') && !target.startsWith('//') ? target : '/';
}

async function call(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.messageZh ? `${data.messageZh} ${data.message ?? ''}` : `HTTP ${response.status}`);
  return data;
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login-error').textContent = '';
  try {
    oldPassword = $('password').value;
    const me = await call('/api/auth/login', { name: $('name').value, password: oldPassword });
    csrf = me.csrfToken;
    if (me.user && me.user.mustChangePassword) {
      $('login').hidden = true;
      $('change').hidden = false;
      $('new1').focus();
    } else {
      next();
    }
  } catch (error) {
    $('login-error').textContent = error.message;
  }
});

$('change').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('change-error').textContent = '';
  if ($('new1').value !== $('new2').value) {
    $('change-error').textContent = '两次输入不一致。The two entries differ.';
    return;
  }
  try {
    await call('/api/auth/password', { currentPassword: oldPassword, newPassword: $('new1').value });
    next();
  } catch (error) {
    $('change-error').textContent = error.message;
  }
});
