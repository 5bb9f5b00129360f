// The page as a unit's token sees it: titled for the unit, its task desk (lib/tasks.js) first among the panels,
// following the same live feed as the map; and, for every token, who is signed in with a way to sign out.
import { setToken } from '../lib/api.js';
import { el, h } from '../lib/dom.js';
import { addWords, t, term } from '../lib/i18n.js';
import { createTaskDesk } from '../lib/tasks.js';
import { feed } from './feed.js';
import { feedListeners, state } from './state.js';

addWords({
  zh: { deskTitle: '{unit} · 联防任务台', signOut: '退出', signedIn: '当前登录', unnamed: '未命名令牌' },
  en: { deskTitle: '{unit} · Task desk', signOut: 'Sign out', signedIn: 'Signed in', unnamed: 'unnamed token' },
});

export let desk = null;

/** For a unit's token: the desk, and the page titled for the unit. */
export function startDesk(me) {
  if (me?.role !== 'unit' || !me.unit || desk) return;
  document.body.classList.add('role-unit');
  el('county-name').hidden = true;  // the unit's name is the title
  const section = h('section', { className: 'panel panel-desk', id: 'desk' });
  document.querySelector('.panels').prepend(section);
  desk = createTaskDesk({ container: section, me, feed, forms: el('forms'), live: () => state.mode === 'live' });
  feedListeners.push((message) => desk.take(message));
  document.addEventListener('lianfang:language', () => {
    desk.render();
    titlePage(me);
  });
  titlePage(me);
}

function titlePage(me) {
  const title = document.querySelector('[data-i18n=appTitle], #app-title');
  title.removeAttribute('data-i18n');  // the command center's title is not this page's
  title.id = 'app-title';
  title.textContent = t('deskTitle', { unit: me.unit_name ?? me.name ?? '' });
  document.title = title.textContent;
  el('desk').setAttribute('aria-label', t('desk.title'));
}

/** Who is signed in (name and role) and 退出, in the page's header. */
export function showWhoAmI(me) {
  const box = el('whoami');
  if (!me) {
    box.hidden = true;
    return;
  }
  // (A unit's page is titled with its unit: here only the person or device and its role.)
  const unitShown = me.role === 'unit' || !me.unit_name || me.unit_name === me.name;
  const who = [me.name || t('unnamed'), unitShown ? null : me.unit_name].filter(Boolean).join(' · ');
  box.replaceChildren(
    h('span', { className: 'who', title: t('signedIn') }, who, ' ', h('small', {}, term('role', me.role))),
    h('button', { type: 'button', className: 'sign-out', onclick: signOut }, t('signOut')));
  box.hidden = false;
}

function signOut() {
  feed?.stop();
  setToken(null);
  location.replace(location.pathname);  // a fresh page: nothing of this token's stays in it
}
