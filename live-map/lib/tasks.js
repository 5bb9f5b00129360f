// A unit's task desk (我的任务): the tasks it leads or cooperates on, with colour, due time, progress and its
// supervision notices (督办单), and the unit's acts on them: 认领, 拒绝 (a reason), 报告进度 (percent and a
// note), 办结, 回复督办. Used by the command-center page (/) for a unit's token and by the phone page (/m/).
// It needs no map: it renders into the element it is given.
//
// Interface (kept stable; the phone page depends on it):
//
//   import { createTaskDesk } from '/live-map/lib/tasks.js';
//   const desk = createTaskDesk({
//     container,   // element the desk renders into (it owns the element's children)
//     me,          // who the token is: GET /api/v1/me → { role, unit, name, unit_name }
//     feed,        // a LiveFeed (lib/live.js): forms stay pending until feed.reached(answered position); or null
//     forms,       // element the act forms open in (default: a box inside the desk, under its list)
//     live,        // () => may the person act now? (default: always; the wall says false while reviewing)
//     heading,     // show the desk's own 我的任务 heading (default true)
//   });
//   desk.take(message)     // a live feed message: snapshot/resync (msg.ledger rows) or delta (changes of layer 'tasks')
//   desk.load()            // GET /api/v1/tasks?unit=me and show it; resolves to the answer ({ position, unit, tasks })
//   desk.setTasks(rows)    // replace every task (ledger rows or GET /tasks rows); no notices
//   desk.upsert(row)       // one task's new row; a new task or a new 督办单 of this unit shows a notice
//   desk.render()          // redraw (after a change of language)
//   desk.tasks             // Map id → row, this unit's tasks only
//   desk.notices           // the notices shown, newest first: [{ kind: 'assigned' | 'supervised', task, notice }]
//   desk.destroy()
//
// The container also gets a 'lianfang:task-notice' event ({ detail: { kind, task, notice } }) for each notice.
// The words (zh and en) are added here; the accessible names are the contract's: 我的任务, 认领, 拒绝, 报告进度,
// 办结, 回复督办, fields 原因, 进度, 备注, 回复, buttons 提交 and 取消 (lib/forms.js).
import { get, post } from './api.js';
import { may } from './config.js';
import { h } from './dom.js';
import { openForm } from './forms.js';
import { addWords, getLanguage, t, term } from './i18n.js';
import { formatMinute } from './time.js';

addWords({
  zh: {
    'desk.title': '我的任务', 'desk.empty': '本单位暂无任务', 'desk.lead': '本单位牵头', 'desk.cooperating': '本单位配合',
    'desk.leadBy': '牵头：{unit}', 'desk.due': '截止 {time}', 'desk.overdue': '已逾期', 'desk.dismiss': '知道了',
    'desk.newTask': '新任务：{title}（截止 {time}）', 'desk.newNotice': '督办单：{title} — {notice}（限{time}前回复）',
    'desk.notice': '督办单第{no}号', 'desk.answerBy': '限{time}前回复', 'desk.answered': '已回复：{answer}', 'desk.open': '待回复',
    'desk.task': '任务', 'desk.openNotice': '待回复的督办单', 'desk.nowAt': '当前进度 {percent}%',
    'desk.confirmClaim': '认领后由本单位牵头落实，并按时报告进度。', 'desk.confirmComplete': '办结后任务即告完成，不能再报告进度。',
    'desk.state': '{state} · {percent}%', 'desk.notices': '通知', 'desk.fresh': '新',
    'act.claim_task': '认领', 'act.refuse_task': '拒绝', 'act.report_progress': '报告进度', 'act.complete_task': '办结',
    'act.answer_supervision': '回复督办',
    'field.reason': '原因', 'field.percent': '进度', 'field.note': '备注', 'field.answer': '回复',
    'hint.percent': '0–100，不低于当前进度', 'hint.refuse': '说明不能承担的原因，指挥中心会看到',
  },
  en: {
    'desk.title': 'My tasks', 'desk.empty': 'No tasks for this unit', 'desk.lead': 'we lead', 'desk.cooperating': 'we cooperate',
    'desk.leadBy': 'lead: {unit}', 'desk.due': 'due {time}', 'desk.overdue': 'overdue', 'desk.dismiss': 'Dismiss',
    'desk.newTask': 'New task: {title} (due {time})', 'desk.newNotice': 'Supervision notice: {title} — {notice} (answer by {time})',
    'desk.notice': 'Supervision notice {no}', 'desk.answerBy': 'answer by {time}', 'desk.answered': 'answered: {answer}', 'desk.open': 'to answer',
    'desk.task': 'Task', 'desk.openNotice': 'Open supervision notice', 'desk.nowAt': 'now at {percent}%',
    'desk.confirmClaim': 'Claiming makes this unit the one that carries the task out and reports on it.',
    'desk.confirmComplete': 'Completing closes the task; no progress can be reported after it.',
    'desk.state': '{state} · {percent}%', 'desk.notices': 'Notices', 'desk.fresh': 'new',
    'act.claim_task': 'Claim', 'act.refuse_task': 'Refuse', 'act.report_progress': 'Report progress', 'act.complete_task': 'Complete',
    'act.answer_supervision': 'Answer supervision',
    'field.reason': 'Reason', 'field.percent': 'Progress', 'field.note': 'Note', 'field.answer': 'Answer',
    'hint.percent': '0–100, not below the current progress', 'hint.refuse': 'why this unit cannot take it; the command center sees it',
  },
});

