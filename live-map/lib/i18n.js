// The pages' words, Chinese first (zh-CN) with English. Each page and its parts add their own words
// (addWords); the names of the domain's enumerations come from the server's configuration (term).
import { config } from './config.js';

const WORDS = { zh: {}, en: {} };
const STORAGE_KEY = 'lianfang.lang';
let language = localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';

export function addWords(words) {
  Object.assign(WORDS.zh, words.zh);
  Object.assign(WORDS.en, words.en);
}

export function getLanguage() {
  return language;
}

export function setLanguage(lang) {
  language = lang === 'en' ? 'en' : 'zh';
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language === 'en' ? 'en' : 'zh-CN';
}

/** A sentence or label; `{name}` placeholders are filled from `vars`. */
export function t(key, vars = {}) {
  const text = WORDS[language][key] ?? WORDS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** A domain term of `group` (e.g. term('zone', 'sealed')); an unknown value is shown as it is. */
export function term(group, value) {
  if (value === null || value === undefined) return '';
  return config.terms[language]?.[group]?.[value] ?? config.terms.zh?.[group]?.[value] ?? String(value);
}

/** Fill every [data-i18n] element of the page with its words. */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-term]')) {
    const [group, value] = el.dataset.term.split(':');
    el.textContent = term(group, value);
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}
