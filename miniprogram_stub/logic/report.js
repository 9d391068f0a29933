// The report form (resident) and the patrol form (grid worker): checks, request bodies and
// the "附近已有…" prompt, apart from the page so they can be tested plainly.
const format = require('../utils/format')
const i18n = require('../utils/i18n')

const MAX_PHOTOS = 9

function emptyForm() {
  return {
    categoryId: null,
    categoryName: '',
    description: '',
    lat: null,
    lng: null,
    address: '',
    building: '',
    unit: '',
    photos: [],
  }
}

// {field: message} in the API's field names, so server field errors land in the same place.
function validate(form) {
  const errors = {}
  if (!form.categoryId) errors.category_id = i18n.t('report_need_category')
  if (String(form.description || '').trim().length < 2) errors.description = i18n.t('report_need_description')
  if (form.lat === null || form.lat === undefined || form.lng === null || form.lng === undefined) {
    errors.lat = i18n.t('report_need_location')
  }
  if ((form.photos || []).length > MAX_PHOTOS) errors.photo_ids = i18n.t('photos_max', { n: MAX_PHOTOS })
  return errors
}

function ticketBody(form) {
  return {
    category_id: form.categoryId,
    description: String(form.description).trim(),
    lat: form.lat,
    lng: form.lng,
    address: String(form.address || '').trim(),
    building: String(form.building || '').trim(),
    unit: String(form.unit || '').trim(),
  }
}

function patrolBody(form) {
  return {
    category_id: form.categoryId,
    description: String(form.description).trim(),
    lat: form.lat,
    lng: form.lng,
    address: String(form.address || '').trim(),
  }
}

// "附近已有 1 条相同问题（2 天前）": the newest of them gives the age.
function nearbyNotice(items, now = Date.now()) {
  if (!items || !items.length) return ''
  const newest = items.reduce((a, b) => (Date.parse(a.created_at) >= Date.parse(b.created_at) ? a : b))
  return i18n.t('nearby_found', { count: items.length, ago: format.ago(newest.created_at, now) })
}

function nearbyRows(items, now = Date.now()) {
  return (items || []).map((n) => ({
    id: n.id,
    description: format.shorten(n.description, 60),
    state: format.stateLabel(n.state),
    distance: format.distance(n.distance_m),
    ago: format.ago(n.created_at, now),
    followers: n.follower_count || 0,
    following: Boolean(n.following),
    // my own report: 我也遇到 is not offered (the server refuses following one's own)
    mine: Boolean(n.mine),
  }))
}

// The report page's map: one marker, the pin, at the point the report will be sent with.
const PIN = { width: 30, height: 40 } // px; images/pin.png is 60 x 80, its tip at the bottom centre

function pinMarkers(lat, lng) {
  if (lat === null || lat === undefined || lng === null || lng === undefined) return []
  return [{
    id: 1, latitude: lat, longitude: lng, iconPath: '/images/pin.png',
    width: PIN.width, height: PIN.height, anchor: { x: 0.5, y: 1 },
  }]
}

// A <map>'s regionchange: the resident let go of the map after dragging (or zooming) it.
// Not the start of a move, and not a move the page made itself (causedBy 'update': a new
// latitude/longitude set on the map), which would otherwise answer itself.
function isDragEnd(e) {
  if (!e) return false
  const detail = e.detail || {}
  const type = e.type === 'begin' || e.type === 'end' ? e.type : detail.type
  const cause = e.causedBy || detail.causedBy
  return type === 'end' && cause !== 'update'
}

// The map's centre from the event (detail.centerLocation, base library 2.9+), or null when
// the event does not carry it (then the page asks the map context).
function centreOf(e) {
  const c = e && e.detail && e.detail.centerLocation
  if (!c || !Number.isFinite(Number(c.latitude)) || !Number.isFinite(Number(c.longitude))) return null
  return { lat: Number(c.latitude), lng: Number(c.longitude) }
}

// A short text for the waiting list on 我的.
function label(form) {
  return `${form.categoryName || ''} ${format.shorten(form.description, 24)}`.trim()
}

function progressText(p) {
  if (!p) return ''
  if (p.phase === 'submit') return i18n.t('progress_submitting')
  return i18n.t('progress_photo', { n: p.index + 1, total: p.total, percent: Math.round(p.percent || 0) })
}

module.exports = {
  MAX_PHOTOS, emptyForm, validate, ticketBody, patrolBody, nearbyNotice, nearbyRows, label, progressText,
  pinMarkers, isDragEnd, centreOf,
}
