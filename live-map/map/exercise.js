// The demo's exercise (`serve --demo`): the bundled drill, playing in a drill store of its own on its own
// server, offered from the live map. A click asks this server for a one-time link into it, opened in a new tab.
import { post } from '../lib/api.js';
import { el } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

export function offerExercise(exercise) {
  const button = el('exercise-open');
  button.hidden = !exercise;
  if (!exercise) return;
  button.title = exercise.scenario;
  button.onclick = async () => {
    try {
      const { link } = await post('/exercise/sign-in', {});
      window.open(link, '_blank', 'noopener');
    } catch (error) {
      button.title = `${t('exercise.failed')}: ${error.detail ?? error.message}`;
    }
  };
}
