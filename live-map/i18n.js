// Words of the live map, Chinese first (zh-CN) with English. Domain terms follow domain.md.

const WORDS = {
  zh: {
    appTitle: '一张图 · 联防指挥中心',
    'conn.connecting': '连接中', 'conn.live': '实时', 'conn.reconnecting': '重连中',
    'conn.stale': '数据陈旧', 'conn.review': '复盘',
    position: '位置', asOf: '截至', since: '自', attempt: '第{n}次重试',
    langToggle: 'EN', langToggleTitle: 'Switch to English',
    'layer.jurisdictions': '辖区', 'layer.incidents': '突发事件', 'layer.zones': '管控区域',
    'layer.resources': '资源与工作组', 'layer.dispatches': '调度', 'layer.alerts': '预警',
    legend: '图层与图例', downgradeDue: '可降级', daysQuiet: '{n}天无新增',
    noLevel: '未定级', zoneCount: '{n}个区域', clusterCount: '{n}个',
    'kpi.openIncidents': '在办事件', 'kpi.zones': '管控区域', 'kpi.tasks': '三色任务',
    'panel.incidents': '事件看板', 'panel.ledger': '重点工作台账 · 三色清单', 'panel.activity': '实时动态',
    'empty.incidents': '暂无突发事件', 'empty.ledger': '暂无联防联控任务', 'empty.activity': '暂无动态',
    lead: '牵头', cooperating: '配合', due: '截止', percent: '进度',
    notice: '督办单第{no}号', answerBy: '限{time}前回复', answered: '已回复', unanswered: '未回复',
    reviewStamp: '复盘 · 截至 {time}',
    review: '复盘', play: '播放', pause: '暂停', speed: '速度', backToLive: '回到实时',
    reviewHint: '拖动时间轴查看历史态势', loadingAt: '加载中…',
    'login.title': '联防 · 一张图', 'login.prompt': '请输入访问令牌（观察员令牌即可查看）',
    'login.submit': '进入', 'login.invalid': '令牌无效或已撤销，请重新输入',
    'login.placeholder': '访问令牌', 'login.unreachable': '无法连接服务器，请稍后再试',
    reported: '报告时间', jurisdiction: '辖区', cases: '病例', status: '状态',
    capacity: '容量', quantity: '数量', unit: '单位', expires: '失效时间',
    'speed.60': '1分钟/秒', 'speed.600': '10分钟/秒', 'speed.3600': '1小时/秒', 'speed.86400': '1天/秒',
  },
  en: {
    appTitle: 'Situation Map · Command Center',
    'conn.connecting': 'connecting', 'conn.live': 'live', 'conn.reconnecting': 'reconnecting',
    'conn.stale': 'stale', 'conn.review': 'review',
    position: 'position', asOf: 'as of', since: 'since', attempt: 'retry {n}',
    langToggle: '中文', langToggleTitle: '切换到中文',
    'layer.jurisdictions': 'Jurisdictions', 'layer.incidents': 'Incidents', 'layer.zones': 'Control zones',
    'layer.resources': 'Resources & teams', 'layer.dispatches': 'Dispatches', 'layer.alerts': 'Alerts',
    legend: 'Layers & legend', downgradeDue: 'downgrade due', daysQuiet: '{n} d without a new case',
    noLevel: 'no level', zoneCount: '{n} zones', clusterCount: '{n}',
    'kpi.openIncidents': 'Open incidents', 'kpi.zones': 'Control zones', 'kpi.tasks': 'Three-colour tasks',
    'panel.incidents': 'Incident board', 'panel.ledger': 'Task ledger · three colours', 'panel.activity': 'Live activity',
    'empty.incidents': 'No incidents', 'empty.ledger': 'No joint tasks', 'empty.activity': 'No activity yet',
    lead: 'lead', cooperating: 'with', due: 'due', percent: 'progress',
    notice: 'Supervision notice {no}', answerBy: 'answer by {time}', answered: 'answered', unanswered: 'unanswered',
    reviewStamp: 'Review · as of {time}',
    review: 'Review', play: 'Play', pause: 'Pause', speed: 'Speed', backToLive: 'Back to live',
    reviewHint: 'Drag the timeline to see the map as it stood', loadingAt: 'loading…',
    'login.title': 'Lianfang · Situation Map', 'login.prompt': 'Enter an access token (an observer token is enough to view)',
    'login.submit': 'Enter', 'login.invalid': 'This token is unknown or revoked; enter another',
    'login.placeholder': 'access token', 'login.unreachable': 'Cannot reach the server; try again shortly',
    reported: 'reported', jurisdiction: 'jurisdiction', cases: 'cases', status: 'status',
    capacity: 'capacity', quantity: 'quantity', unit: 'unit', expires: 'expires',
    'speed.60': '1 min/s', 'speed.600': '10 min/s', 'speed.3600': '1 h/s', 'speed.86400': '1 day/s',
  },
};

