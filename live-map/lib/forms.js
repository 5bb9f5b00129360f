// Forms that never record twice (hard-parts §13): the Idempotency-Key is made when the form opens and
// sent with every try; a state transition sends If-Match with the version the person saw; the server's
// problem+json detail is shown beside the form; the form stays pending until the live feed has applied
// the answered position, so that it closes when every screen shows the change.
import { AuthError, ApiProblem, newKey } from './api.js';
import { h } from './dom.js';
import { addWords, t } from './i18n.js';
import { countyInputValue, fromCountyInput } from './time.js';

addWords({
  zh: {
    'form.submit': '提交', 'form.cancel': '取消', 'form.sending': '提交中…',
    'form.waiting': '已记录，等待各屏幕更新…', 'form.conflict': '他人已修改此项，现在是：',
    'form.noAnswer': '服务器没有回应：可能已记录，也可能没有。再点“提交”是安全的，不会重复记录。',
    'form.unauthorized': '令牌无效或已撤销，请重新登录', 'form.none': '（无）',
  },
  en: {
    'form.submit': 'Submit', 'form.cancel': 'Cancel', 'form.sending': 'Sending…',
    'form.waiting': 'Recorded; waiting for every screen to show it…', 'form.conflict': 'Someone else changed this; it is now:',
    'form.noAnswer': 'No answer from the server: it may or may not have been recorded. Submitting again is safe: it is never recorded twice.',
    'form.unauthorized': 'This token is unknown or revoked; sign in again', 'form.none': '(none)',
  },
});

let current = null;   // the open form (one at a time)
let serial = 0;

/**
 * Open a form. spec:
 *   name: a stable name (data-form), title, intro: nodes shown above the fields,
 *   fields: [{ name, label, type: text|textarea|number|select|datetime|checks|radios|static, value, options:
 *             [{ value, label }], required, min, max, placeholder, hint }],
 *   seen: { version, current(): the thing as the page has it now, describe(thing): words } for If-Match,
 *   confirm(values): a Promise of true to go on (a second step, e.g. for an Actual alert),
 *   send(values, { key, version }): the POST; answers { position }, or throws ApiProblem,
 *   feed: the LiveFeed whose reached(position) ends the wait, onClose(sent), container: where it goes.
 */
export function openForm(spec) {
  current?.close(false);
  const form = new ActionForm(spec);
  current = form;
  return form;
}

export function closeForms() {
  current?.close(false);
}

