// 志愿服务: teams, activities, sign-ups, check-in codes, service records and star levels, as
// the volunteer pages show them.
const { clock, dayLabel } = require('./bookings')
const format = require('../utils/format')
const i18n = require('../utils/i18n')

// The leader's code opens check-in from 30 minutes before the start to 30 minutes after the
// end (the server decides; the page only shows the form in that window).
const WINDOW_MS = 30 * 60 * 1000
const CODE_LENGTH = 6
// Words that separate skills typed in one field: 、，, ; and spaces.
const TAG_SPLIT = /[、，,;；\s]+/

const ms = (iso) => {
  const v = Date.parse(iso)
  return Number.isNaN(v) ? null : v
}

function teamView(team) {
  const my = team.my_status || null
  const limit = team.member_limit
  return {
    id: team.id,
    name: team.name,
    place: team.place_name || '',
    description: team.description || '',
    approval: team.join_policy === 'approval',
    policyText: i18n.t(team.join_policy === 'approval' ? 'vol_policy_approval' : 'vol_policy_open'),
    membersText: limit ? i18n.t('vol_members_of', { n: team.members, max: limit }) : i18n.t('vol_members', { n: team.members }),
    // a full open team takes nobody; a full approval team still takes requests
    joinBlocked: Boolean(limit) && team.members >= limit && team.join_policy !== 'approval',
    myStatus: my,
    myText: my ? i18n.t(`vol_member_${my}`) : '',
    iLead: Boolean(team.i_lead),
    canJoin: team.is_active !== false && (!my || my === 'left' || my === 'removed'),
    canLeave: my === 'active' || my === 'pending',
  }
}

function membershipView(m) {
  return {
    teamId: m.team_id,
    name: m.team_name,
    status: m.status,
    statusText: i18n.t(`vol_member_${m.status}`),
    leader: Boolean(m.is_leader),
  }
}

function when(startIso, endIso) {
  return `${dayLabel(startIso)} ${clock(startIso)}–${clock(endIso)}`
}

// What the activity page shows and which buttons it offers, at `now` (ms).
function activityView(a, now = Date.now()) {
  const start = ms(a.start_at)
  const end = ms(a.end_at)
  const deadline = ms(a.signup_deadline) || start
  const my = a.my_signup || null
  const open = a.status === 'published' && now < start && now <= deadline
  const position = a.waitlist_position === undefined ? null : a.waitlist_position
  return {
    id: a.id,
    teamId: a.team_id,
    team: a.team_name || '',
    title: a.title,
    content: a.content || '',
    when: when(a.start_at, a.end_at),
    deadline: a.signup_deadline ? format.time(a.signup_deadline, now) : '',
    place: a.place_name || '',
    located: typeof a.lat === 'number' && typeof a.lng === 'number',
    lat: a.lat,
    lng: a.lng,
    capacity: a.capacity,
    signed: a.signed,
    waiting: a.waiting || 0,
    seatsText: i18n.t('vol_seats', { signed: a.signed, capacity: a.capacity, waiting: a.waiting || 0 }),
    full: a.signed >= a.capacity,
    status: a.status,
    statusText: i18n.t(`vol_activity_${a.status}`),
    mySignup: my,
    myText: signupText(my, position),
    waitlistPosition: position,
    canSignUp: open && (!my || my === 'withdrawn'),
    // why there is no 报名 button on a published activity I am not in
    closed: a.status === 'published' && !open && (!my || my === 'withdrawn'),
    canWithdraw: (my === 'signed' || my === 'waitlisted') && now < start && a.status === 'published',
    inWindow: my === 'signed' && a.status !== 'cancelled' && now >= start - WINDOW_MS && now <= end + WINDOW_MS,
  }
}

// "已报名" / "候补第 2 位" / "候补中" / "" (not signed up).
function signupText(status, position) {
  if (!status) return ''
  if (status === 'waitlisted' && position) return i18n.t('vol_waitlist_position', { n: position })
  return i18n.t(`vol_signup_${status}`)
}

const hoursText = (h) => i18n.t('vol_hours', { n: Math.round(Number(h || 0) * 100) / 100 })

