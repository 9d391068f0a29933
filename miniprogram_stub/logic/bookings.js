// 办事预约: service items, days and free slots, bookings, as the pages show them.
const format = require('../utils/format')
const i18n = require('../utils/i18n')

const SHANGHAI_MS = 8 * 3600 * 1000
const pad = (n) => String(n).padStart(2, '0')

function shanghai(iso) {
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? null : new Date(ms + SHANGHAI_MS)
}

function clock(iso) {
  const d = shanghai(iso)
  return d ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` : ''
}

// "10-08 周三" from a date ("2026-10-08") or a time ("2026-10-08T18:30:00+08:00")
function dayLabel(value) {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : shanghai(value)
  if (!d) return ''
  return i18n.t('day_label', { date: `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`, weekday: i18n.t(`wd_${d.getUTCDay()}`) })
}

function itemName(item) {
  if (!item) return ''
  return i18n.getLang() === 'en' && item.name_en ? item.name_en : item.name
}

function itemView(item) {
  return {
    id: item.id,
    name: itemName(item),
    // the other language's name, so a search finds the item either way
    nameOther: itemName(item) === item.name ? (item.name_en || '') : item.name,
    department: item.department || '',
    duration: i18n.t('item_duration', { n: item.duration_minutes }),
    materials: item.materials || [],
    notes: item.notes || '',
    online: item.bookable_online !== false,
    // English pages, an item whose materials the catalogue has only in Chinese
    chineseOnly: i18n.getLang() === 'en' && item.language === 'zh',
  }
}

// The items to book grouped by department (in the order the API lists them), keeping those
// whose name, English name or department contains every word of the search (case ignored).
function groupItems(items, search) {
  const words = String(search || '').toLowerCase().split(/\s+/).filter(Boolean)
  const groups = []
  const byDepartment = {}
  ;(items || []).forEach((item) => {
    const haystack = [item.name, item.department, item.nameOther].join(' ').toLowerCase()
    if (!words.every((w) => haystack.indexOf(w) >= 0)) return
    const department = item.department || ''
    if (!byDepartment[department]) {
      byDepartment[department] = { department, items: [] }
      groups.push(byDepartment[department])
    }
    byDepartment[department].items.push(item)
  })
  return groups
}

// Why a closed day is closed (the answer's closed_reason): 休息 (no opening hours that day),
// the holiday's name (节假日), the closure's reason (停办). Only an open day can be 已约满.
const CLOSED_KEYS = { rest_day: 'slots_rest_day', holiday: 'slots_holiday', closure: 'slots_closure' }

function closedLabel(d) {
  if (d.closed_label) return d.closed_label
  if (d.note && d.closed_reason !== 'rest_day') return d.note
  return i18n.t(CLOSED_KEYS[d.closed_reason] || 'slots_closed')
}

function dayTabs(days) {
  return (days || []).map((d) => {
    const free = (d.slots || []).filter((s) => s.free > 0).length
    const closed = !d.open
    const why = closed ? closedLabel(d) : ''
    return {
      date: d.date,
      label: dayLabel(d.date),
      open: Boolean(d.open) && free > 0,
      closed,
      note: closed ? why : (d.note || (free ? '' : i18n.t('slots_full'))),
      // what the slot list says on a day without a free slot
      empty: closed ? i18n.t('slots_day_closed', { why }) : '',
      extended: (d.slots || []).some((s) => s.kind === 'extended'),
    }
  })
}

// cancellableFrom: the answer's cancellable_from; a slot starting before it is bookable but,
// once booked, can no longer be cancelled or moved (inside the cut-off).
function slotRows(day, cancellableFrom) {
  const from = cancellableFrom ? Date.parse(cancellableFrom) : NaN
  return ((day && day.slots) || []).map((s) => ({
    start: s.start,
    time: `${clock(s.start)}–${clock(s.end)}`,
    extended: s.kind === 'extended',
    free: s.free,
    full: !(s.free > 0),
    noCancel: from === from && Date.parse(s.start) < from,
  }))
}

// The first day with a free slot: what the page opens on.
function firstOpenDay(days) {
  const i = (days || []).findIndex((d) => d.open && (d.slots || []).some((s) => s.free > 0))
  return i < 0 ? 0 : i
}

function bookingView(b) {
  const centre = b.centre || {}
  return {
    id: b.id,
    code: b.code,
    status: b.status,
    statusText: b.status_text || b.status,
    item: itemName(b.item),
    itemId: b.item ? b.item.id : null,
    materials: (b.item && b.item.materials) || [],
    centre: centre.name || '',
    address: centre.address || '',
    phone: centre.phone || '',
    day: dayLabel(b.start_at),
    when: `${dayLabel(b.start_at)} ${clock(b.start_at)}–${clock(b.end_at)}`,
    extended: b.slot_kind === 'extended',
    canCancel: Boolean(b.can_cancel),
    cancelUntil: b.cancel_until ? format.time(b.cancel_until) : '',
  }
}

// "已预约 1/2" or why online booking is paused and until when.
function statusBanner(s) {
  if (!s) return { paused: false, text: '' }
  if (s.paused) {
    return {
      paused: true,
      text: i18n.t('booking_paused', { until: s.paused_until ? format.time(s.paused_until) : '', reason: s.pause_reason || '' }).trim(),
    }
  }
  return { paused: false, full: s.active >= s.max_active, text: i18n.t('booking_quota', { active: s.active, max: s.max_active }) }
}

// "350 m" / "1.6 km" (null: the distance is not known)
function distanceText(m) {
  if (m === null || m === undefined) return ''
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`
}

// A service point (服务中心 / 连心驿站 / 居民之家) in the picker: its kind, today's hours
// or why it is closed today, and how far it is when the resident's location is known.
function pointRow(p) {
  const today = p.today || { is_open: false, hours: [] }
  const hours = (today.hours || []).map((h) => `${h.start}–${h.end}`).join(i18n.t('point_hours_sep'))
  return {
    id: p.id,
    name: p.name,
    kind: p.kind_text || '',
    address: p.address || '',
    today: today.is_open ? i18n.t('point_today', { hours }) : i18n.t('point_closed_today'),
    open: Boolean(today.is_open),
    distance: distanceText(p.distance_m),
  }
}

module.exports = { clock, dayLabel, itemName, itemView, groupItems, closedLabel, dayTabs, slotRows, firstOpenDay, bookingView, statusBanner, distanceText, pointRow }