const COLOUR_RANK = { red: 0, yellow: 1, green: 2 };
const OPEN = new Set(['assigned', 'claimed']);
const NOTICE_LIMIT = 5;

/** A task desk rendered into `container`; see the interface at the top of this file. */
export function createTaskDesk(options) {
  return new TaskDesk(options);
}

/** This unit's part in a task: 'lead', 'cooperating', or null (not its task). */
export function partOf(task, unit) {
  if (!unit) return null;
  if (task.lead === unit) return 'lead';
  return (task.cooperating ?? []).includes(unit) ? 'cooperating' : null;
}

/** The notices of a task still waiting for the lead unit's answer, oldest first. */
export function openNotices(task) {
  return (task.supervision ?? []).filter((n) => !n.answered_at);
}

/** The acts this unit may take on the task now (by the contract's rules; the server still decides). */
export function actsOn(task, unit) {
  const part = partOf(task, unit);
  if (!part || !OPEN.has(task.state)) return [];
  const acts = [];
  if (part === 'lead' && task.state === 'assigned') acts.push('claim_task');
  if (task.state === 'claimed') acts.push('report_progress');
  if (part === 'lead' && task.state === 'claimed') acts.push('complete_task');
  if (part === 'lead') acts.push('refuse_task');
  if (part === 'lead' && openNotices(task).length) acts.push('answer_supervision');
  return acts;
}

class TaskDesk {
  constructor({ container, me, feed = null, forms = null, live = () => true, heading = true }) {
    Object.assign(this, { container, me, feed, live, heading });
    this.tasks = new Map();
    this.notices = [];
    this.taken = false;  // has a whole list arrived yet? (the first one brings no notices)
    this.fresh = new Set();
    this.list = h('ol', { className: 'desk-list' });
    this.noticeBox = h('div', { className: 'desk-notices', role: 'status', 'aria-live': 'polite' });
    this.title = h('h2', { className: 'desk-title' });
    this.forms = forms ?? h('div', { className: 'forms desk-forms', hidden: true });
    this.container.classList.add('task-desk');
    this.container.replaceChildren(...[heading ? this.title : null, this.noticeBox, this.list, forms ? null : this.forms].filter(Boolean));
    this.render();
  }

  get unit() {
    return this.me?.unit ?? null;
  }

  take(message) {
    if (message.type === 'snapshot' || message.type === 'resync') {
      if (!Array.isArray(message.ledger)) return;
      if (this.taken) for (const row of message.ledger) this.upsert(row, { draw: false });  // a resync: tell what is new
      this.setTasks(message.ledger);
    } else if (message.type === 'delta') {
      const rows = (message.changes ?? []).filter((c) => c.layer === 'tasks' && c.task).map((c) => c.task);
      for (const row of rows) this.upsert(row, { draw: false });
      if (rows.length) this.render();
    }
  }

