// The Linli token and who it belongs to, kept in storage (wx.request has no cookies).
const storage = require('./storage')

const KEY = 'session'
const EARLY_MS = 60 * 1000 // log in again a minute before the token expires
const listeners = []

function get() {
  const s = storage.get(KEY, null)
  return s && s.token ? s : null
}

function notify() {
  const s = get()
  listeners.slice().forEach((fn) => fn(s))
}

function save(answer) {
  storage.set(KEY, { token: answer.token, expires_at: answer.expires_at || null, user: answer.user || null })
  notify()
}

function clear() {
  storage.remove(KEY)
  notify()
}

function token(now = Date.now()) {
  const s = get()
  if (!s) return null
  if (s.expires_at) {
    const expires = Date.parse(s.expires_at)
    if (!Number.isNaN(expires) && expires - EARLY_MS <= now) return null
  }
  return s.token
}

function user() {
  const s = get()
  return s ? s.user : null
}

function setUser(u) {
  const s = get()
  if (!s) return
  storage.set(KEY, Object.assign({}, s, { user: u }))
  notify()
}

function role() {
  const u = user()
  return u ? u.role : null
}

function isWorker() {
  return role() === 'grid_worker'
}

function onChange(fn) {
  listeners.push(fn)
  return () => {
    const i = listeners.indexOf(fn)
    if (i >= 0) listeners.splice(i, 1)
  }
}

module.exports = { get, save, clear, token, user, setUser, role, isWorker, onChange }
