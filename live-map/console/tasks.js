// Joint tasks from the map: 派发任务 (a lead unit and cooperating units chosen by name, a due time, a
// description) and, from a ledger row, 督办 (a supervision notice with its answer deadline; notices are
// appends, so no version is sent).
import { get, post } from '../lib/api.js';
import { openForm } from '../lib/forms.js';
import { t } from '../lib/i18n.js';
import { feed, incidentOptions } from './common.js';

const HOUR_MS = 3600 * 1000;

export async function assignTask(incident = null) {
  const { units } = await get('/units');
  const byName = units.map((u) => ({ value: u.id, label: u.name })).sort((a, b) => a.label.localeCompare(b.label, 'zh-CN'));
  openForm({
    name: 'assign_task', title: t('act.assign_task'), feed,
    fields: [
      { name: 'title', label: t('field.title'), required: true, maxLength: 200 },
      { name: 'lead', label: t('field.lead'), type: 'select', options: byName, required: true, placeholder: t('field.choose') },
      { name: 'cooperating', label: t('field.cooperating'), type: 'checks', options: byName },
      { name: 'due', label: t('field.due'), type: 'datetime', value: Date.now() + 24 * HOUR_MS, required: true },
      { name: 'description', label: t('field.description'), type: 'textarea', max: 5000 },
      { name: 'incident', label: t('field.incident'), type: 'select', options: incidentOptions(), value: incident ?? '',
        placeholder: t('field.noIncident') },
    ],
    send: (v, { key }) => post('/tasks', {
      title: v.title, lead: v.lead, due: v.due, cooperating: v.cooperating.filter((u) => u !== v.lead),
      ...(v.description ? { description: v.description } : {}), ...(v.incident ? { incident: v.incident } : {}),
    }, { key }),
  });
}

export function superviseTask(task) {
  openForm({
    name: 'supervise_task', title: `${t('act.supervise_task')} · ${task.title}`, feed,
    fields: [
      { name: 'notice', label: t('field.notice'), type: 'textarea', required: true, max: 2000 },
      { name: 'answer_by', label: t('field.answer_by'), type: 'datetime', value: Date.now() + 24 * HOUR_MS, required: true },
    ],
    send: (v, { key }) => post(`/tasks/${task.id}/supervise`, { notice: v.notice, answer_by: v.answer_by }, { key }),
  });
}