  async load() {
    const answer = await get('/tasks?unit=me');
    this.setTasks(answer.tasks);
    return answer;
  }

  setTasks(rows) {
    this.tasks = new Map(rows.filter((row) => partOf(row, this.unit)).map((row) => [row.id, row]));
    this.taken = true;
    this.render();
  }

  upsert(row, { draw = true } = {}) {
    if (!partOf(row, this.unit)) return;
    const before = this.tasks.get(row.id);
    if (before && (before.version ?? 0) > (row.version ?? 0)) return;  // an older row arriving late
    this.tasks.set(row.id, row);
    if (this.taken && !before) this.notify('assigned', row);
    const known = new Set((before?.supervision ?? []).map((n) => n.no));
    if (this.taken && before && partOf(row, this.unit) === 'lead') {
      for (const notice of openNotices(row).filter((n) => !known.has(n.no))) this.notify('supervised', row, notice);
    }
    if (draw) this.render();
  }

  notify(kind, task, notice = null) {
    this.notices.unshift({ kind, task, notice });
    this.notices.length = Math.min(this.notices.length, NOTICE_LIMIT);
    this.fresh.add(task.id);
    this.container.dispatchEvent(new CustomEvent('lianfang:task-notice', { detail: { kind, task, notice }, bubbles: true }));
  }

  render() {
    this.title.replaceChildren(t('desk.title'), ' ', h('span', { className: 'panel-count' }, String(this.tasks.size)));
    this.noticeBox.replaceChildren(...this.notices.map((n, i) => this.noticeNode(n, i)));
    this.noticeBox.hidden = !this.notices.length;
    const rows = [...this.tasks.values()].sort(byUrgency);
    this.list.replaceChildren(...(rows.length ? rows.map((task) => this.row(task))
      : [h('li', { className: 'empty' }, t('desk.empty'))]));
  }

  noticeNode(n, i) {
    const words = n.kind === 'assigned'
      ? t('desk.newTask', { title: n.task.title, time: formatMinute(n.task.due) })
      : t('desk.newNotice', { title: n.task.title, notice: n.notice.notice, time: formatMinute(n.notice.answer_by) });
    return h('div', { className: `desk-notice ${n.kind}`, dataset: { task: n.task.id } }, h('span', {}, words),
      h('button', { type: 'button', className: 'dismiss', onclick: () => {
        this.notices.splice(i, 1);
        this.fresh.delete(n.task.id);
        this.render();
      } }, t('desk.dismiss')));
  }

  row(task) {
    const part = partOf(task, this.unit);
    const percent = Number(task.percent) || 0;
    const bar = h('i');
    bar.style.width = `${percent}%`;  // a property, not style="": the page's CSP
    const english = getLanguage() === 'en';
    const notices = (task.supervision ?? []).map((n) => h('li', { className: n.answered_at ? 'answered' : 'open' },
      h('b', {}, t('desk.notice', { no: n.no })), ' ', n.notice, ' ',
      h('span', { className: 'notice-by' }, t('desk.answerBy', { time: formatMinute(n.answer_by) })), ' ',
      n.answered_at ? h('span', { className: 'notice-answer' }, t('desk.answered', { answer: n.answer }))
        : h('span', { className: 'notice-open' }, t('desk.open'))));
    const acts = this.live() ? actsOn(task, this.unit).filter((command) => may(this.me?.role, command)) : [];
    return h('li', { className: `task desk-task${this.fresh.has(task.id) ? ' fresh' : ''}`, dataset: { id: task.id, colour: task.colour, state: task.state } },
      h('span', { className: 'task-colour', title: term('colour', task.colour) }),
      h('div', { className: 'task-main' },
        h('div', { className: 'task-title' }, task.title,
          this.fresh.has(task.id) ? h('span', { className: 'fresh-tag' }, t('desk.fresh')) : null),
        h('div', { className: 'task-meta' },
          h('span', { className: `part ${part}` }, t(`desk.${part}`)),
          part === 'cooperating' ? ` · ${t('desk.leadBy', { unit: task.lead_name ?? '' })}` : '',
          ` · ${t('desk.due', { time: formatMinute(task.due) })}`,
          task.overdue ? h('b', { className: 'overdue' }, ` · ${t('desk.overdue')}`) : '',
          ` · ${term('taskState', task.state)}`),
        task.description ? h('div', { className: 'task-description' }, task.description) : null,
        h('div', { className: 'task-progress' }, h('span', { className: 'bar' }, bar), ` ${percent}%`),
        h('div', { className: 'task-reason' }, english ? task.reason_en : task.reason),
        notices.length ? h('ul', { className: 'notices' }, notices) : null,
        acts.length ? h('div', { className: 'row-actions' }, acts.map((command) => this.button(command, task))) : null));
  }

