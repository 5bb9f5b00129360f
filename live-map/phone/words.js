// Words of the phone page, Chinese first with English. Domain terms (kinds, counts) come from the server.
import { addWords } from '/live-map/lib/i18n.js';

addWords({
  zh: {
    'm.title': '联防 · 外勤', langToggle: 'EN',
    'm.signin': '请用单位发给您的登录链接（登录码）打开本页。', 'm.signin.again': '登录已失效：待发送的报告已暂停（一条未丢），请用新的登录链接重新登录。',
    'm.signin.gone': '此登录链接已用过或已过期，请向单位索取新的链接。',
    'm.online': '在线', 'm.offline': '离线：报告先存本机，联网后自动发送',
    report: '报告事件', followup: '续报', submit: '提交', cancel: '取消',
    kind: '类型', 'title.field': '标题', note: '备注',
    confirmed: '确诊', suspected: '疑似', asymptomatic: '无症状', close_contacts: '密接',
    'gps.wait': '正在获取位置…', 'gps.ok': '位置：{lon}, {lat}（±{acc} 米）', 'gps.none': '无法获取 GPS 位置：请到开阔处重试',
    'gps.retry': '重新定位',
    incidents: '本辖区事件', 'incidents.none': '暂无事件', 'incidents.known': '最后已知（{time}）', 'incidents.live': '实时',
    outbox: '发件箱', pending: '待发送', sent: '已送达', refused: '被拒绝', discard: '放弃', correct: '更正',
    'outbox.empty': '没有报告', 'outbox.paused': '已暂停：请重新登录',
    'privacy.id_number': '备注中似乎有身份证号：只报人数，不要写个人信息，请删除后再提交',
    'privacy.mobile': '备注中似乎有手机号：不要写个人联系方式，请删除后再提交',
    'need.title': '请填写标题', 'need.position': '需要位置：请重新定位',
  },
  en: {
    'm.title': 'Lianfang · Field', langToggle: '中文',
    'm.signin': 'Open this page with the sign-in link (enrolment code) your unit gave you.', 'm.signin.again': 'Signed out: waiting reports are paused (none is lost). Sign in again with a new link.',
    'm.signin.gone': 'This sign-in link was used already or has expired; ask your unit for a new one.',
    'm.online': 'Online', 'm.offline': 'Offline: reports are kept on this phone and sent when back online',
    report: 'Report incident', followup: 'Follow-up', submit: 'Submit', cancel: 'Cancel',
    kind: 'Kind', 'title.field': 'Title', note: 'Note',
    confirmed: 'Confirmed', suspected: 'Suspected', asymptomatic: 'Asymptomatic', close_contacts: 'Close contacts',
    'gps.wait': 'Getting position…', 'gps.ok': 'Position: {lon}, {lat} (±{acc} m)', 'gps.none': 'No GPS position: try again in the open',
    'gps.retry': 'Locate again',
    incidents: 'Incidents of our area', 'incidents.none': 'No incidents', 'incidents.known': 'last known ({time})', 'incidents.live': 'live',
    outbox: 'Outbox', pending: 'Waiting', sent: 'Delivered', refused: 'Refused', discard: 'Discard', correct: 'Correct',
    'outbox.empty': 'No reports', 'outbox.paused': 'Paused: sign in again',
    'privacy.id_number': 'The note seems to hold an ID-card number: report counts, never personal data; remove it',
    'privacy.mobile': 'The note seems to hold a mobile number: no personal contact data; remove it',
    'need.title': 'Enter a title', 'need.position': 'A position is needed: locate again',
  },
});