class ActionForm {
  constructor(spec) {
    this.spec = spec;
    this.key = newKey();  // one act, however many times it is sent
    this.version = spec.seen?.version;
    this.pending = false;
    this.inputs = {};
    const id = `form-${++serial}`;
    this.error = h('p', { className: 'form-error', role: 'alert' });
    this.status = h('p', { className: 'form-status', role: 'status' });
    this.extra = h('div', { className: 'form-extra' });
    this.submit = h('button', { type: 'submit', className: 'primary' }, t('form.submit'));
    this.cancel = h('button', { type: 'button', onclick: () => this.close(false) }, t('form.cancel'));
    this.node = h('form', { className: 'action-form', noValidate: false, dataset: { form: spec.name }, 'aria-labelledby': `${id}-title` },
      h('h2', { id: `${id}-title` }, spec.title),
      spec.intro ? h('div', { className: 'form-intro' }, spec.intro) : null,
      ...spec.fields.map((field, i) => this.field(field, `${id}-${i}`)),
      this.extra, this.error, this.status,
      h('div', { className: 'form-buttons' }, this.submit, this.cancel));
    this.node.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
    this.node.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !this.pending) this.close(false);
    });
    (spec.container ?? document.getElementById('forms')).append(this.node);
    this.node.closest('.forms')?.removeAttribute('hidden');
    this.node.querySelector('input:not([type=hidden]), select, textarea')?.focus();
  }

  field(field, id) {
    const label = (text) => h('label', { htmlFor: id }, text);
    const options = (field.options ?? []).map((o) => h('option', { value: o.value, selected: String(o.value) === String(field.value ?? '') }, o.label));
    let input;
    switch (field.type) {
      case 'static':
        return h('div', { className: 'form-field static' }, h('span', { className: 'form-label' }, field.label), h('output', { id }, field.value ?? ''));
      case 'textarea':
        input = h('textarea', { id, name: field.name, rows: field.rows ?? 3, required: field.required, maxLength: field.max ?? 5000 });
        input.value = field.value ?? '';
        break;
      case 'select':
        input = h('select', { id, name: field.name, required: field.required }, field.placeholder !== undefined
          ? h('option', { value: '', selected: field.value === undefined || field.value === null }, field.placeholder) : null, options);
        break;
      case 'checks':
      case 'radios':
        return this.choices(field, id);
      case 'datetime':
        input = h('input', { id, name: field.name, type: 'datetime-local', required: field.required,
          value: field.value ? countyInputValue(field.value) : '' });
        break;
      default:
        input = h('input', { id, name: field.name, type: field.type ?? 'text', required: field.required,
          min: field.min, max: field.max, step: field.type === 'number' ? 1 : undefined, value: field.value ?? '',
          placeholder: field.placeholder, maxLength: field.type === 'number' ? undefined : field.maxLength ?? 200 });
    }
    this.inputs[field.name] = { field, read: () => readValue(field, input) };
    return h('div', { className: `form-field ${field.type ?? 'text'}` }, label(field.label), input,
      field.hint ? h('small', { className: 'form-hint' }, field.hint) : null);
  }

  /** A group of checkboxes or radio buttons: a fieldset whose legend is the field's words, each choice labelled. */
  choices(field, id) {
    const type = field.type === 'checks' ? 'checkbox' : 'radio';
    const chosen = new Set([].concat(field.value ?? []).map(String));
    const boxes = (field.options ?? []).map((o, i) => {
      const box = h('input', { type, id: `${id}-${i}`, name: field.name, value: o.value, checked: chosen.has(String(o.value)),
        required: type === 'radio' && field.required });
      return { box, node: h('label', { className: 'choice', htmlFor: `${id}-${i}` }, box, ' ', o.label) };
    });
    this.inputs[field.name] = { field, read: () => {
      const picked = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
      return type === 'checkbox' ? picked : picked[0] ?? null;
    } };
    const empty = boxes.length ? null : h('p', { className: 'form-hint' }, field.empty ?? t('form.none'));
    return h('fieldset', { className: `form-field ${field.type}` }, h('legend', {}, field.label), ...boxes.map((b) => b.node), empty);
  }

  values() {
    return Object.fromEntries(Object.entries(this.inputs).map(([name, input]) => [name, input.read()]));
  }

  async send() {
    if (this.pending || this.confirming) return;  // a double click: the first is on its way (and the key makes any resend one act)
    if (!this.node.reportValidity()) return;
    const values = this.values();
    this.error.textContent = '';
    if (this.spec.confirm) {
      this.confirming = true;
      try {
        if (!(await this.spec.confirm(values, this))) return;
      } finally {
        this.confirming = false;
      }
    }
    this.setPending(true, t('form.sending'));
    try {
      const answer = await this.spec.send(values, { key: this.key, version: this.version });
      this.setPending(true, t('form.waiting'));
      if (answer?.position != null && this.spec.feed) await this.spec.feed.reached(answer.position);
      this.close(true, answer);
    } catch (error) {
      this.setPending(false, '');
      await this.refused(error);
    }
  }

  async refused(error) {
    if (error instanceof ApiProblem) {
      this.error.textContent = error.detail;
      this.node.dataset.refused = String(error.status);
      if (error.conflict && this.spec.seen) await this.showFresh();
    } else if (error instanceof AuthError) {
      this.error.textContent = t('form.unauthorized');
    } else {
      // No answer: it may or may not have been recorded. The same key again is safe: the server answers the first.
      this.error.textContent = t('form.noAnswer');
      console.warn('form: no answer from the server', error);
    }
  }

  /** Someone else changed the thing: wait (briefly) for the feed to bring its fresh state, and show it. */
  async showFresh() {
    const seen = this.spec.seen;
    const deadline = Date.now() + 5000;
    let fresh = seen.current();
    while ((!fresh || fresh.version === this.version) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      fresh = seen.current();
    }
    this.node.dataset.conflict = 'true';
    this.extra.replaceChildren(h('div', { className: 'form-conflict' },
      h('strong', {}, t('form.conflict')), ' ', fresh ? seen.describe(fresh) : ''));
    if (fresh) this.version = fresh.version;  // to act on what is there now, the person sends again
  }

  setPending(pending, words) {
    this.pending = pending;
    this.submit.disabled = pending;
    this.cancel.disabled = pending;
    this.node.classList.toggle('pending', pending);
    this.node.setAttribute('aria-busy', String(pending));
    this.status.textContent = words;
  }

  close(sent, answer) {
    if (!this.node.isConnected) return;
    const box = this.node.parentElement;
    this.node.remove();
    if (box && !box.children.length && box.classList.contains('forms')) box.hidden = true;
    if (current === this) current = null;
    this.spec.onClose?.(sent, answer);
  }
}

function readValue(field, input) {
  const raw = input.value;
  switch (field.type) {
    case 'number': return raw === '' ? null : Number(raw);
    case 'datetime': return fromCountyInput(raw);
    default: return raw.trim() === '' ? null : raw.trim();
  }
}