  button(command, task) {
    return h('button', { type: 'button', className: `act act-${command}`, dataset: { command }, onclick: (event) => {
      event.stopPropagation();
      this.fresh.delete(task.id);
      this.open(command, this.tasks.get(task.id) ?? task);
    } }, t(`act.${command}`));
  }

  /** The form of an act: one Idempotency-Key per form (lib/forms.js), If-Match on a change of state. */
  open(command, task) {
    const path = (step) => `/tasks/${task.id}/${step}`;
    const about = { name: 'task', label: t('desk.task'), type: 'static', value: task.title };
    const seen = { version: task.version, current: () => this.tasks.get(task.id) ?? null,
      describe: (fresh) => t('desk.state', { state: term('taskState', fresh.state), percent: Number(fresh.percent) || 0 }) };
    const forms = {
      claim_task: { intro: t('desk.confirmClaim'), fields: [about], seen,
        send: (v, { key, version }) => post(path('claim'), {}, { key, version }) },
      refuse_task: { fields: [about, { name: 'reason', label: t('field.reason'), type: 'textarea', required: true, max: 500, hint: t('hint.refuse') }],
        seen, send: (v, { key, version }) => post(path('refuse'), { reason: v.reason }, { key, version }) },
      report_progress: { fields: [about,
        { name: 'percent', label: t('field.percent'), type: 'number', required: true, min: Number(task.percent) || 0, max: 100,
          value: Number(task.percent) || 0, hint: `${t('hint.percent')} · ${t('desk.nowAt', { percent: Number(task.percent) || 0 })}` },
        { name: 'note', label: t('field.note'), type: 'textarea', max: 2000 }],
      // Progress is an append, not a change of state: no If-Match (the server refuses a percent going down).
      send: (v, { key }) => post(path('progress'), { percent: v.percent, ...(v.note ? { note: v.note } : {}) }, { key }) },
      complete_task: { intro: t('desk.confirmComplete'), fields: [about], seen,
        send: (v, { key, version }) => post(path('complete'), {}, { key, version }) },
      answer_supervision: { fields: [about, ...openNotices(task).slice(0, 1).map((n) => ({ name: 'notice', label: t('desk.openNotice'),
        type: 'static', value: `${t('desk.notice', { no: n.no })}：${n.notice}（${t('desk.answerBy', { time: formatMinute(n.answer_by) })}）` })),
      { name: 'answer', label: t('field.answer'), type: 'textarea', required: true, max: 2000 }],
      // An answer goes to the oldest open notice: an append, no If-Match.
      send: (v, { key }) => post(path('answer'), { answer: v.answer }, { key }) },
    };
    const spec = forms[command];
    return openForm({ name: command, title: `${t(`act.${command}`)} · ${task.title}`, feed: this.feed, container: this.forms, ...spec });
  }

  destroy() {
    this.container.replaceChildren();
    this.container.classList.remove('task-desk');
    this.tasks.clear();
  }
}

function byUrgency(a, b) {
  const open = Number(OPEN.has(b.state)) - Number(OPEN.has(a.state));
  if (open) return open;
  const notices = Number(openNotices(b).length > 0) - Number(openNotices(a).length > 0);
  if (notices) return notices;
  return (COLOUR_RANK[a.colour] - COLOUR_RANK[b.colour]) || (a.due < b.due ? -1 : a.due > b.due ? 1 : 0);
}
