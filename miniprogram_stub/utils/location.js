// Positions are GCJ-02 end to end: wx.getLocation is asked for gcj02 (its default is
// WGS-84), wx.chooseLocation answers GCJ-02, and the API stores GCJ-02.
const wxp = require('./wxp')

async function here() {
  const r = await wxp.call('getLocation', { type: 'gcj02', isHighAccuracy: true, highAccuracyExpireTime: 4000 })
  return { lat: r.latitude, lng: r.longitude, accuracy: r.accuracy }
}

async function choose(near) {
  const options = near ? { latitude: near.lat, longitude: near.lng } : {}
  const r = await wxp.call('chooseLocation', options)
  return { lat: r.latitude, lng: r.longitude, name: r.name || '', address: r.address || '' }
}

// Navigate with WeChat's map (the ticket's pin is GCJ-02, which wx.openLocation expects).
function openMap({ lat, lng, name, address }) {
  return wxp.call('openLocation', {
    latitude: Number(lat),
    longitude: Number(lng),
    name: name || '',
    address: address || '',
    scale: 18,
  })
}

function denied(err) {
  return Boolean(err && /auth|deny|denied|permission/i.test(err.errMsg || ''))
}

function cancelled(err) {
  return Boolean(err && /cancel/i.test(err.errMsg || ''))
}

// Great-circle distance in metres (GCJ-02 offsets are locally constant: fine for a few km).
function distanceM(a, b) {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLng = (b.lng - a.lng) * rad
  const h = Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2
  return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(h)))
}

module.exports = { here, choose, openMap, denied, cancelled, distanceM }