function recordView(r) {
  return {
    id: r.id,
    activityId: r.activity_id,
    title: r.activity_title,
    team: r.team_name || '',
    place: r.place_name || '',
    day: r.check_in_at ? dayLabel(r.check_in_at) : '',
    checkIn: r.check_in_at ? clock(r.check_in_at) : '',
    checkOut: r.check_out_at ? clock(r.check_out_at) : '',
    hours: hoursText(r.hours),
    status: r.status,
    statusText: i18n.t(`vol_record_${r.status}`),
    reason: r.reason || '',
  }
}

// Whether the check-in form asks for 签到 or 签退, or neither (done), from my record.
function attendanceStep(record) {
  if (!record || !record.check_in_at) return 'check_in'
  if (!record.check_out_at && record.status === 'open') return 'check_out'
  return 'done'
}

function summaryView(s) {
  const level = (s && s.star_level) || 0
  const hours = (s && s.approved_hours) || 0
  return {
    hours: hoursText(hours),
    level,
    stars: '★★★★★'.slice(0, level) + '☆☆☆☆☆'.slice(0, Math.max(0, 5 - level)),
    levelText: level ? i18n.t('vol_star_level', { n: level }) : i18n.t('vol_star_none'),
    nextText: s && s.next_level_hours
      ? i18n.t('vol_star_next', { n: Math.round((s.next_level_hours - hours) * 100) / 100, level: level + 1 })
      : '',
  }
}

// The code as typed: spaces removed, letters upper-case. Valid when it has 6 characters.
function normalizeCode(text) {
  return String(text || '').replace(/\s+/g, '').toUpperCase()
}

function validCode(code) {
  return new RegExp(`^[0-9A-Z]{${CODE_LENGTH}}$`).test(code)
}

// What wx.scanCode read: the bare code, or a link/text carrying code=… (and maybe
// activity=…). {code} or {error: i18n key}.
function parseScanned(result, activityId) {
  const raw = String(result || '').trim()
  if (validCode(normalizeCode(raw))) return { code: normalizeCode(raw) }
  const code = raw.match(/[?&#;]?code=([0-9A-Za-z]{6})\b/)
  const activity = raw.match(/[?&#;]?activity(?:_id)?=(\d+)\b/)
  if (activity && activityId && Number(activity[1]) !== Number(activityId)) return { error: 'vol_scan_other_activity' }
  if (code) return { code: code[1].toUpperCase() }
  return { error: 'vol_scan_unreadable' }
}

function tags(text) {
  return String(text || '').split(TAG_SPLIT).map((s) => s.trim()).filter(Boolean)
}

// The profile form from the saved profile (the ID number is never sent back: only its last 4).
function profileForm(p) {
  return {
    realName: (p && p.real_name) || '',
    phone: (p && p.phone) || '',
    skills: ((p && p.skills) || []).join('、'),
    categories: ((p && p.service_categories) || []).join('、'),
    idNumber: '',
    idLast4: (p && p.id_number_last4) || '',
    consent: false,
  }
}

// The PUT body. An empty ID field keeps the one on file (the key is left out); `clearId`
// removes it.
function profileBody(form, clearId = false) {
  const body = {
    real_name: String(form.realName || '').trim(),
    phone: String(form.phone || '').trim(),
    skills: tags(form.skills),
    service_categories: tags(form.categories),
    consent: Boolean(form.consent),
  }
  const id = String(form.idNumber || '').replace(/\s+/g, '').toUpperCase()
  if (id) body.id_number = id
  else if (clearId) body.id_number = null
  return body
}

// The printable record for <rich-text>: the body only (no head, style or script), with the
// table's borders written on the cells, since rich-text ignores <style>.
function recordHtml(html) {
  const text = String(html || '')
  const body = text.match(/<body[^>]*>([\s\S]*)<\/body>/i)
  return (body ? body[1] : text)
    .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<table>/gi, '<table style="border-collapse:collapse;width:100%;font-size:12px">')
    .replace(/<(th|td)(\s[^>]*)?>/gi, (whole, tag, attrs) => `<${tag}${attrs || ''} style="border:1px solid #999;padding:4px">`)
    .trim()
}

module.exports = {
  WINDOW_MS, teamView, membershipView, activityView, signupText, recordView, attendanceStep,
  summaryView, normalizeCode, validCode, parseScanned, tags, profileForm, profileBody, recordHtml,
}
