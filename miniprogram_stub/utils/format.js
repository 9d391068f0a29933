// Words and numbers as the pages show them, in the chosen language.
const i18n = require('./i18n')
const settings = require('./settings')

const OPEN_STATES = ['submitted', 'accepted', 'dispatched', 'in_progress', 'resolved']
const SHANGHAI_MS = 8 * 3600 * 1000

const pad = (n) => String(n).padStart(2, '0')

function shanghai(iso) {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return null
  return new Date(ms + SHANGHAI_MS) // read with getUTC*: the business day is Asia/Shanghai
}

// "06-03 18:30", with the year when it is not this year.
function time(iso, now = Date.now()) {
  const d = shanghai(iso)
  if (!d) return ''
  const thisYear = new Date(now + SHANGHAI_MS).getUTCFullYear()
  const day = `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
  return d.getUTCFullYear() === thisYear ? day : `${d.getUTCFullYear()}-${day}`
}

// "今天" / "2 天前" (calendar days in Shanghai)
function ago(iso, now = Date.now()) {
  const d = shanghai(iso)
  if (!d) return ''
  const dayOf = (ms) => Math.floor((ms + SHANGHAI_MS) / 86400000)
  const days = dayOf(now) - dayOf(Date.parse(iso))
  if (days <= 0) return i18n.t('ago_today')
  if (days === 1) return i18n.t('ago_yesterday')
  return i18n.t('ago_days', { n: days })
}

function stateLabel(state) {
  return i18n.t(`state_${state}`)
}

function isOpen(state) {
  return OPEN_STATES.indexOf(state) >= 0
}

function distance(m) {
  if (m === null || m === undefined || Number.isNaN(Number(m))) return ''
  const v = Number(m)
  if (v < 1000) return i18n.t('distance_m', { n: Math.round(v) })
  return i18n.t('distance_km', { n: (v / 1000).toFixed(1) })
}

function ratingLabel(rating) {
  return rating ? i18n.t(`rating_${rating}`) : ''
}

function photoUrls(photos) {
  return (photos || []).map((p) => ({
    id: p.id,
    phase: p.phase,
    url: settings.absoluteUrl(p.url),
    thumb: settings.absoluteUrl(p.thumb_url || p.url),
  }))
}

function shorten(text, n = 40) {
  const s = String(text || '').replace(/\s+/g, ' ').trim()
  return s.length > n ? `${s.slice(0, n - 1)}…` : s
}

module.exports = {
  time, ago, stateLabel, isOpen, distance, ratingLabel, photoUrls, shorten, OPEN_STATES,
}
