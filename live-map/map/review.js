// Review mode (复盘): the record as it stood at a chosen time, and played back.
import { AuthError, get } from '../lib/api.js';
import { config } from '../lib/config.js';
import { el } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { formatTime } from '../lib/time.js';
import { applySnapshot, feed, setConn, showPosition } from './feed.js';
import { showLogin } from './login.js';
import { PLAY_TICK_MS, state } from './state.js';

function reviewEnd() {
  const drillEnd = config.drill?.end ? Date.parse(config.drill.end) : null;
  return Math.max(drillEnd ?? Date.now(), state.review.start);
}

export function spanTimeline() {
  const review = state.review;
  review.end = reviewEnd();
  if (!review.start) review.start = review.end;
  const slider = el('time-slider');
  slider.max = String(Math.max(1, review.end - review.start));
}

export function enterReview() {
  if (state.mode === 'review') return;
  state.mode = 'review';
  feed.stop();
  spanTimeline();
  document.body.classList.add('reviewing');
  el('back-to-live').disabled = false;
  setConn('review');
}

function backToLive() {
  stopPlaying();
  clearTimeout(state.review.debounce);
  state.mode = 'live';
  state.review.at = null;
  state.review.pending = null;
  document.body.classList.remove('reviewing');
  el('back-to-live').disabled = true;
  const url = new URL(location.href);
  url.searchParams.delete('at');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  state.position = null;  // a fresh snapshot: the map now shows the past
  feed.attempt = 0;
  setConn('connecting');
  showSliderAtEnd();
  feed.connect();
}

export function showSliderAtEnd() {
  spanTimeline();
  el('time-slider').value = el('time-slider').max;
  el('review-time').textContent = t('conn.live');
  delete el('review-time').dataset.at;
}

function sliderTime() {
  return state.review.start + Number(el('time-slider').value);
}

/** Show the map, ledger and activity as of `at` (ms); a newer request waits for the one in flight. */
export async function loadAt(at) {
  enterReview();
  const review = state.review;
  review.at = at;
  el('time-slider').value = String(at - review.start);
  el('review-time').textContent = formatTime(new Date(at));
  showPosition();  // the stamp says the moment at once; the map follows when it has loaded
  if (review.loading) {
    review.pending = at;
    return;
  }
  review.loading = true;
  try {
    const iso = new Date(at).toISOString();
    const q = `at=${encodeURIComponent(iso)}`;
    const [situation, ledger, audit] = await Promise.all([
      get(`/map?${q}`), get(`/ledger?${q}`), get(`/audit?until=${encodeURIComponent(iso)}&newest_first=true&limit=50`),
    ]);
    if (state.mode !== 'review') return;  // back to live while we waited
    applySnapshot({ type: 'review', position: situation.position, at: situation.at, drill: situation.drill,
      map: situation, ledger: ledger.tasks, activity: audit.entries });
    el('review-time').dataset.at = iso;
    el('review-time').dataset.position = situation.position;
    const url = new URL(location.href);
    url.searchParams.set('at', iso);
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    setConn('review');
  } catch (error) {
    if (error instanceof AuthError) showLogin('login.invalid');
    else console.warn('review: could not load the record at', new Date(at).toISOString(), error);
  } finally {
    review.loading = false;
    if (review.pending !== null && state.mode === 'review') {
      const next = review.pending;
      review.pending = null;
      loadAt(next);
    }
  }
}

function togglePlay() {
  if (state.review.player) {
    stopPlaying();
    return;
  }
  if (state.mode === 'live') enterReview();
  spanTimeline();
  // Playing from live, or from the end, replays the record from its start.
  if (sliderTime() >= state.review.end) el('time-slider').value = '0';
  el('play').textContent = t('pause');
  el('play').dataset.i18n = 'pause';
  state.review.player = setInterval(() => {
    const speed = Number(el('speed').value);
    const next = Math.min(state.review.end, sliderTime() + speed * PLAY_TICK_MS);
    loadAt(next);
    if (next >= state.review.end) stopPlaying();
  }, PLAY_TICK_MS);
}

export function stopPlaying() {
  clearInterval(state.review.player);
  state.review.player = null;
  el('play').dataset.i18n = 'play';
  el('play').textContent = t('play');
}

export function wireReview() {
  const slider = el('time-slider');
  slider.addEventListener('pointerdown', () => { enterReview(); });
  slider.addEventListener('input', () => {
    enterReview();
    el('review-time').textContent = formatTime(new Date(sliderTime()));
    clearTimeout(state.review.debounce);
    state.review.debounce = setTimeout(() => loadAt(sliderTime()), 250);
  });
  slider.addEventListener('change', () => {
    clearTimeout(state.review.debounce);
    loadAt(sliderTime());
  });
  el('play').addEventListener('click', togglePlay);
  el('back-to-live').addEventListener('click', backToLive);
}
