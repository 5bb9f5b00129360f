// The joint-task ledger (重点工作台账) in its three colours (三色清单).
import { el, escapeHtml } from '../lib/dom.js';
import { getLanguage, t, term } from '../lib/i18n.js';
import { formatTime } from '../lib/time.js';
import { actionsOf, cachedRows, newerFirst, showRows } from './rows.js';
import { COLOUR_RANK, LEDGER_LIMIT, extensions, state } from './state.js';

const rowCache = new Map();

export function renderLedger() {
  const tasks = [...state.tasks.values()];
  const colours = { green: 0, yellow: 0, red: 0 };
  for (const task of tasks) colours[task.colour] += 1;
  for (const [colour, n] of Object.entries(colours)) document.querySelector(`[data-count-colour="${colour}"]`).textContent = n;
  tasks.sort((a, b) => (COLOUR_RANK[a.colour] - COLOUR_RANK[b.colour]) || -newerFirst(a.due, b.due));
  showRows(el('ledger-list'), cachedRows(rowCache, tasks.slice(0, LEDGER_LIMIT), taskRow), 'empty.ledger');
}

function taskRow(task) {
  const li = document.createElement('li');
  li.className = 'task';
  li.dataset.id = task.id;
  li.dataset.colour = task.colour;
  const english = getLanguage() === 'en';
  const cooperating = task.cooperating_names?.length ? ` · ${t('cooperating')} ${task.cooperating_names.map(escapeHtml).join('、')}` : '';
  const notices = (task.supervision ?? []).map((n) => `<li class="${n.answered_at ? 'answered' : 'open'}">
      <b>${t('notice', { no: n.no })}</b> ${escapeHtml(n.notice)}
      <span class="notice-by">${t('answerBy', { time: formatTime(n.answer_by) })}</span>
      ${n.answered_at ? `<span class="notice-answer">${t('answered')}: ${escapeHtml(n.answer)}</span>` : `<span class="notice-open">${t('unanswered')}</span>`}
    </li>`).join('');
  li.innerHTML = `<span class="task-colour" title="${term('colour', task.colour)}"></span>
    <div class="task-main">
      <div class="task-title">${escapeHtml(task.title)}</div>
      <div class="task-meta">${t('lead')} ${escapeHtml(task.lead_name)}${cooperating} · ${t('due')} ${formatTime(task.due)} · ${term('taskState', task.state)}</div>
      ${task.description ? `<div class="task-description">${escapeHtml(task.description)}</div>` : ''}
      <div class="task-progress"><span class="bar"><i></i></span> ${Number(task.percent) || 0}%</div>
      <div class="task-reason">${escapeHtml(english ? task.reason_en : task.reason)}</div>
      ${notices ? `<ul class="notices">${notices}</ul>` : ''}
    </div>`;
  li.querySelector('.task-progress .bar i').style.width = `${Number(task.percent) || 0}%`;  // no style="": the CSP
  const actions = actionsOf(extensions.taskActions, task);
  if (actions) li.querySelector('.task-main').append(actions);
  return li;
}