// Enumerations of the domain, by group; an unknown value is shown as it is.
const TERMS = {
  zh: {
    level: { I: 'I级 特别重大', II: 'II级 重大', III: 'III级 较大', IV: 'IV级 一般' },
    zone: { sealed: '封控区', controlled: '管控区', prevention: '防范区' },
    resourceStatus: { available: '待命', committed: '已调派', en_route: '在途', on_scene: '在现场' },
    dispatch: { requested: '已申请', committed: '已落实', en_route: '在途', on_scene: '已到达' },
    count: { confirmed: '确诊', suspected: '疑似', asymptomatic: '无症状', close_contacts: '密接' },
    colour: { green: '绿', yellow: '黄', red: '红' },
    taskState: { assigned: '待认领', claimed: '已认领', completed: '已办结', refused: '已拒绝' },
    incidentStatus: { open: '处置中', closed: '已结束' },
    role: { commander: '指挥部', unit: '责任单位', field: '现场工作组', observer: '观察员', system: '系统' },
    severity: { Extreme: '特别严重', Severe: '严重', Moderate: '较重', Minor: '一般', Unknown: '未知' },
    incidentKind: {
      cluster: '聚集性疫情', food_poisoning: '食物中毒', unexplained_illness: '不明原因疾病',
      infectious_disease: '传染病疫情', vaccine_reaction: '预防接种异常反应',
      occupational_poisoning: '职业中毒', other: '其他突发公共卫生事件',
    },
    resourceKind: {
      medical_team: '医疗队', ambulance: '救护车', sampling_team: '采样队', quarantine_site: '隔离点',
      supplies: '物资储备', epi_team: '流调队', transport: '转运组',
    },
    jurisdictionLevel: { county: '县', township: '乡镇', street: '街道', village: '村', community: '社区', grid: '网格' },
  },
  en: {
    level: { I: 'Level I (especially grave)', II: 'Level II (grave)', III: 'Level III (serious)', IV: 'Level IV (general)' },
    zone: { sealed: 'Sealed zone', controlled: 'Controlled zone', prevention: 'Prevention zone' },
    resourceStatus: { available: 'available', committed: 'committed', en_route: 'en route', on_scene: 'on scene' },
    dispatch: { requested: 'requested', committed: 'committed', en_route: 'en route', on_scene: 'on scene' },
    count: { confirmed: 'confirmed', suspected: 'suspected', asymptomatic: 'asymptomatic', close_contacts: 'close contacts' },
    colour: { green: 'green', yellow: 'yellow', red: 'red' },
    taskState: { assigned: 'assigned', claimed: 'claimed', completed: 'completed', refused: 'refused' },
    incidentStatus: { open: 'open', closed: 'closed' },
    role: { commander: 'command', unit: 'unit', field: 'field team', observer: 'observer', system: 'system' },
    severity: { Extreme: 'extreme', Severe: 'severe', Moderate: 'moderate', Minor: 'minor', Unknown: 'unknown' },
    incidentKind: {
      cluster: 'cluster', food_poisoning: 'food poisoning', unexplained_illness: 'unexplained illness',
      infectious_disease: 'infectious disease', vaccine_reaction: 'vaccine reaction',
      occupational_poisoning: 'occupational poisoning', other: 'other',
    },
    resourceKind: {
      medical_team: 'medical team', ambulance: 'ambulance', sampling_team: 'sampling team',
      quarantine_site: 'quarantine site', supplies: 'supplies', epi_team: 'epi team', transport: 'transport',
    },
    jurisdictionLevel: { county: 'county', township: 'township', street: 'street', village: 'village', community: 'community', grid: 'grid' },
  },
};

const STORAGE_KEY = 'lianfang.lang';
let language = localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';

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

/** A domain term of `group` (e.g. term('zone', 'sealed')). */
export function term(group, value) {
  if (value === null || value === undefined) return '';
  return TERMS[language][group]?.[value] ?? String(value);
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
}
