// Submissions (a report, a patrol report, a resolution, a supplement) kept in storage until
// the server has answered. Each has its own Idempotency-Key from the first tap, so a retry,
// after a timeout or when the signal comes back (wx.onNetworkStatusChange), files nothing
// twice: the server answers a replay with the first answer.
const api = require('./api')
const errors = require('./errors')
const files = require('./files')
const storage = require('./storage')
const upload = require('./upload')
const wxp = require('./wxp')
const { newKey } = require('./idempotency')

const KEY = 'outbox'
const listeners = []
const inFlight = {}
let flushing = null
let started = false

function list() {
  return storage.get(KEY, [])
}

function write(items) {
  storage.set(KEY, items)
}

function get(id) {
  return list().find((s) => s.id === id) || null
}

function update(id, patch) {
  const items = list()
  const i = items.findIndex((s) => s.id === id)
  if (i < 0) return null
  items[i] = Object.assign({}, items[i], patch)
  write(items)
  return items[i]
}

function emit(event, submission, detail) {
  listeners.slice().forEach((fn) => {
    try {
      fn(event, submission, detail)
    } catch (e) {
      // a page's listener must not stop the queue
    }
  })
}

function onChange(fn) {
  listeners.push(fn)
  return () => {
    const i = listeners.indexOf(fn)
    if (i >= 0) listeners.splice(i, 1)
  }
}

function removeSubmission(id) {
  const sub = get(id)
  if (!sub) return
  write(list().filter((s) => s.id !== id))
  sub.photos.filter((p) => p.kept).forEach((p) => files.discard(p.path))
  emit('removed', sub)
}

// spec: {kind, path, body, photos: [tempPath], purpose, label, ref}
function create(spec) {
  const sub = {
    id: newKey(),
    kind: spec.kind,
    path: spec.path,
    body: spec.body,
    photos: (spec.photos || []).map((path) => ({ path, upload_id: null, kept: false })),
    photo_field: spec.photoField || 'photo_ids',
    purpose: spec.purpose || 'report',
    label: spec.label || '',
    ref: spec.ref || null, // e.g. the ticket a resolution is about
    status: 'pending',
    error: '',
    attempts: 0,
    created_at: new Date().toISOString(),
  }
  write(list().concat([sub]))
  emit('added', sub)
  return sub
}

function requestBody(sub) {
  const body = Object.assign({}, sub.body)
  if (sub.photos.length || sub.photo_field in body) {
    body[sub.photo_field] = sub.photos.map((p) => p.upload_id)
  }
  return body
}

// Upload the photos not yet uploaded (their ids are kept as they arrive), then POST with the
// submission's key. onProgress({phase: 'upload'|'submit', index, total, percent}).
async function deliver(id, onProgress) {
  let sub = get(id)
  if (!sub) throw new Error(`no submission ${id}`)
  sub = update(id, { status: 'sending', attempts: sub.attempts + 1 })
  emit('sending', sub)
  try {
    const total = sub.photos.length
    for (let index = 0; index < total; index += 1) {
      if (sub.photos[index].upload_id) continue
      const report = (percent) => onProgress && onProgress({ phase: 'upload', index, total, percent })
      report(0)
      const uploaded = await upload.uploadPhoto(sub.photos[index].path, {
        purpose: sub.purpose,
        onProgress: report,
      })
      const current = get(id)
      if (!current) throw new Error(`submission ${id} was dropped`)
      const photos = current.photos.slice()
      photos[index] = Object.assign({}, photos[index], { upload_id: uploaded.id })
      sub = update(id, { photos })
      report(100)
    }
    if (onProgress) onProgress({ phase: 'submit', index: total, total, percent: 100 })
    const result = await api.post(sub.path, requestBody(sub), { idempotencyKey: sub.id })
    removeSubmission(id)
    emit('sent', sub, result)
    return result
  } catch (err) {
    const status = errors.isRetryable(err) ? 'pending' : 'failed'
    const changed = update(id, {
      status,
      error: errors.describe(err),
      fields: errors.fieldMessages(err),
    })
    emit(status, changed || sub, err)
    throw err
  }
}

// Send one submission now. A second call while it is on its way gets the same promise, so
// a double tap sends it once.
function send(id, { onProgress } = {}) {
  if (!inFlight[id]) {
    inFlight[id] = deliver(id, onProgress).then(
      (result) => { delete inFlight[id]; return result },
      (err) => { delete inFlight[id]; throw err },
    )
  }
  return inFlight[id]
}

function keepFiles(id) {
  const sub = get(id)
  if (!sub) return
  const photos = sub.photos.map((p) => {
    if (p.upload_id || p.kept) return p
    const kept = files.keep(p.path)
    return Object.assign({}, p, kept)
  })
  update(id, { photos })
}

async function isOnline() {
  try {
    const res = await wxp.call('getNetworkType', {})
    return res.networkType !== 'none'
  } catch (e) {
    return true // unknown: try
  }
}

// What a page calls on the submit tap. Answers {sent: true, result} or, without signal or
// when the server could not be reached, {queued: true, submission}. Refusals (4xx) throw,
// and the submission is dropped: the user corrects the form and submits anew.
async function submit(spec, { onProgress } = {}) {
  const sub = create(spec)
  return sendFromForm(sub.id, { onProgress })
}

// The same, for a submission the form already made (the "send again" tap).
async function sendFromForm(id, { onProgress } = {}) {
  if (!(await isOnline())) {
    keepFiles(id)
    return { queued: true, submission: get(id) }
  }
  try {
    return { sent: true, result: await send(id, { onProgress }) }
  } catch (err) {
    if (errors.isRetryable(err)) {
      keepFiles(id)
      return { queued: true, submission: get(id), error: err }
    }
    removeSubmission(id)
    throw err
  }
}

// Send everything waiting, oldest first; stop at the first network failure (no signal yet).
function flush() {
  if (!flushing) {
    flushing = (async () => {
      const out = { sent: 0, failed: 0, left: 0 }
      const waiting = list().filter((s) => s.status !== 'failed' && !inFlight[s.id])
      for (let i = 0; i < waiting.length; i += 1) {
        try {
          await send(waiting[i].id)
          out.sent += 1
        } catch (err) {
          if (err instanceof errors.NetworkError) break
          if (!errors.isRetryable(err)) out.failed += 1
        }
      }
      out.left = list().length
      return out
    })().then(
      (out) => { flushing = null; return out },
      (err) => { flushing = null; throw err },
    )
  }
  return flushing
}

// Once, at launch: send the waiting submissions whenever the network comes back.
function start() {
  if (started) return
  started = true
  if (typeof wx.onNetworkStatusChange === 'function') {
    wx.onNetworkStatusChange((res) => {
      if (res && res.isConnected) flush().catch(() => {})
    })
  }
}

function retry(id) {
  update(id, { status: 'pending', error: '' })
  return send(id)
}

function pendingCount() {
  return list().length
}

// Tests only: forget the listener registration and in-flight state.
function resetForTests() {
  started = false
  flushing = null
  Object.keys(inFlight).forEach((k) => delete inFlight[k])
  listeners.length = 0
}

module.exports = {
  list, get, create, submit, sendFromForm, send, flush, start, retry, onChange,
  remove: removeSubmission, pendingCount, requestBody, resetForTests,
}
