// The settings in force: config.js, overridden by the third-party platform's ext config.
const defaults = require('../config')

const KEYS = Object.keys(defaults)
let overrides = {}

function fromExt() {
  try {
    if (typeof wx !== 'undefined' && typeof wx.getExtConfigSync === 'function') {
      return wx.getExtConfigSync() || {}
    }
  } catch (e) {
    // no ext config outside a third-party platform build
  }
  return {}
}

function get() {
  const ext = fromExt()
  const out = Object.assign({}, defaults)
  KEYS.forEach((key) => {
    if (ext[key] !== undefined && ext[key] !== null && ext[key] !== '') out[key] = ext[key]
    if (overrides[key] !== undefined) out[key] = overrides[key]
  })
  out.apiBase = String(out.apiBase || '').replace(/\/+$/, '')
  return out
}

// For tests and the demo: replace some settings in memory (not persisted).
function override(values) {
  overrides = Object.assign({}, overrides, values)
}

function reset() {
  overrides = {}
}

function apiUrl(path) {
  return `${get().apiBase}/api/v1${path}`
}

// The API answers photo URLs relative to its origin (/media/…): the <image> tag needs them whole.
function absoluteUrl(url) {
  if (!url) return ''
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url
  return get().apiBase + (url[0] === '/' ? url : `/${url}`)
}

// A development build (WeChat DevTools, 开发版): only there do pages show debugging
// information such as the API's address. 体验版 (trial) and 正式版 (release) do not; nor does
// a phone whose base library cannot say (wx.getAccountInfoSync is there since 2.2.2).
// `debug: true` in config.js or ext.json forces it on for a trial build being checked.
function isDevelopment() {
  if (get().debug === true) return true
  try {
    if (typeof wx !== 'undefined' && typeof wx.getAccountInfoSync === 'function') {
      const info = wx.getAccountInfoSync() || {}
      return Boolean(info.miniProgram && info.miniProgram.envVersion === 'develop')
    }
  } catch (e) {
    // no account information: treated as a release build
  }
  return false
}

module.exports = { get, override, reset, apiUrl, absoluteUrl, isDevelopment }
