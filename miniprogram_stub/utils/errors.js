// Errors as the pages show them. The API always answers
// {"error": {"code", "message", "fields"}}; the message is already in the user's language.
const i18n = require('./i18n')

class ApiError extends Error {
  constructor(status, body) {
    const error = body && typeof body === 'object' && body.error ? body.error : {}
    super(error.message || i18n.t('err_server', { status }))
    this.name = 'ApiError'
    this.status = status
    this.code = error.code || `http_${status}`
    this.fields = error.fields && typeof error.fields === 'object' ? error.fields : {}
  }

  // Worth sending again later with the same Idempotency-Key (the server did not decide).
  get retryable() {
    return this.status >= 500 || this.status === 408 || this.status === 429 ||
      this.code === 'idempotency_in_progress'
  }
}

class NetworkError extends Error {
  constructor(errMsg) {
    super(errMsg || 'request:fail')
    this.name = 'NetworkError'
    this.timeout = /timeout|timed out|超时/i.test(errMsg || '')
    this.retryable = true
  }
}

function flatten(value) {
  if (value === null || value === undefined) return []
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.reduce((all, v) => all.concat(flatten(v)), [])
  if (typeof value === 'object') {
    return Object.keys(value).reduce((all, k) => all.concat(flatten(value[k])), [])
  }
  return [String(value)]
}

// {field: "message；message"}: shown under the field the message is about.
function fieldMessages(err) {
  const out = {}
  if (!(err instanceof ApiError)) return out
  Object.keys(err.fields).forEach((field) => {
    const messages = flatten(err.fields[field])
    if (messages.length) out[field] = messages.join('；')
  })
  return out
}

// One text for a toast or an error box: the message, then the field messages.
function describe(err) {
  if (err instanceof ApiError) {
    const fields = fieldMessages(err)
    const extra = Object.keys(fields).map((k) => fields[k]).filter((m) => m !== err.message)
    return [err.message].concat(extra).join('\n')
  }
  if (err instanceof NetworkError) return i18n.t(err.timeout ? 'err_timeout' : 'err_network')
  if (err && typeof err.errMsg === 'string') return err.errMsg
  if (err && err.message) return err.message
  return i18n.t('err_unknown')
}

function isRetryable(err) {
  return Boolean(err && err.retryable)
}

module.exports = { ApiError, NetworkError, describe, fieldMessages, isRetryable }
